"""The application factory: ``create_app(settings)`` builds a Dash app; ``server`` is for gunicorn.

``settings`` is a :class:`dashboard.settings.Settings` (or a dict of overrides of the
environment's, or None: the environment's); see that module for every setting.
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from dash import Dash, ctx, html, no_update, set_props
from flask import jsonify, request

from . import callbacks
from .caching import JobQueueUnavailable, log_to_stderr, shared_cache
from .callbacks import upload_route
from .data import DataError
from .data.object_store import open_object_store
from .data.store import TPFStore
from .fingerprint import code_fingerprint
from .heap import keep_heap_small
from .layout import page
from .settings import Settings
from .static_files import first_view_chunks, preload_first_requests, serve_static_files
from .view.custom import BLOB_KIND, lightcurve_blob
from .view.opening import opening
from .view.owner import ViewRecord
from .view.state import DEFAULT

log = logging.getLogger(__name__)

_HERE = Path(__file__).resolve().parent
# Installed wheels carry assets inside the package; a source checkout has them at the top level.
ASSETS = next(p for p in (_HERE / "assets", _HERE.parent / "assets") if p.is_dir())


def create_app(settings: Settings | Mapping | None = None) -> Dash:
    """Build the dashboard. Raises DataError if the configured source is not a readable TPF
    (or a setting is not of its kind)."""
    if not isinstance(settings, Settings):
        settings = Settings.from_env(**dict(settings or {}))
    keep_heap_small()  # a server's freed memory goes back to the system (dashboard/heap.py)
    app = Dash(
        __name__,
        title="Is that blip real? · TPF dashboard",
        assets_folder=str(ASSETS),
        update_title=None,
        # Only the components the page renders load their code (not MathJax, the markdown
        # and date-picker chunks, dash_table's): ~3 MB less per first visit. plotly.js is
        # assets/plotly-partial.min.js (tools/plotly/), a plain script that defines
        # window.Plotly before the page renders, so dcc.Graph never fetches Dash's own.
        eager_loading=False,
        compress=False,  # static_files compresses, static files once (docs/performance.md)
        on_error=_show_error,
    )
    server = app.server
    serve_static_files(server, app.get_asset_url(""))
    for chunk in first_view_chunks():
        app.scripts.append_script(chunk)
    preload_first_requests(app)
    if settings.secret_key:
        # Dash signs background-job handles with it. Without one, each worker reads a secret
        # from the job store, and a worker that first asks while Redis is down keeps a secret
        # of its own, so its peers refuse the handles it signs.
        server.secret_key = settings.secret_key
    # Flask refuses request bodies over this before reading them. Uploads travel base64-encoded
    # (4/3 of the file) inside a JSON callback body, hence the margin; the exact cap on the
    # decoded file is checked with a clear message in the upload callback.
    server.config["MAX_CONTENT_LENGTH"] = int(settings.max_upload_bytes * 4 / 3 + 2**20)
    store = TPFStore(settings.cache_dir, max_open=settings.max_open_files,
                     shared=shared_cache(server, settings),
                     namespace=f"tpf-dashboard-{code_fingerprint()}",
                     max_unpacked=settings.max_unpacked_bytes,
                     objects=open_object_store(settings.store_url, settings.store_timeout),
                     max_local_bytes=int(settings.local_cache_mb * 2**20))
    default_id = _open_source(store, settings)

    custom = None
    if settings.custom_lightcurve is not None:  # show(tpf, lc=...) from Python
        lc = settings.custom_lightcurve
        custom = {"id": store.put_blob(lightcurve_blob(lc), BLOB_KIND, lc.name, local=True),
                  "name": lc.name, "columns": None, "time_system": lc.time_system}

    catalogue = _catalogue(store, settings)

    def layout():
        return page(settings, opening(store, ViewRecord(DEFAULT.but(file=default_id)), custom,
                                      catalogue))

    app.layout = layout
    callbacks.register(app, store, settings)
    upload_route.register(app, store, settings)  # TPF uploads streamed to disk
    _routes(app, store, settings, default_id)
    app.store = store
    app.default_file = default_id
    app.settings = settings
    return app


def _open_source(store: TPFStore, settings: Settings) -> str:
    """The file every page opens first: every server opens it itself (``local``: kept on this
    server, never evicted, not waiting on an object store)."""
    source = settings.source
    if source is None:
        from .data.demo import demo_bytes

        return store.add(demo_bytes(), "simulated demo", local=True)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return store.add(bytes(source), settings.filename or "file", local=True)
    path = Path(source)
    # Read in pieces, never whole: a TESS 20-second file is ~250 MB (data/tpf_stream.py).
    return store.add_file(path, settings.filename or path.name, local=True)


def _catalogue(store: TPFStore, settings: Settings) -> dict | None:
    """Your own catalogue given on the command line (``--catalog``), checked now: a bad one is
    refused before the server starts, with its reader's message."""
    if not settings.catalog:
        return None
    from .data.sky import read_catalogue_csv
    from .view.sky import CATALOGUE_KIND

    path = Path(settings.catalog)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"Cannot read {path}: {exc.strerror or exc}") from None
    read_catalogue_csv(data, path.name)
    return {"id": store.put_blob(data, CATALOGUE_KIND, path.name, local=True),
            "name": path.name}


