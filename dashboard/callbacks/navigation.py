"""Moving between cadences happens in the browser: no server round trip to pick a frame.

The functions live in assets/dashboard.js (namespace ``tpf``); the browser paints the chosen
frame from batches it fetches ahead (assets/frames.js, callbacks/frame_source.py).
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
        ClientsideFunction("tpf", "frameSource"),
        Output("painter", "title"),
        Input("frame-source", "data"),
    )
    app.clientside_callback(
        ClientsideFunction("tpf", "rate"),
        Output("player", "interval"),
        Input("speed", "value"),
    )
