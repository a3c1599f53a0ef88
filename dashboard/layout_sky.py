"""The Sky tab: who else is on these pixels, and which known asteroid crossed them. Ids
(README): ``sky-sources`` (the catalogues to draw), ``sky-status`` (what they gave, or why
not), ``sky-contamination`` (the aperture's share of other stars' light), ``sky-asteroids``
(ask SkyBoT for the frame on screen), ``sky-busy``, ``sky-upload`` and ``sky-upload-status``
(a catalogue of your own). The callbacks are in callbacks/sky.py."""

from __future__ import annotations

from dash import dcc, html


def sky_panel(options: list[dict]) -> html.Div:
    return html.Div(className="tools", children=[
        html.Fieldset(className="tool sky-tool", children=[
            html.Legend("Catalogue sources on the image"),
            dcc.Checklist(id="sky-sources", value=[], options=options),
            html.Div("Positions moved to the file's epoch with their proper motions; sources "
                     "down to 6 mag fainter than the target; marker size by brightness. Hover a "
                     "source for its share of light in the aperture.", className="hint"),
            html.Div(id="sky-contamination", className="notes", role="status"),
        ]),
        html.Fieldset(className="tool", children=[
            html.Legend("Known asteroids"),
            html.Button("Known asteroids at this frame (SkyBoT)", id="sky-asteroids"),
            html.Div(id="sky-busy", hidden=True, children=html.Span("asking…", className="note")),
            html.Div("Positions and motion at the frame on screen; a moving blip the report "
                     "finds near one is named after it.", className="hint"),
        ]),
        html.Fieldset(className="tool", children=[
            html.Legend("Your own catalogue"),
            dcc.Upload(id="sky-upload", className="upload", multiple=False,
                       children=html.Span(["Drop a CSV (id, ra, dec; optional pmra, pmdec "
                                           "mas/yr, ref_epoch, mag) or ", html.A("choose one")])),
            html.Div(id="sky-upload-status", className="notes", role="status"),
        ]),
        html.Div(id="sky-status", className="notes sky-status", role="status"),
    ])