def _routes(app: Dash, store: TPFStore, settings: Settings, default_id: str) -> None:
    server = app.server

    @server.errorhandler(413)
    def too_large(error):
        """A request body over MAX_CONTENT_LENGTH, refused unread: on the callback route, answer
        in Dash's own response shape so the page shows why instead of failing silently."""
        if not request.path.endswith("/_dash-update-component"):
            return error
        text = (f"That file is over the upload limit of {settings.max_upload_mb:g} MB. Run the "
                "dashboard locally with `python -m dashboard FILE` to open larger files.")
        message = {"type": "Div", "namespace": "dash_html_components",
                   "props": {"className": "error", "children": text}}
        # Only uploads get this big; the TPF upload's status line says so.
        return jsonify(multi=True, response={"upload-status": {"children": message}})

    @server.errorhandler(KeyError)
    def callback_not_understood(error):
        """A body on the callback route that is no callback of this page (a stale page after
        an upgrade, a script): Dash raises KeyError for it. A client error in one sentence,
        not Flask's 500 page."""
        if not request.path.endswith("/_dash-update-component"):
            raise error
        log.warning("refused a callback request this page does not have: %s", error)
        return jsonify(message="That request is not one of this page's callbacks; reload "
                               "the page."), 400

    @server.route("/health")
    def health():
        return jsonify(status="ok", default_file=default_id, worker=os.getpid(),
                       shared_cache="redis" if settings.redis_url else "files",
                       shared_cache_available=store.shared.available)

    @server.after_request
    def worker_header(response):
        """Which worker process answered (tests and load balancer logs of a multi-worker
        deployment): a few bytes per response."""
        response.headers["X-Worker-PID"] = str(os.getpid())
        return response


def _show_error(error: Exception):
    """Any exception a callback did not expect: log it, tell the user, keep serving. The only
    writer of ``message``."""
    if isinstance(error, JobQueueUnavailable):
        # Refused before the job started (logged where it was refused). Dash drops set_props
        # of a background callback's dispatch, so the message goes out as its status output.
        return _status_outputs(str(error))
    log.exception("callback failed", exc_info=error)
    text = str(error) if isinstance(error, DataError) else (
        f"Something went wrong ({type(error).__name__}); the view was left as it was.")
    set_props("message", {"children": html.Div(text, className="error")})
    return None


_STATUS_OUTPUTS = ("archive-status", "movie-status")


def _status_outputs(text: str):
    """The current callback's outputs, in its own grouping (a dict or list of outputs):
    ``text`` in its status area, nothing else changed."""
    error = html.Div(text, className="error")

    def fill(spec):
        if isinstance(spec, dict) and "id" in spec and "property" in spec:
            status = spec["id"] in _STATUS_OUTPUTS and spec["property"] == "children"
            return error if status else no_update
        if isinstance(spec, dict):
            return {key: fill(value) for key, value in spec.items()}
        if isinstance(spec, (list, tuple)):
            return [fill(value) for value in spec]
        return no_update
    return fill(ctx.outputs_grouping)


def freeze_startup_objects() -> None:
    """Keep the ~180,000 objects of the built app (Dash, Plotly, astropy, the layout) out of
    every later garbage collection: a full collection walking them took 115-130 ms, stalling
    whatever step the worker was serving (one step of 220-250 ms per minute while archive
    searches ran). Frozen before gunicorn forks (``--preload``), their pages also stay shared
    between workers instead of being copied when the collector touches them."""
    gc.collect()
    gc.freeze()


_default_app: Dash | None = None


def __getattr__(name: str):
    """``dashboard.app:server`` for gunicorn, built on first use from the environment."""
    global _default_app
    if name in ("server", "app"):
        if _default_app is None:
            log_to_stderr()
            _default_app = create_app()
            freeze_startup_objects()
        return _default_app.server if name == "server" else _default_app
    raise AttributeError(name)
