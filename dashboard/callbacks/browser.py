"""Where Dash hands values to the browser's own modules (assets/*.js), and the one callback
that runs in the browser and writes a Dash property (the aperture edits).

The browser module assets/view.js owns the frame on screen, the cursor, the readout, the
address bar and playback; these callbacks have no outputs: they only tell it what changed. The
one that asks it (``sky-ask``) takes the frame on screen at the moment of a click, which the
server cannot know: the page tells it only once stepping pauses.
"""

from __future__ import annotations

from dash import ClientsideFunction, Input, Output, State


def register(app) -> None:
    tell = {
        "setConfig": Input("config", "data"),
        "setView": Input("view", "data"),
        "setSource": Input("frame-source", "data"),
        "setRate": Input("speed", "value"),
        "jump": Input("grid-jump", "data"),
    }
    for function, trigger in tell.items():
        app.clientside_callback(ClientsideFunction("tpf", function), trigger)
    # Clicks and selections on the image are appended here, in the browser, so the list is
    # never stale however fast they come; the view's owner replays it (view/owner.py).
    app.clientside_callback(
        ClientsideFunction("tpf", "editAperture"),
        Output("aperture-edits", "data"),
        Input("pixels", "clickData"),
        Input("pixels", "selectedData"),
        Input("aperture-reset", "n_clicks"),
        Input("aperture-clear", "n_clicks"),
        # Read, not listened to: see apertureEdits in assets/view_rules.js (no loop through
        # the view; tests/callbacks/test_callback_graph.py).
        State("view", "data"),
        State("select-mode", "value"),
        State("aperture-edits", "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("tpf", "frameOnScreen"),
        Output("sky-ask", "data"),
        Input("sky-asteroids", "n_clicks"),
        prevent_initial_call=True,
    )
