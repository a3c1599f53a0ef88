"""The heatmap's pixels and the readout of a cadence, sent as small Patches."""

from __future__ import annotations

import numpy as np
from dash import Input, Output, State, ctx, no_update

from ..data import DataError
from ..data.vetting import difference_image
from ..figures.diagnostics import difference_figure_patch
from ..figures.pixels import frame_patch, stretch_patch
from . import view_state


def readout(tpf, frame: int, flux: np.ndarray | None = None, utc: str | None = None
            ) -> tuple[str, ...]:
    """The current cadence in words: number, mission time, UTC, flux and quality names.

    Returned as the strings of the readout's fixed fields, plus the quality field's class, so
    a step carries a few hundred bytes of text rather than a component tree. ``flux`` is the
    view's light curve (default: the pipeline aperture's); ``utc`` the cadence's UTC when the
    caller has converted a batch of them at once (TargetPixelFile.utc_many).
    """
    time = tpf.time[frame]
    value = (tpf.pipeline_lightcurve if flux is None else flux)[frame]
    names = tpf.quality_names(frame)
    return (
        f"{tpf.cadenceno[frame]}",
        f"{time:.5f} {tpf.time_system}" if np.isfinite(time) else "no time",
        (tpf.utc(frame) if utc is None else utc) or "—",
        f"{value:,.1f} e⁻/s" if np.isfinite(value) else "no data",
        ", ".join(names) if names else "no flags",
        f"frame {frame + 1} of {tpf.n_cadences}",
        f"QUALITY = {tpf.quality[frame]}",
        "field flagged" if names else "field",
    )


def register(app, store) -> None:
    # The browser paints each step itself from prefetched batches (frame_source.py); this
    # brings Plotly's heatmap (hover values, exports) to the frame on screen once stepping
    # pauses: the browser then writes that frame into ``frame-sync``. One output: the readout's
    # strings ride in the trace's meta.
    @app.callback(
        Output("pixels", "figure", allow_duplicate=True),
        Input("frame-sync", "data"),
        Input("image-mode", "value"),
        Input("difference-n", "value"),
        State("cadence", "value"),
        State("session", "data"),
        State("aperture", "data"),
        State("background", "value"),
        State("quality-mask", "value"),
        State("quality-bits", "value"),
        State("stretch", "value"),
        State("scale", "value"),
        prevent_initial_call=True,
    )
    def show_cadence(sync, mode, n, cadence, session, stored_aperture, background, preset, bits,
                     percentiles, scale):
        try:
            fid = session["file"]
            tpf = store.get(fid)
        except (DataError, TypeError, KeyError):
            return no_update
        frame = sync.get("frame") if ctx.triggered_id == "frame-sync" and sync else cadence
        if not isinstance(frame, (int, float)):
            return no_update
        frame = int(np.clip(frame, 0, tpf.n_cadences - 1))
        masks = view_state.aperture(tpf, stored_aperture)
        try:
            flux = view_state.curve(store, fid, masks, background)
        except DataError:
            flux = np.full(tpf.n_cadences, np.nan)
        if mode == "difference":
            hidden = view_state.hidden(store, fid, preset, bits)
            diff = difference_image(tpf, frame, int(n or 5), hidden)
            return difference_figure_patch(diff, frame, readout(tpf, frame, flux))
        # Coming back from difference mode also restores the stretch's colours.
        restretch = ctx.triggered_id == "image-mode"
        return frame_patch(tpf.flux[frame], frame, readout(tpf, frame, flux),
                           stretch=(tpf.levels(*percentiles), scale) if restretch else None)

    @app.callback(
        Output("pixels", "figure", allow_duplicate=True),
        Input("stretch", "value"),
        Input("scale", "value"),
        State("image-mode", "value"),
        State("session", "data"),
        prevent_initial_call=True,
    )
    def restretch(percentiles, scale, mode, session):
        if mode == "difference":
            return no_update  # the difference image keeps its diverging scale centred on zero
        try:
            tpf = store.get(session["file"])
        except (DataError, TypeError, KeyError):
            return no_update
        return stretch_patch(tpf.levels(*percentiles), scale)
