"""The Diagnostics tab: background, centroid and POS_CORR panels on the light curve's time
axis, the per-pixel grid, and what a chosen panel cannot show for this file (said there).

One writer for each of the tab's properties; ``diagnostics-drawn`` remembers what was drawn,
so an aperture change moves only the grid's highlighted cells. A click in the grid is turned
into its frame here (``grid-jump``), which the browser then shows (assets/view.js).
"""

from __future__ import annotations

from dash import Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from ..data import DataError
from ..data.vetting import pixel_lightcurves
from ..figures.diagnostics import (
    diagnostics_figure,
    grid_highlight_patch,
    grid_point_frame,
    pixel_grid_figure,
)
from ..view import derive
from ..view.owner import ViewRecord
from .parts import mapping, notes


def panels_of(store, tpf, state, masks) -> tuple[dict, list[str]]:
    """The panels the view asks for that this file can fill, and a notice for each part that
    it cannot."""
    panels, missing = {}, []
    if "background" in state.panels:
        series = derive.background_series(store, state.file, state, masks)
        if series is None:
            missing.append("No background to show: this file's FLUX_BKG is missing or all NaN. "
                           "Select background pixels (Aperture tab) and subtract them to see "
                           "their background here.")
        else:
            panels["Background (e⁻/s)"] = series
    if "centroids" in state.panels:
        series = derive.centroid_series(store, state.file, masks)
        if series is None:
            missing.append("No centroids: the aperture is empty.")
        else:
            panels["Centroid column"], panels["Centroid row"] = series
        if derive.pos_corr_usable(tpf):
            panels["POS_CORR1 (px)"] = tpf.pos_corr1
            panels["POS_CORR2 (px)"] = tpf.pos_corr2
        else:
            missing.append("This file has no usable POS_CORR1/2 (missing or all NaN): only the "
                           "flux-weighted centroids are shown.")
    return panels, missing


def register(app, store) -> None:
    @app.callback(
        output={
            "figure": Output("diagnostics", "figure"),
            "figure_hidden": Output("diagnostics-wrap", "hidden"),
            "grid": Output("pixel-grid", "figure"),
            "grid_hidden": Output("pixel-grid-wrap", "hidden"),
            "notes": Output("diagnostics-notes", "children"),
            "drawn": Output("diagnostics-drawn", "data"),
        },
        inputs={"view": Input("view", "data"), "drawn": State("diagnostics-drawn", "data")},
        prevent_initial_call=True,
    )
    def draw_diagnostics(view, drawn):
        state = ViewRecord.from_store(view).state
        drawn = mapping(drawn)
        want = {"file": state.file, "panels": list(state.panels), "aperture": state.aperture,
                "sky": state.sky, "background": state.background}
        if want == drawn.get("want"):
            raise PreventUpdate
        try:
            tpf = store.get(state.file)
        except DataError:
            raise PreventUpdate from None
        masks = derive.apertures(tpf, state)
        panels, missing = panels_of(store, tpf, state, masks)
        out = {"figure": no_update, "figure_hidden": not panels, "grid": no_update,
               "grid_hidden": "pixels" not in state.panels, "drawn": {**drawn, "want": want}}
        if panels:
            out["figure"] = diagnostics_figure(tpf.time, panels, time_system=tpf.time_system,
                                               revision=state.file)
        if "pixels" in state.panels:
            curves = store.derived(state.file, "pixel-curves", pixel_lightcurves, share=False)
            if drawn.get("grid") == state.file:
                # The grid on the page is this file's: an aperture change only moves the
                # highlighted cells (a few KB), not the whole grid (~700 KB for 50x50).
                out["grid"] = grid_highlight_patch(curves, masks.target, masks.background)
            else:
                out["grid"] = pixel_grid_figure(curves, target_mask=masks.target,
                                                column=tpf.column, row=tpf.row,
                                                background_mask=masks.background,
                                                revision=state.file)
                out["drawn"]["grid"] = state.file
            if curves.limited:
                rows, columns = curves.shape
                missing.append(f"The stamp is {tpf.shape[0]}×{tpf.shape[1]} pixels: the "
                               f"per-pixel grid shows the {rows}×{columns} around the aperture.")
        out["notes"] = notes(missing)
        return out

    @app.callback(
        Output("grid-jump", "data"),
        Input("pixel-grid", "clickData"),
        State("view", "data"),
        prevent_initial_call=True,
    )
    def grid_click(click, view):
        """A click in the per-pixel grid: the frame of that point, for the browser to show."""
        points = mapping(click).get("points")
        point = mapping(points[0]) if isinstance(points, list) and points else None
        state = ViewRecord.from_store(view).state
        if not point or not state.file:
            raise PreventUpdate
        curves = store.derived(state.file, "pixel-curves", pixel_lightcurves, share=False)
        try:
            frame = grid_point_frame(curves, int(point["curveNumber"]), int(point["pointIndex"]))
        except (KeyError, TypeError, ValueError):
            raise PreventUpdate from None
        if frame is None:
            raise PreventUpdate
        return {"file": state.file, "frame": frame, "at": mapping(click).get("timestamp")}
