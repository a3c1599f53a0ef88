"""The user's own light curve: one owner for the ``custom`` store and its controls.

An upload is read once (its bytes kept in the store by content id, then emptied from the
page); the column and time-system dropdowns and the Remove button change the choices. The
curve itself is drawn by callbacks/curve.py from the store, like the view's own.
"""

from __future__ import annotations

import logging

from dash import Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from ..data import DataError
from ..data.lightcurves import read_lightcurve
from ..view.custom import BLOB_KIND, parse_custom
from .files import decode_upload
from .parts import mapping, notes

log = logging.getLogger(__name__)
_DROPDOWNS = ("custom-time", "custom-flux", "custom-err")
_ROLES = {"custom-time": "time", "custom-flux": "flux", "custom-err": "flux_err"}


def _options(names: list[str]) -> list[dict]:
    return [{"label": name, "value": name} for name in names]


def register(app, store, settings) -> None:
    limit = settings.max_lightcurve_bytes

    @app.callback(
        output={
            "custom": Output("custom", "data"),
            "hidden": Output("custom-controls", "hidden"),
            "options": {name: Output(name, "options") for name in _DROPDOWNS},
            "values": {name: Output(name, "value") for name in (*_DROPDOWNS, "custom-system")},
            "status": Output("custom-status", "children"),
            "contents": Output("upload-lightcurve", "contents"),
        },
        inputs={
            "contents": Input("upload-lightcurve", "contents"),
            "values": {name: Input(name, "value") for name in (*_DROPDOWNS, "custom-system")},
            "clear": Input("custom-clear", "n_clicks"),
            "filename": State("upload-lightcurve", "filename"),
            "custom": State("custom", "data"),
        },
        prevent_initial_call=True,
    )
    def own_custom(contents, values, clear, filename, custom):
        out = {"custom": no_update, "hidden": no_update,
               "options": {name: no_update for name in _DROPDOWNS},
               "values": {name: no_update for name in (*_DROPDOWNS, "custom-system")},
               "status": no_update, "contents": no_update}
        trigger = ctx.triggered_id
        if trigger == "custom-clear":
            return {**out, "custom": {}, "hidden": True, "status": []}
        if trigger == "upload-lightcurve":
            if contents is None:
                raise PreventUpdate
            return {**out, **_upload(store, contents, filename, limit), "contents": None}
        custom = parse_custom(custom)
        if not custom:
            raise PreventUpdate
        values = mapping(values)
        columns = {_ROLES[name]: values[name] for name in _DROPDOWNS
                   if isinstance(values.get(name), str) and values[name]}
        chosen = {**custom, "columns": columns,
                  "time_system": values.get("custom-system") or "auto"}
        return {**out, "custom": chosen} if chosen != custom else out


def _upload(store, contents: str, filename: str | None, limit: int) -> dict:
    filename = filename if isinstance(filename, str) and filename else "uploaded light curve"
    try:
        data = decode_upload(contents, limit, filename)
        lc = read_lightcurve(data, filename, max_bytes=limit)
        fid = store.put_blob(data, BLOB_KIND, filename)  # may say the file store is down
    except DataError as exc:
        log.info("refused light curve %r: %s", filename, exc)
        return {"status": notes([str(exc)], "error")}
    candidates = lc.candidates
    return {
        "custom": {"id": fid, "name": lc.name, "columns": None, "time_system": "auto"},
        "hidden": False,
        "options": {name: _options(candidates.get(_ROLES[name], [])) for name in _DROPDOWNS},
        "values": {**{name: lc.columns.get(_ROLES[name]) for name in _DROPDOWNS},
                   "custom-system": "auto"},
        # The registration notice follows in analysis-notes and says what was assumed.
        "status": notes([f"{lc.name}: {len(lc.time):,} points read."]),
    }
