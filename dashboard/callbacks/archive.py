"""Archive search and download: Dash background callbacks over :class:`MastArchive`.

Searches, downloads and TESScut cutouts run as background callbacks (``LocalJobManager``, a
cache folder under ``settings['cache_dir']/background``, each job in a process of its own; or,
with ``REDIS_URL`` set, ``CeleryManager``, jobs in ``celery -A dashboard.worker`` processes on
the same host: see :mod:`dashboard.caching`), so the page stays usable: the cadence keys, the
slider and play keep working meanwhile. While one runs, the Search and Cut-out buttons are
disabled, a progress bar and a Cancel button (``cancel-download``) appear, and the last status
is hidden. A finished download is added to the store and opened the way an upload is, through
the ``session`` store; every failure shows its :class:`DataError` message in ``archive-status``
and leaves the view as it was.

Where the archive is, and how long to wait for it, come from the environment (read here, so
tests and mirrors can point the dashboard elsewhere):

================================== ==================================================== =========
variable                           meaning                                              default
================================== ==================================================== =========
TPF_DASHBOARD_ARCHIVE_TIMEOUT      seconds to wait for each connection / answer         60
TPF_DASHBOARD_MAST_URL             MAST's base URL (Portal API, downloads, TESScut)     MAST
TPF_DASHBOARD_MAST_RESOLVER_URL    the name resolver (SANTA) URL                        MAST's
================================== ==================================================== =========

Downloads are kept in ``<cache_dir>/downloads`` (a :class:`DownloadCache`, size limit
``$TPF_DASHBOARD_DOWNLOAD_CACHE_MB``).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import asdict, fields
from pathlib import Path

import requests
from dash import ALL, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from ..caching import background_manager
from ..data.archive import MAST_SERVER, RESOLVER_URL, MastArchive
from ..data.archive_products import ArchiveProduct
from ..data.downloads import DownloadCache
from ..data.errors import DataError
from ..data.targets import parse_target
from ..layout_archive import results_table

log = logging.getLogger(__name__)

ENV_TIMEOUT = "TPF_DASHBOARD_ARCHIVE_TIMEOUT"
ENV_MAST_URL = "TPF_DASHBOARD_MAST_URL"
ENV_RESOLVER_URL = "TPF_DASHBOARD_MAST_RESOLVER_URL"
DEFAULT_TIMEOUT = 60.0
_PARTIAL = "tpf-archive-partial:"  # diskcache keys: a download job's pid -> its temporary files
_PRODUCT_FIELDS = {f.name for f in fields(ArchiveProduct)}
# Words of the archive layer's messages for "the archive, not the request, is the problem".
_ARCHIVE_DOWN = ("unreachable", "did not answer", "stopped answering", "server error",
                 "connection to mast broke")


# -- the archive factory (also used by the command line) -----------------------------------------
def archive_timeout(value: float | str | None = None) -> float:
    """``value`` if given, else ``$TPF_DASHBOARD_ARCHIVE_TIMEOUT``, else 60 s."""
    text = os.environ.get(ENV_TIMEOUT, "") if value is None else value
    try:
        seconds = float(text) if str(text).strip() else DEFAULT_TIMEOUT
    except ValueError:
        raise DataError(f"{ENV_TIMEOUT} must be a number of seconds, not {text!r}.") from None
    if not seconds > 0:
        raise DataError(f"The archive timeout must be more than 0 seconds, not {text!r}.")
    return seconds


def download_cache(cache_dir: str | os.PathLike) -> DownloadCache:
    return DownloadCache(Path(cache_dir) / "downloads")


def make_archive(cache_dir: str | os.PathLike, timeout: float | None = None) -> MastArchive:
    """The MAST archive as the environment configures it (see the module docstring)."""
    return MastArchive(download_cache(cache_dir), timeout=archive_timeout(timeout),
                       server=os.environ.get(ENV_MAST_URL) or MAST_SERVER,
                       resolver_url=os.environ.get(ENV_RESOLVER_URL) or RESOLVER_URL)


def archive_down(message: str) -> bool:
    """Whether an archive error means MAST could not be used (rather than a bad request)."""
    lowered = message.lower()
    return any(word in lowered for word in _ARCHIVE_DOWN)


def product_from(data: dict) -> ArchiveProduct:
    """An ArchiveProduct back from the dict the page kept (refusing anything else)."""
    try:
        product = ArchiveProduct(**{k: v for k, v in data.items() if k in _PRODUCT_FIELDS})
    except TypeError:
        raise DataError("That search result is no longer valid; search again.") from None
    if not str(product.product_uri).startswith("mast:"):
        raise DataError("That search result is no longer valid; search again.")
    return product


# -- the callbacks --------------------------------------------------------------------------------
def _error(text: str) -> html.Div:
    return html.Div(text, className="error", id="archive-error")


def _notice(text: str) -> html.Div:
    return html.Div(text, className="notice")


def _size(done: int) -> str:
    return f"{done / 2**20:,.1f} MB"


def register(app, store, settings) -> None:
    import diskcache  # noqa: PLC0415 (only the server needs it)

    cache_dir = Path(settings["cache_dir"])
    # The job state of the process-per-job manager, and in any case the record of partial
    # downloads to remove when a job is cancelled (jobs run on this host either way).
    handle = diskcache.Cache(str(cache_dir / "background"))
    manager = background_manager(settings, handle)
    busy = dict(
        background=True, manager=manager, interval=250,
        running=[(Output("search", "disabled"), True, False),
                 (Output("tesscut", "disabled"), True, False),
                 (Output("archive-busy", "hidden"), False, True),
                 (Output("archive-status", "hidden"), True, False)],
        # Cancel is enabled by the job's first progress report: only then does the page know
        # the job it would cancel (a click before that could not stop it).
        progress=[Output("archive-progress", "value"), Output("archive-progress-text", "children"),
                  Output("cancel-download", "disabled")],
        progress_default=[None, "", True],
        cancel=[Input("cancel-download", "n_clicks")],
        prevent_initial_call=True,
    )

    @app.callback(
        Output("archive-results", "children"),
        Output("archive-found", "data"),
        Output("archive-status", "children"),
        Output("tesscut-panel", "hidden"),
        Output("tesscut-sector", "options"),
        Output("tesscut-sector", "value"),
        Input("search", "n_clicks"),
        Input("target", "n_submit"),
        State("target", "value"),
        State("archive-mission", "value"),
        State("archive-period", "value"),
        State("archive-exposure", "value"),
        **busy,
    )
    def search(set_progress, clicks, submits, text, mission, period, exposure):
        if not (clicks or submits):
            raise PreventUpdate
        set_progress((None, f"Searching MAST for {str(text or '').strip()}…", False))
        nothing = ([], None)
        try:
            target = parse_target(text or "")
            archive = make_archive(cache_dir)
        except DataError as exc:
            return (*nothing, _error(str(exc)), True, [], None)
        products, problem = [], None
        try:
            products = archive.search(target, mission=mission or None,
                                      period=None if period in (None, "") else int(period),
                                      exposure=exposure or None)
        except DataError as exc:
            problem = str(exc)
            if archive_down(problem):  # nothing else will work either
                return (*nothing, _error(problem), True, [], None)
        except Exception:  # noqa: BLE001 (an answer nobody foresaw: say so, keep the view)
            log.exception("archive search failed")
            return (*nothing, _error("The archive search failed unexpectedly; the view was "
                                     "left as it was. Try again."), True, [], None)
        position, sectors, cut_note = None, [], None
        if _tess_possible(target, mission):
            set_progress((None, "Asking TESScut which sectors cover the target…", False))
            try:
                position = _position(archive, target)
                sectors = archive.tesscut_sectors(*position) if position else []
            except DataError as exc:
                cut_note = f"TESScut is not offered: {exc}"
            except requests.RequestException:
                cut_note = "TESScut is not offered: the target's position could not be found."
        found = {"label": target.label, "products": [asdict(p) for p in products],
                 "position": position}
        status = []
        if problem:
            status.append(_error(problem))
        elif products:
            status.append(_notice(f"Found {len(products)} target pixel file"
                                  f"{'s' if len(products) != 1 else ''} of {target.label}."))
        if sectors:
            status.append(_notice(f"TESScut can cut {target.label} out of the full-frame images "
                                  f"of sector{'s' if len(sectors) > 1 else ''} "
                                  f"{', '.join(map(str, sectors))}."))
        elif cut_note:
            status.append(_notice(cut_note))
        table = results_table(found["products"], target.label) if products else []
        options = [{"label": f"Sector {s}", "value": s} for s in sectors]
        return (table, found, status, not sectors, options, sectors[-1] if sectors else None)

    @app.callback(
        Output("session", "data", allow_duplicate=True),
        Output("archive-status", "children", allow_duplicate=True),
        Input({"type": "archive-open", "index": ALL}, "n_clicks"),
        State("archive-found", "data"),
        **busy,
    )
    def download(set_progress, clicks, found):
        trigger = ctx.triggered_id
        index = trigger.get("index") if isinstance(trigger, dict) else None
        if index is None or not clicks or index >= len(clicks) or not clicks[index]:
            raise PreventUpdate  # the rows were just drawn, nothing was clicked
        try:
            product = product_from(found["products"][index])
        except (DataError, TypeError, KeyError, IndexError):
            return no_update, _error("That search result is no longer valid; search again.")
        set_progress((None, f"Fetching {product.filename}…", False))
        try:
            archive = make_archive(cache_dir)
            cached = archive.cache.get(product.cache_key) is not None
            path = archive.download(product, progress=_reporter(set_progress, product, handle,
                                                                archive.cache.directory))
            set_progress((None, f"Opening {product.filename}…", False))
            fid = store.add(path.read_bytes(), product.filename)
        except DataError as exc:
            return no_update, _error(str(exc))
        except Exception:  # noqa: BLE001
            log.exception("archive download failed")
            return no_update, _error(f"Opening {product.filename} failed unexpectedly; the view "
                                     "was left as it was. Try again.")
        finally:
            handle.delete(_PARTIAL + str(os.getpid()))
        how = "from the download cache" if cached else "downloaded from MAST"
        return {"file": fid}, _notice(f"Opened {product.filename} ({product.mission} "
                                      f"{product.period_label}, {how}).")

    @app.callback(
        Output("session", "data", allow_duplicate=True),
        Output("archive-status", "children", allow_duplicate=True),
        Input("tesscut", "n_clicks"),
        State("tesscut-sector", "value"),
        State("tesscut-size", "value"),
        State("archive-found", "data"),
        **busy,
    )
    def cutout(set_progress, clicks, sector, size, found):
        if not clicks:
            raise PreventUpdate
        position = (found or {}).get("position")
        if not position or sector is None:
            return no_update, _error("Search for a TESS target or a position first, then "
                                     "choose a sector.")
        size = int(size or 10)
        set_progress((None, f"TESScut is cutting {size}×{size} px from sector {sector}…",
                      False))
        try:
            path = make_archive(cache_dir).tesscut(position[0], position[1], int(sector), size)
            name = (f"tesscut-s{int(sector):04d}_{position[0]:.5f}_{position[1]:+.5f}_"
                    f"{size}x{size}_astrocut{''.join(path.suffixes)}")
            fid = store.add(path.read_bytes(), name)
        except DataError as exc:
            return no_update, _error(str(exc))
        except Exception:  # noqa: BLE001
            log.exception("TESScut failed")
            return no_update, _error("The TESScut cutout failed unexpectedly; the view was left "
                                     "as it was. Try again.")
        return {"file": fid}, _notice(f"Opened a {size}×{size} px TESScut cutout of "
                                      f"{found.get('label')}, sector {sector}.")

    @app.callback(
        Output("archive-status", "children", allow_duplicate=True),
        Input("cancel-download", "n_clicks"),
        prevent_initial_call=True,
    )
    def cancelled(_):
        """Dash kills the job; here whatever half-written file it left is removed."""
        deadline = time.monotonic() + 3
        while _remove_partials(handle) and time.monotonic() < deadline:
            time.sleep(0.1)
        return _notice("Cancelled; nothing partial was kept.")


def _tess_possible(target, mission) -> bool:
    if mission not in (None, "", "TESS"):
        return False
    if target.kind == "id":
        return "tic" in target.candidates
    return target.kind in ("tic", "name", "coordinates")


def _position(archive: MastArchive, target) -> tuple[float, float] | None:
    if target.kind == "coordinates":
        return target.ra, target.dec
    # The same resolver (with the same timeout) the archive uses for names; it knows TIC ids.
    return archive._resolve(target.name if target.kind == "name" else f"TIC {target.id}")


def _reporter(set_progress, product: ArchiveProduct, handle, directory: Path):
    """A DownloadCache progress function: throttled progress, and a record of the temporary
    file so that a cancelled (killed) job's partial download can be removed."""
    before = set(directory.glob(".incoming-*"))
    last = [0.0, False]

    def report(done: int, total: int | None) -> None:
        if not last[1]:
            last[1] = True
            mine = [str(p) for p in set(directory.glob(".incoming-*")) - before]
            handle.set(_PARTIAL + str(os.getpid()), mine, expire=24 * 3600)
        now = time.monotonic()
        if now - last[0] < 0.2 and (total is None or done < total):
            return
        last[0] = now
        if total:
            set_progress((f"{min(100, 100 * done / total):.0f}",
                          f"Downloading {product.filename}: {_size(done)} of {_size(total)}",
                          False))
        else:
            set_progress((None, f"Downloading {product.filename}: {_size(done)}", False))
    return report


def _remove_partials(handle) -> bool:
    """Delete the temporary files of download jobs that are gone; True if some still run."""
    import psutil  # noqa: PLC0415

    waiting = False
    for key in list(handle.iterkeys()):
        if not str(key).startswith(_PARTIAL):
            continue
        pid = int(str(key)[len(_PARTIAL):])
        try:
            alive = psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            alive = False
        if alive:
            waiting = True
            continue
        for name in handle.get(key) or []:
            Path(name).unlink(missing_ok=True)
        handle.delete(key)
    return waiting
