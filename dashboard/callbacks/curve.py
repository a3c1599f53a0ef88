"""The light curve's one writer: the whole figure for a new file, else a Patch of what the
view's change alters (the aperture sum, the masked marks, the custom curve, the axis titles).

``lightcurve-drawn`` is this callback's memory of what it drew, written in the same response
as the figure, so a response Dash drops for a newer one can never leave the two apart.
"""

from __future__ import annotations

from dash import Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from ..data import DataError
from ..figures import lightcurve as curves
from ..view import drawing
from ..view.custom import parse_custom
from ..view.owner import ViewRecord
from .parts import mapping


def register(app, store) -> None:
    @app.callback(
        Output("lightcurve", "figure"),
        Output("lightcurve-drawn", "data"),
        Input("view", "data"),
        Input("custom", "data"),
        # Zoomed on a long curve (an overview, figures/lightcurve.py): the frames in view
        # are drawn in full.
        Input("lightcurve", "relayoutData"),
        State("lightcurve-drawn", "data"),
        prevent_initial_call=True,
    )
    def draw_curve(view, custom, relayout, drawn):
        state = ViewRecord.from_store(view).state
        custom = parse_custom(custom) or {}
        want = {**drawing.key(state, drawing.CURVE_FIELDS), "custom": custom}
        zoomed = curves.zoomed_x_range(relayout)
        try:
            if want == drawn:
                # Only a change of the time range counts (not the graph's own autosize).
                x_changed = zoomed is not None or mapping(relayout).get("xaxis.autorange")
                if (ctx.triggered_id != "lightcurve" or not x_changed
                        or not drawing.curve_is_overview(store, state)):
                    return no_update, no_update
                return drawing.curve_zoom(store, state, zoomed), no_update
            if mapping(drawn).get("file") != state.file:
                return drawing.curve_figure(store, state, custom), want
            return drawing.curve_parts(store, state, custom, zoomed), want
        except DataError:
            raise PreventUpdate from None  # the file is gone; the owner says so
