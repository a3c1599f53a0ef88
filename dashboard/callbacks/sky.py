"""The Sky tab: catalogue sources on the image, the aperture's contamination, your own
catalogue, and the known asteroids at the frame on screen.

Queries run as background jobs (they wait on outside services, within the settings'
``catalog_timeout``), so the page keeps stepping; their answers are cached by the services in
the shared cache. What they found is drawn on the image by callbacks/pixels.py from
``sky-field`` and ``sky-known``. ``sky-file`` follows the view's file, so a new file is looked
up again without a job per view change.
"""

from __future__ import annotations

import logging
from pathlib import Path

from dash import Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from ..caching import background_manager
from ..data import DataError
from ..data.sky import read_catalogue_csv
from ..view import sky
from ..view.owner import ViewRecord
from .files import decode_upload
from .parts import mapping, notes

log = logging.getLogger(__name__)


def register(app, store, settings) -> None:
    import diskcache  # noqa: PLC0415 (only the server needs it)

    manager = background_manager(
        settings, diskcache.Cache(str(Path(settings.cache_dir) / "sky-jobs")))

    # None of these at load: the layout holds their first values (view/opening.py).
    @app.callback(Output("sky-file", "data"), Input("view", "data"), State("sky-file", "data"),
                  prevent_initial_call=True)
    def follow_file(view, current):
        fid = ViewRecord.from_store(view).state.file
        if fid == current:
            raise PreventUpdate
        return fid

    @app.callback(Output("sky-sources", "options"), Input("sky-file", "data"),
                  Input("sky-catalog", "data"), prevent_initial_call=True)
    def choices(fid, catalogue):
        try:
            return sky.options(store.get(fid), mapping(catalogue))
        except DataError:
            raise PreventUpdate from None

    @app.callback(
        output={"field": Output("sky-field", "data"), "known": Output("sky-known", "data"),
                "status": Output("sky-status", "children")},
        inputs={"chosen": Input("sky-sources", "value"), "file": Input("sky-file", "data"),
                "ask": Input("sky-ask", "data"), "view": State("view", "data"),
                "catalogue": State("sky-catalog", "data")},
        background=True, manager=manager, interval=300,
        running=[(Output("sky-asteroids", "disabled"), True, False),
                 (Output("sky-busy", "hidden"), False, True)],
        prevent_initial_call=True,
    )
    def sky_job(chosen, file, ask, view, catalogue):
        record = ViewRecord.from_store(view)
        fid = record.state.file
        if ctx.triggered_id == "sky-ask":
            ask = mapping(ask)  # the frame on screen at the click (the browser's)
            frame = ask["frame"] if ask.get("file") == fid and \
                isinstance(ask.get("frame"), int) else record.goto
            try:
                known = dict(sky.asteroids(store, settings, fid, frame), file=fid)
            except DataError as exc:
                return {"field": no_update, "known": None, "status": notes([str(exc)], "error")}
            count = len(known["objects"])
            words = (f"SkyBoT: {count} known object{'s' if count != 1 else ''} on the stamp at "
                     f"frame {frame} ({known['utc']} UTC, observatory {known['observatory']}).")
            return {"field": no_update, "known": known, "status": notes([words])}
        chosen = [c for c in chosen or [] if c in sky.CATALOGUES]
        if not chosen:
            return {"field": {"file": fid, "fields": {}}, "known": no_update, "status": []}
        fields, status = sky.look_up(store, settings, fid, chosen, mapping(catalogue))
        kind = "notice" if fields else "error"
        return {"field": {"file": fid, "fields": fields}, "known": no_update,
                "status": notes(status, kind)}

    @app.callback(Output("sky-contamination", "children"), Input("view", "data"),
                  Input("sky-field", "data"), prevent_initial_call=True)
    def contamination(view, field):
        state = ViewRecord.from_store(view).state
        field = mapping(field)
        if field.get("file") != state.file or not field.get("fields"):
            return []
        try:
            return notes(sky.summary(store, state, field["fields"]))
        except (DataError, KeyError, TypeError, ValueError):
            return []

    @app.callback(
        Output("sky-catalog", "data"),
        Output("sky-upload-status", "children"),
        Output("sky-upload", "contents"),
        Input("sky-upload", "contents"),
        State("sky-upload", "filename"),
        prevent_initial_call=True,
    )
    def upload_catalogue(contents, filename):
        if contents is None:
            raise PreventUpdate
        name = filename if isinstance(filename, str) and filename else "catalogue.csv"
        try:
            data = decode_upload(contents, settings.max_lightcurve_bytes, name)
            sources = read_catalogue_csv(data, name)
            fid = store.put_blob(data, sky.CATALOGUE_KIND, name)  # may say the store is down
        except DataError as exc:
            return no_update, notes([str(exc)], "error"), None
        words = (f"{name}: {len(sources)} source{'s' if len(sources) != 1 else ''} read; tick "
                 "'your catalogue' to draw them.")
        return {"id": fid, "name": name}, notes([words]), None
