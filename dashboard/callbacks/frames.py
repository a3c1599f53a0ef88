"""Per-cadence updates: the heatmap's pixels and the readout, sent as small Patches."""

from __future__ import annotations

import numpy as np
from dash import Input, Output, State, html, no_update

from ..data import DataError
from ..figures.pixels import frame_patch, stretch_patch


def readout(tpf, frame: int) -> list:
    """The current cadence in words: number, mission time, UTC, flux and quality names."""
    time = tpf.time[frame]
    flux = tpf.pipeline_lightcurve[frame]
    names = tpf.quality_names(frame)
    fields = [
        ("Cadence", f"{tpf.cadenceno[frame]}",
         f"frame {frame + 1} of {tpf.n_cadences}"),
        (tpf.time_system, f"{time:.5f}" if np.isfinite(time) else "no time", ""),
        ("UTC", tpf.utc[frame] or "—", ""),
        ("Flux", f"{flux:,.1f} e⁻/s" if np.isfinite(flux) else "no data", "pipeline aperture"),
        ("Quality", ", ".join(names) if names else "no flags",
         f"QUALITY = {tpf.quality[frame]}"),
    ]
    return [html.Div(className="field" + (" flagged" if label == "Quality" and names else ""),
                     children=[html.Span(label, className="label"),
                               html.Span(value, className="value", id=f"readout-{i}"),
                               html.Span(note, className="note")])
            for i, (label, value, note) in enumerate(fields)]


def register(app, store) -> None:
    @app.callback(
        Output("pixels", "figure", allow_duplicate=True),
        Output("readout", "children"),
        Input("cadence", "value"),
        State("session", "data"),
        prevent_initial_call=True,
    )
    def show_cadence(frame, session):
        try:
            tpf = store.get(session["file"])
        except (DataError, TypeError, KeyError):
            return no_update, no_update
        frame = int(np.clip(frame or 0, 0, tpf.n_cadences - 1))
        return frame_patch(tpf.flux[frame]), readout(tpf, frame)

    @app.callback(
        Output("pixels", "figure", allow_duplicate=True),
        Input("stretch", "value"),
        Input("scale", "value"),
        State("session", "data"),
        prevent_initial_call=True,
    )
    def restretch(percentiles, scale, session):
        try:
            tpf = store.get(session["file"])
        except (DataError, TypeError, KeyError):
            return no_update
        return stretch_patch(tpf.levels(*percentiles), scale)
