"""``analysis-notes``: what the view's choices give, in words, where the user looks: an empty
aperture, a background that cannot be subtracted, the custom curve's registration."""

from __future__ import annotations

from dash import Input, Output

from ..data import DataError
from ..view import derive, drawing
from ..view.custom import parse_custom
from ..view.owner import ViewRecord
from .parts import notes


def view_notices(store, state, custom) -> list[str]:
    try:
        tpf = store.get(state.file)
    except DataError as exc:
        return [str(exc)]
    out = []
    masks = derive.apertures(tpf, state)
    try:
        derive.curve(store, state.file, state, masks)
    except DataError as exc:  # empty aperture, no FLUX_BKG, empty background aperture
        out.append(str(exc))
    return out + drawing.custom_notices(store, state, custom, tpf)


def register(app, store) -> None:
    @app.callback(
        Output("analysis-notes", "children"),
        Input("view", "data"),
        Input("custom", "data"),
        prevent_initial_call=True,
    )
    def show_notes(view, custom):
        return notes(view_notices(store, ViewRecord.from_store(view).state,
                                  parse_custom(custom)))
