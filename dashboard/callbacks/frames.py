"""Per-cadence updates: the heatmap's pixels and the readout, sent as small Patches."""

from __future__ import annotations

import numpy as np
from dash import Input, Output, State, no_update

from ..data import DataError
from ..figures.pixels import frame_patch, stretch_patch


def readout(tpf, frame: int) -> tuple[str, ...]:
    """The current cadence in words: number, mission time, UTC, flux and quality names.

    Returned as the strings of the readout's fixed fields, plus the quality field's class, so
    a step carries a few hundred bytes of text rather than a component tree.
    """
    time = tpf.time[frame]
    flux = tpf.pipeline_lightcurve[frame]
    names = tpf.quality_names(frame)
    return (
        f"{tpf.cadenceno[frame]}",
        f"{time:.5f} {tpf.time_system}" if np.isfinite(time) else "no time",
        tpf.utc(frame) or "—",
        f"{flux:,.1f} e⁻/s" if np.isfinite(flux) else "no data",
        ", ".join(names) if names else "no flags",
        f"frame {frame + 1} of {tpf.n_cadences}",
        f"QUALITY = {tpf.quality[frame]}",
        "field flagged" if names else "field",
    )


READOUT_OUTPUTS = [*(Output(f"readout-{i}", "children") for i in range(5)),
                   Output("readout-note-0", "children"), Output("readout-note-4", "children"),
                   Output("readout-field-4", "className")]


def register(app, store) -> None:
    @app.callback(
        Output("pixels", "figure", allow_duplicate=True),
        *READOUT_OUTPUTS,
        Input("cadence", "value"),
        State("session", "data"),
        prevent_initial_call=True,
    )
    def show_cadence(frame, session):
        try:
            tpf = store.get(session["file"])
        except (DataError, TypeError, KeyError):
            return (no_update,) * (1 + len(READOUT_OUTPUTS))
        frame = int(np.clip(frame or 0, 0, tpf.n_cadences - 1))
        return frame_patch(tpf.flux[frame], frame), *readout(tpf, frame)

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
