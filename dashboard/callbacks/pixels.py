"""Plotly's heatmap, written by one callback: the whole figure for a new file, else a Patch of
what changed (colours, outlines, the kind of image, or the frame).

The browser paints each step itself (assets/frames.js); once stepping pauses it writes the
frame on screen into ``frame-sync`` and this brings Plotly's own heatmap to it, so hover
values and exports match the screen. ``pixels-drawn`` remembers what was drawn.
"""

from __future__ import annotations

import numpy as np
from dash import Input, Output, Patch, State, no_update
from dash.exceptions import PreventUpdate

from ..data import DataError
from ..figures import pixels
from ..view import derive, drawing
from ..view.owner import ViewRecord
from .parts import mapping


def register(app, store) -> None:
    @app.callback(
        Output("pixels", "figure"),
        Output("pixels-drawn", "data"),
        Input("view", "data"),
        Input("frame-sync", "data"),
        State("pixels-drawn", "data"),
        prevent_initial_call=True,
    )
    def draw_pixels(view, sync, drawn):
        record = ViewRecord.from_store(view)
        state = record.state
        drawn = mapping(drawn)
        try:
            tpf = store.get(state.file)
        except DataError:
            raise PreventUpdate from None
        if drawn.get("file") != state.file:
            frame = record.goto
        elif isinstance(sync, dict) and sync.get("file") == state.file:
            frame = sync.get("frame")
        else:
            frame = drawn.get("frame", 0)
        if not isinstance(frame, (int, float)):
            frame = 0
        frame = int(np.clip(frame, 0, tpf.n_cadences - 1))
        look_key = drawing.key(state, drawing.LOOK_FIELDS)
        outline_key = drawing.key(state, drawing.OUTLINE_FIELDS)
        now = {"file": state.file, "frame": frame, **look_key, **outline_key}
        if now == drawn:
            return no_update, no_update
        if drawn.get("file") != state.file:
            return drawing.pixels_figure(store, state, frame), now
        patch = Patch()
        changed = {k for k, v in look_key.items() if drawn.get(k) != v}
        # New pixels: another frame, or another image of it (flux or a difference, whose
        # reference frames depend on N and the quality mask). Otherwise only new colours.
        new_image = drawn.get("frame") != frame or bool(changed & {"image", "n"}) or (
            state.image == "difference" and bool(changed & {"quality", "bits"}))
        if new_image:
            shown = drawing.image(store, state, frame)
            # A flux frame keeps the stretch's colours; a difference image has its own limits.
            own_look = bool(changed) or state.image == "difference"
            pixels.image_patch(shown, state.file, frame,
                               drawing.look(tpf, state, shown) if own_look else None, patch)
        elif changed and state.image == "flux":
            pixels.look_patch(drawing.look(tpf, state), patch)
        elif changed:  # the difference map's colours: its limits are its pixels'
            shown = drawing.image(store, state, frame)
            pixels.look_patch(drawing.look(tpf, state, shown), patch)
        if any(drawn.get(k) != v for k, v in outline_key.items()):
            masks = derive.apertures(tpf, state)
            pixels.outline_patch(masks.target, masks.background, tpf.column, tpf.row, patch)
        return patch, now
