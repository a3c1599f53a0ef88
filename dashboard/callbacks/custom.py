"""The user's own light curve: upload, column and time-system choices, registration.

The uploaded bytes are kept in the store by content id; the browser's ``custom`` store holds
that id with the user's choices, so the parsed and registered curve can be rebuilt by any
worker (and is cached per process).
"""

from __future__ import annotations

import io
import logging

import numpy as np
from dash import Input, Output, State, html, no_update

from ..data import DataError
from ..data.lightcurves import read_lightcurve, to_mission_time
from ..data.registration import register as register_points
from ..figures.lightcurve import custom_traces
from .files import decode_upload

log = logging.getLogger(__name__)
_KIND = "lightcurves"


def _parse(store, custom: dict):
    data, name = store.get_blob(custom["id"], _KIND)
    system = custom.get("time_system")
    return read_lightcurve(data, name, columns=custom.get("columns") or None,
                           time_system=None if system in (None, "auto") else system)


def custom_curve(store, custom: dict, fid: str):
    """The custom curve, its times in the TPF's system, and its registration onto the TPF
    ``fid``: computed once per (upload, column and time-system choices, TPF) in the store,
    keyed by ids, so a registration can never be served for another file."""
    columns = ",".join(f"{role}={name}" for role, name in sorted(
        (custom.get("columns") or {}).items()))
    key = f"custom:{custom['id']}:{columns}:{custom.get('time_system')}"

    def compute(tpf):
        lc = _parse(store, custom)
        time = to_mission_time(lc, tpf.time_system, tpf.bjd_reference)
        by_cadence = lc.cadenceno is not None and not tpf.cadenceno_synthesised
        registration = register_points(
            time, tpf.time, cadence_days=tpf.cadence_days,
            custom_cadenceno=lc.cadenceno if by_cadence else None,
            tpf_cadenceno=tpf.cadenceno if by_cadence else None)
        return lc, time, registration
    return store.derived(fid, key, compute, share=False)


def custom_view(store, custom: dict, fid: str, normalise=lambda values: values):
    """The custom curve's two traces and its notices ('n of m points matched', the time
    system assumed and why, the reader's notes), for the figure and the message area."""
    tpf = store.get(fid)
    lc, time, registration = custom_curve(store, custom, fid)
    cadence = tpf.cadence_days or float(np.nanmedian(np.diff(tpf.time)))
    traces = custom_traces(time, normalise(lc.flux), registration.frames, name=lc.name,
                           time_system=tpf.time_system, max_gap_days=1.5 * cadence)
    notices = [f"{lc.name}: {registration.summary()} Times read as {lc.time_system}: "
               f"{lc.time_system_reason}.", *lc.notes]
    return traces, notices


def lightcurve_blob(lc) -> bytes:
    """A CustomLightCurve given in Python (``show(lc=...)``), as CSV bytes the upload path
    reads back, so every worker can rebuild it from the store like an uploaded file."""
    columns = {"time": lc.time, "flux": lc.flux, "flux_err": lc.flux_err,
               "cadenceno": lc.cadenceno, "quality": lc.quality}
    names = [name for name, values in columns.items() if values is not None]
    table = np.column_stack([np.asarray(columns[name], dtype=np.float64) for name in names])
    buffer = io.StringIO()
    # %.17g: every float64 survives the text round trip exactly.
    np.savetxt(buffer, table, delimiter=",", header=",".join(names), comments="", fmt="%.17g")
    return buffer.getvalue().encode()


def _options(names: list[str]) -> list[dict]:
    return [{"label": name, "value": name} for name in names]


def register(app, store, settings) -> None:
    limit = int(settings["max_lightcurve_upload_mb"] * 2**20)

    @app.callback(
        Output("custom", "data"),
        Output("custom-controls", "hidden"),
        Output("custom-time", "options"),
        Output("custom-time", "value"),
        Output("custom-flux", "options"),
        Output("custom-flux", "value"),
        Output("custom-err", "options"),
        Output("custom-err", "value"),
        Output("custom-system", "value"),
        Output("message", "children", allow_duplicate=True),
        Input("upload-lightcurve", "contents"),
        State("upload-lightcurve", "filename"),
        prevent_initial_call=True,
    )
    def upload(contents, filename):
        filename = filename or "uploaded light curve"
        try:
            data = decode_upload(contents, limit, filename)
            lc = read_lightcurve(data, filename, max_bytes=limit)
        except DataError as exc:
            log.info("refused light curve %r: %s", filename, exc)
            return (*(no_update,) * 9,
                    html.Div(str(exc), className="error", id="custom-error"))
        fid = store.put_blob(data, _KIND, filename)
        candidates = lc.candidates
        # The registration notice (analysis.py) follows at once and says what was assumed.
        notes = [f"{lc.name}: {len(lc.time):,} points read."]
        return ({"id": fid, "name": lc.name, "columns": None, "time_system": "auto"}, False,
                _options(candidates.get("time", [])), lc.columns.get("time"),
                _options(candidates.get("flux", [])), lc.columns.get("flux"),
                _options(candidates.get("flux_err", [])), lc.columns.get("flux_err"),
                "auto", [html.Div(text, className="notice") for text in notes])

    @app.callback(
        Output("custom", "data", allow_duplicate=True),
        Input("custom-time", "value"),
        Input("custom-flux", "value"),
        Input("custom-err", "value"),
        Input("custom-system", "value"),
        State("custom", "data"),
        prevent_initial_call=True,
    )
    def choose(time, flux, flux_err, system, custom):
        if not custom:
            return no_update
        columns = {role: name for role, name in
                   (("time", time), ("flux", flux), ("flux_err", flux_err)) if name}
        chosen = {**custom, "columns": columns, "time_system": system or "auto"}
        return no_update if chosen == custom else chosen

    @app.callback(
        Output("custom", "data", allow_duplicate=True),
        Output("custom-controls", "hidden", allow_duplicate=True),
        Output("upload-lightcurve", "contents"),
        Input("custom-clear", "n_clicks"),
        prevent_initial_call=True,
    )
    def clear(_):
        return {}, True, None
