"""Archive search, download and TESScut: one background job callback over :class:`MastArchive`.

Searches, downloads and cutouts run in the background (``LocalJobManager``, a process per job
with its state under ``<cache_dir>/background``; or, with ``REDIS_URL``, Celery workers: see
:mod:`dashboard.caching`), so the page keeps stepping meanwhile. One callback owns the archive
panel's outputs: whichever button started it, it writes the results, the status line and,
for a file to open, ``archive-opened``, which the view's owner opens. While a job runs, Search
and Cut-out are disabled and a progress bar with Cancel shows; every failure is a sentence in
``archive-status`` and the view stays as it was. Where MAST is and how long to wait for it
come from the settings (dashboard/settings.py, dashboard/services.py).
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
from ..data.archive import archive_down
from ..data.archive_products import ArchiveProduct
from ..data.errors import DataError
from ..data.targets import parse_target
from ..services import make_archive
from .archive_parts import remove_partials, reporter, results_table, tess_possible

log = logging.getLogger(__name__)

PARTIAL = "tpf-archive-partial:"  # diskcache keys: a download job's pid -> its temporary files
_PRODUCT_FIELDS = {f.name for f in fields(ArchiveProduct)}
_OUTPUTS = ("results", "found", "status", "tesscut_hidden", "sectors", "sector", "opened")


def product_from(data: dict) -> ArchiveProduct:
    """An ArchiveProduct back from the dict the page kept (refusing anything else)."""
    try:
        product = ArchiveProduct(**{k: v for k, v in data.items() if k in _PRODUCT_FIELDS})
    except TypeError:
        raise DataError("That search result is no longer valid; search again.") from None
    if not str(product.product_uri).startswith("mast:"):
        raise DataError("That search result is no longer valid; search again.")
    return product


def _error(text: str) -> html.Div:
    return html.Div(text, className="error", id="archive-error")


def _notice(text: str) -> html.Div:
    return html.Div(text, className="notice")


def register(app, store, settings) -> None:
    import diskcache  # noqa: PLC0415 (only the server needs it)

    # The job state of the process-per-job manager, and in any case the record of partial
    # downloads to remove when a job is cancelled (jobs run on this host either way).
    handle = diskcache.Cache(str(Path(settings.cache_dir) / "background"))
    manager = background_manager(settings, handle)

    @app.callback(
        output={"results": Output("archive-results", "children"),
                "found": Output("archive-found", "data"),
                "status": Output("archive-status", "children"),
                "tesscut_hidden": Output("tesscut-panel", "hidden"),
                "sectors": Output("tesscut-sector", "options"),
                "sector": Output("tesscut-sector", "value"),
                "opened": Output("archive-opened", "data")},
        inputs={"search": Input("search", "n_clicks"), "submit": Input("target", "n_submit"),
                "opens": Input({"type": "archive-open", "index": ALL}, "n_clicks"),
                "cut": Input("tesscut", "n_clicks"),
                "text": State("target", "value"), "mission": State("archive-mission", "value"),
                "period": State("archive-period", "value"),
                "exposure": State("archive-exposure", "value"),
                "found": State("archive-found", "data"),
                "sector": State("tesscut-sector", "value"),
                "size": State("tesscut-size", "value")},
        background=True, manager=manager, interval=250,
        running=[(Output("search", "disabled"), True, False),
                 (Output("tesscut", "disabled"), True, False),
                 (Output("archive-busy", "hidden"), False, True),
                 (Output("archive-status", "hidden"), True, False)],
        # Cancel is enabled by the job's first progress report: only then does the page know
        # the job it would cancel (a click before that could not stop it).
        progress=[Output("archive-progress", "value"),
                  Output("archive-progress-text", "children"),
                  Output("cancel-download", "disabled")],
        progress_default=[None, "", True],
        cancel=[Input("cancel-download", "n_clicks")],
        prevent_initial_call=True,
    )
    def archive_job(set_progress, search, submit, opens, cut, text, mission, period, exposure,
                    found, sector, size):
        trigger = ctx.triggered_id
        out = dict.fromkeys(_OUTPUTS, no_update)
        if trigger in ("search", "target"):
            if not (search or submit):
                raise PreventUpdate
            return {**out, **_search(settings, set_progress, text, mission, period, exposure)}
        if trigger == "tesscut":
            if not cut:
                raise PreventUpdate
            return {**out, **_cutout(settings, store, set_progress, found, sector, size)}
        index = trigger.get("index") if isinstance(trigger, dict) else None
        if index is None or not opens or index >= len(opens) or not opens[index]:
            raise PreventUpdate  # the rows were just drawn, nothing was clicked
        return {**out, **_download(settings, store, set_progress, handle, found, index)}

    @app.callback(
        Output("archive-cancelled", "children"),
        Input("cancel-download", "n_clicks"),
        prevent_initial_call=True,
    )
    def cancelled(_):
        """Dash kills the job; here whatever half-written file it left is removed."""
        deadline = time.monotonic() + 3
        while remove_partials(handle, PARTIAL) and time.monotonic() < deadline:
            time.sleep(0.1)
        return _notice(f"Cancelled at {time.strftime('%H:%M:%S')}; nothing partial was kept.")


def _search(settings, set_progress, text, mission, period, exposure) -> dict:
    set_progress((None, f"Searching MAST for {str(text or '').strip()}…", False))
    nothing = {"results": [], "found": None, "tesscut_hidden": True, "sectors": [],
               "sector": None}
    try:
        target = parse_target(text or "")
        archive = make_archive(settings)
    except DataError as exc:
        return {**nothing, "status": _error(str(exc))}
    products, problem = [], None
    try:
        products = archive.search(target, mission=mission or None,
                                  period=None if period in (None, "") else int(period),
                                  exposure=exposure or None)
    except DataError as exc:
        problem = str(exc)
        if archive_down(problem):  # nothing else will work either
            return {**nothing, "status": _error(problem)}
    except Exception:  # noqa: BLE001 (an answer nobody foresaw: say so, keep the view)
        log.exception("archive search failed")
        return {**nothing, "status": _error("The archive search failed unexpectedly; the view "
                                            "was left as it was. Try again.")}
    position, sectors, cut_note = None, [], None
    if tess_possible(target, mission):
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
        status.append(_notice(f"TESScut can cut {target.label} out of the full-frame images of "
                              f"sector{'s' if len(sectors) > 1 else ''} "
                              f"{', '.join(map(str, sectors))}."))
    elif cut_note:
        status.append(_notice(cut_note))
    return {"results": results_table(found["products"], target.label) if products else [],
            "found": found, "status": status, "tesscut_hidden": not sectors,
            "sectors": [{"label": f"Sector {s}", "value": s} for s in sectors],
            "sector": sectors[-1] if sectors else None}


def _download(settings, store, set_progress, handle, found, index) -> dict:
    try:
        product = product_from(found["products"][index])
    except (DataError, TypeError, KeyError, IndexError):
        return {"status": _error("That search result is no longer valid; search again.")}
    set_progress((None, f"Fetching {product.filename}…", False))
    try:
        archive = make_archive(settings)
        cached = archive.cache.get(product.cache_key) is not None
        path = archive.download(product, progress=reporter(set_progress, product, handle,
                                                           archive.cache.directory, PARTIAL))
        set_progress((None, f"Opening {product.filename}…", False))
        fid = store.add(path.read_bytes(), product.filename)
    except DataError as exc:
        return {"status": _error(str(exc))}
    except Exception:  # noqa: BLE001
        log.exception("archive download failed")
        return {"status": _error(f"Opening {product.filename} failed unexpectedly; the view "
                                 "was left as it was. Try again.")}
    finally:
        handle.delete(PARTIAL + str(os.getpid()))
    how = "from the download cache" if cached else "downloaded from MAST"
    return {"opened": {"file": fid, "name": product.filename},
            "status": _notice(f"Opened {product.filename} ({product.mission} "
                              f"{product.period_label}, {how}).")}


def _cutout(settings, store, set_progress, found, sector, size) -> dict:
    position = (found or {}).get("position")
    if not position or sector is None:
        return {"status": _error("Search for a TESS target or a position first, then choose a "
                                 "sector.")}
    size = int(size or 10)
    set_progress((None, f"TESScut is cutting {size}×{size} px from sector {sector}…", False))
    try:
        path = make_archive(settings).tesscut(position[0], position[1], int(sector), size)
        name = (f"tesscut-s{int(sector):04d}_{position[0]:.5f}_{position[1]:+.5f}_"
                f"{size}x{size}_astrocut{''.join(path.suffixes)}")
        fid = store.add(path.read_bytes(), name)
    except DataError as exc:
        return {"status": _error(str(exc))}
    except Exception:  # noqa: BLE001
        log.exception("TESScut failed")
        return {"status": _error("The TESScut cutout failed unexpectedly; the view was left "
                                 "as it was. Try again.")}
    return {"opened": {"file": fid, "name": name},
            "status": _notice(f"Opened a {size}×{size} px TESScut cutout of "
                              f"{found.get('label')}, sector {sector}.")}


def _position(archive, target) -> tuple[float, float] | None:
    if target.kind == "coordinates":
        return target.ra, target.dec
    # The same resolver (with the same timeout) the archive uses for names; it knows TIC ids.
    return archive.resolve(target.name if target.kind == "name" else f"TIC {target.id}")
