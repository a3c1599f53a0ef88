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
from ..figures.overlays import SLOTS, overlay_patch, overlay_traces, sky_slots
from ..figures.sky import asteroid_traces, source_traces
from ..view import derive, drawing, sky
from ..view.owner import ViewRecord
from .parts import mapping


def register(app, store) -> None:
    @app.callback(
        Output("pixels", "figure"),
        Output("pixels-drawn", "data"),
        Input("view", "data"),
        Input("frame-sync", "data"),
        Input("blip-overlay", "data"),
        Input("centroid-overlay", "data"),
        Input("sky-field", "data"),
        Input("sky-known", "data"),
        State("pixels-drawn", "data"),
        prevent_initial_call=True,
    )
    def draw_pixels(view, sync, blip, centroid, field, known, drawn):
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
        # Marks of this file only (a report can arrive for the file just left).
        blip = mapping(blip) if mapping(blip).get("file") == state.file else {}
        centroid = mapping(centroid) if mapping(centroid).get("file") == state.file else {}
        field = mapping(field) if mapping(field).get("file") == state.file else {}
        known = mapping(known) if mapping(known).get("file") == state.file else {}
        now = {"file": state.file, "frame": frame, **look_key, **outline_key,
               "marks": [blip, centroid], "context": [field, known]}
        if now == drawn:
            return no_update, no_update
        marks = overlay_traces(blip, centroid, column=tpf.column, row=tpf.row)
        sky_changed = drawn.get("context") != now["context"] or (
            bool(field.get("fields")) and any(drawn.get(k) != v for k, v in outline_key.items()))
        skies = sky_traces(tpf, state, field, known) if sky_changed or \
            drawn.get("file") != state.file else None
        if drawn.get("file") != state.file:
            figure = drawing.pixels_figure(store, state, frame, hover=sky.hover(store, state.file))
            for slot, values in marks.items():
                trace = figure["data"][SLOTS[slot]]
                trace.update(x=values["x"], y=values["y"], text=values["text"])
                trace["marker"] = {**trace["marker"], "symbol": values["symbols"] or "circle"}
            for slot, trace in skies.items():
                figure["data"][SLOTS[slot]] = trace
            return figure, now
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
        if drawn.get("marks") != now["marks"]:
            overlay_patch(marks, patch)
        if skies is not None:
            for slot, trace in skies.items():
                patch["data"][SLOTS[slot]] = trace
        if any(drawn.get(k) != v for k, v in outline_key.items()):
            masks = derive.apertures(tpf, state)
            pixels.outline_patch(masks.target, masks.background, tpf.column, tpf.row, patch)
        return patch, now


def sky_traces(tpf, state, field: dict, known: dict) -> dict:
    """The sky's marks for the view: each catalogue's sources (their share of light in the
    view's aperture in the hover) and the known asteroids, in the figure's slots."""
    target = derive.apertures(tpf, state).target
    sources = []
    for found in (field.get("fields") or {}).values():
        fractions, _, placed = sky.fractions_and_contamination(tpf, found, target)
        sources.append(source_traces(placed, column=tpf.column, row=tpf.row,
                                     fractions=fractions))
    moving = asteroid_traces(known, column=tpf.column, row=tpf.row) if known.get("objects") \
        else []
    return sky_slots(sources, moving)
