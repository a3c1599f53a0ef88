"""Choosing pixels: clicks and box/lasso selections on the image edit the target or background
aperture; clicks in the per-pixel grid jump to a cadence."""

from __future__ import annotations

import numpy as np
from dash import ClientsideFunction, Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from ..data import DataError
from ..data.masks import encode_mask, mask_from_selection, toggle_pixel
from ..data.vetting import pixel_lightcurves
from ..figures.diagnostics import grid_point_frame


def replay(tpf, edits: list[dict]) -> dict:
    """The encoded target/background masks after ``edits`` (toggle, select, clear) are applied
    in order to the pipeline aperture and an empty background."""
    masks = {"target": tpf.pipeline_mask.copy(), "background": np.zeros(tpf.shape, dtype=bool)}
    for edit in edits:
        which = "background" if edit.get("which") == "background" else "target"
        op = edit.get("op")
        if op == "clear":
            masks[which] = np.zeros(tpf.shape, dtype=bool)
        elif op == "toggle":
            row = int(round(edit["y"])) - tpf.row
            column = int(round(edit["x"])) - tpf.column
            if 0 <= row < tpf.shape[0] and 0 <= column < tpf.shape[1]:
                masks[which] = toggle_pixel(masks[which], row, column)
        elif op == "select" and edit.get("selection"):
            masks[which] = mask_from_selection(tpf.shape, edit["selection"], column=tpf.column,
                                               row=tpf.row)
    return {which: encode_mask(mask) for which, mask in masks.items()}


def register(app, store) -> None:
    app.clientside_callback(
        ClientsideFunction("tpf", "editAperture"),
        Output("aperture-edits", "data"),
        Input("pixels", "clickData"),
        Input("pixels", "selectedData"),
        Input("aperture-reset", "n_clicks"),
        Input("aperture-clear", "n_clicks"),
        State("select-mode", "value"),
        State("aperture-edits", "data"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output("aperture", "data"),
        Input("aperture-edits", "data"),
        State("session", "data"),
        prevent_initial_call=True,
    )
    def edit_aperture(edits, session):
        """Replay every edit since the pipeline aperture: each request carries the whole list
        (appended in the browser), so clicks faster than a round trip are never lost."""
        try:
            tpf = store.get(session["file"])
        except (DataError, TypeError, KeyError):
            raise PreventUpdate from None
        return replay(tpf, edits or [])

    @app.callback(
        Output("cadence", "value", allow_duplicate=True),
        Input("pixel-grid", "clickData"),
        State("session", "data"),
        prevent_initial_call=True,
    )
    def grid_click(click, session):
        """A click in the per-pixel grid jumps to the cadence of that point."""
        point = (click or {}).get("points", [None])[0]
        if not point:
            raise PreventUpdate
        curves = store.derived(session["file"], "pixel-curves", pixel_lightcurves, share=False)
        frame = grid_point_frame(curves, point["curveNumber"], point["pointIndex"])
        return no_update if frame is None else frame
