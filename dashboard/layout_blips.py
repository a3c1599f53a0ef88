"""The Blip report tab: is the blip on screen real? Ids (README): ``blip-report`` (the report
of the frame on screen, best explanation first, with its numbers and evidence buttons),
``blip-list`` (the events found in the light curve), and the centroid test's ``centroid-period``,
``centroid-epoch``, ``centroid-duration``, ``centroid-run``, ``centroid-picked`` and
``centroid-result``. The callbacks are in callbacks/blips.py."""

from __future__ import annotations

from dash import dcc, html


def blips_panel() -> html.Div:
    return html.Div(className="blips-tools", children=[
        html.Div(className="blips-column", children=[
            html.H3("This cadence", className="tool-heading"),
            html.Div(id="blip-report", className="blip-report", role="status",
                     children=html.Div("The report follows the frame on screen once stepping "
                                       "pauses.", className="note")),
        ]),
        html.Div(className="blips-column", children=[
            html.H3("Blips in the light curve", className="tool-heading"),
            html.Div(id="blip-list", className="blip-list",
                     children=html.Div("Looking for events…", className="note")),
            html.Fieldset(className="tool", children=[
                html.Legend("Is a repeating dip on the target? (centroid test)"),
                html.Label(["period (d) ", dcc.Input(id="centroid-period", type="number",
                                                     min=0, className="small-input")]),
                html.Label(["epoch (mission time) ", dcc.Input(
                    id="centroid-epoch", type="number", className="small-input")]),
                html.Label(["duration (d) ", dcc.Input(id="centroid-duration", type="number",
                                                       min=0, className="small-input")]),
                html.Div(className="buttons", children=[
                    html.Button("Test this ephemeris", id="centroid-run"),
                    html.Button("Test the picked events", id="centroid-picked"),
                ]),
                html.Div(id="centroid-result", className="centroid-result", role="status"),
            ]),
        ]),
    ])
