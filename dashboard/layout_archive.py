"""The archive search panel: find a Kepler, K2 or TESS target at MAST and open its pixels.

Ids (a public interface, listed in the README): ``target`` (what to look for), ``search``,
``archive-mission`` / ``archive-period`` / ``archive-exposure`` (optional filters),
``archive-results`` (the files found; each row's button has the pattern-matching id
``{"type": "archive-open", "index": i}``), ``tesscut-panel`` with ``tesscut-sector``,
``tesscut-size`` and ``tesscut`` (a full-frame-image cutout), ``archive-busy`` with
``archive-progress``, ``archive-progress-text`` and ``cancel-download``, ``archive-status`` and
``archive-cancelled``.
The callbacks are in callbacks/archive.py.
"""

from __future__ import annotations

from dash import dcc, html

EXPOSURE_CHOICES = [
    {"label": "fast (20 s)", "value": "fast"},
    {"label": "short (1–2 min)", "value": "short"},
    {"label": "long (10–30 min)", "value": "long"},
]
MISSION_CHOICES = [{"label": m, "value": m} for m in ("Kepler", "K2", "TESS")]
CUTOUT_SIZES = (5, 7, 10, 15, 20, 30)
DEFAULT_CUTOUT_SIZE = 10
PLACEHOLDER = "KIC 8462852, EPIC 201572338, TIC 261136679, Kepler-10 or 285.679 +50.241"
# The examples above as the box can show them whole at its narrowest (the title has them all).
SHORT_PLACEHOLDER = "KIC 8462852, TIC 261136679, Kepler-10 or 285.679 +50.241"

_ROW = {"display": "flex", "flexWrap": "wrap", "gap": "8px", "alignItems": "center"}


def archive_panel() -> html.Div:
    return html.Div(id="archive-panel", className="archive-panel",
                    style={"padding": "6px 12px", "display": "flex", "flexDirection": "column",
                           "gap": "6px"}, children=[
        html.Div(className="archive-search", style=_ROW, children=[
            html.Label("Find a target", htmlFor="target"),
            html.Span(title=PLACEHOLDER, className="target-box", children=dcc.Input(
                id="target", type="text", placeholder=SHORT_PLACEHOLDER, debounce=False,
                autoComplete="off", spellCheck=False, n_submit=0,
                style={"width": "100%", "minWidth": "30em"})),
            dcc.Dropdown(id="archive-mission", options=MISSION_CHOICES, value=None,
                         placeholder="any mission", searchable=False,
                         style={"width": "11em", "minWidth": "11em"}),
            html.Span(title="Kepler quarter, K2 campaign or TESS sector", children=dcc.Input(
                id="archive-period", type="number", min=0, step=1,
                placeholder="quarter, campaign or sector", style={"width": "19em"})),
            dcc.Dropdown(id="archive-exposure", options=EXPOSURE_CHOICES, value=None,
                         placeholder="any exposure", searchable=False,
                         style={"width": "12em", "minWidth": "12em"}),
            html.Button("Search", id="search", className="search", n_clicks=0,
                        title="Search MAST for this target's target pixel files"),
        ]),
        # (``hidden`` toggles the outer Div: an inline display style would override it.)
        html.Div(id="archive-busy", className="archive-busy", hidden=True, children=html.Div(
            style=_ROW, children=[
                html.Progress(id="archive-progress", max="100"),
                html.Span(id="archive-progress-text", className="archive-progress-text"),
                html.Button("Cancel", id="cancel-download", className="cancel", disabled=True,
                            title="Stop the search or download; nothing partial is kept"),
            ])),
        html.Div(id="archive-status", className="archive-status", role="status",
                 **{"aria-live": "polite"}),
        html.Div(id="archive-cancelled", className="archive-status"),
        html.Div(id="archive-results", className="archive-results"),
        html.Div(id="tesscut-panel", className="tesscut-panel", hidden=True, children=html.Div(
            style=_ROW, children=[
            html.Span("TESS full-frame-image cutout (TESScut):"),
            dcc.Dropdown(id="tesscut-sector", options=[], value=None, placeholder="sector",
                         searchable=False, clearable=False,
                         style={"width": "130px", "minWidth": "130px"}),
            dcc.Dropdown(id="tesscut-size", value=DEFAULT_CUTOUT_SIZE, searchable=False,
                         clearable=False, style={"width": "130px", "minWidth": "130px"},
                         options=[{"label": f"{s}×{s} px", "value": s} for s in CUTOUT_SIZES]),
            html.Button("Cut out and open", id="tesscut", className="tesscut", n_clicks=0),
        ])),
    ])
