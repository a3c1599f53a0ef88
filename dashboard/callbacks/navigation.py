"""Moving between cadences happens in the browser: no server round trip to pick a frame.

The functions live in assets/dashboard.js (namespace ``tpf``). Only the chosen frame's pixels
and readout then come from the server (frames.show_cadence).
"""

from __future__ import annotations

from dash import ClientsideFunction, Input, Output, State


def register(app) -> None:
    app.clientside_callback(
        ClientsideFunction("tpf", "step"),
        Output("cadence", "value", allow_duplicate=True),
        Input("prev", "n_clicks"),
        Input("next", "n_clicks"),
        Input("player", "n_intervals"),
        Input("lightcurve", "clickData"),
        Input("diagnostics", "clickData"),
        State("cadence", "value"),
        State("cadence", "max"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("tpf", "togglePlay"),
        Output("player", "disabled"),
        Output("play", "children"),
        Input("play", "n_clicks"),
        State("player", "disabled"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("tpf", "mask"),
        Output("client-state", "title"),
        Input("hidden", "data"),
        Input("skip-masked", "value"),
    )
    app.clientside_callback(
        ClientsideFunction("tpf", "rate"),
        Output("player", "interval"),
        Input("speed", "value"),
    )
