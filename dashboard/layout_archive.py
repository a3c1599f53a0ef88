"""The archive search panel: find a Kepler, K2 or TESS target at MAST and open its pixels.

Ids (a public interface, listed in the README): ``target`` (what to look for), ``search``,
``archive-mission`` / ``archive-period`` / ``archive-exposure`` (optional filters),
``archive-results`` (the files found; each row's button has the pattern-matching id
``{"type": "archive-open", "index": i}``), ``tesscut-panel`` with ``tesscut-sector``,
``tesscut-size`` and ``tesscut`` (a full-frame-image cutout), ``archive-busy`` with
``archive-progress``, ``archive-progress-text`` and ``cancel-download``, and ``archive-status``.
The callbacks are in callbacks/archive.py.
"""

from __future__ import annotations

from dash import dcc, html

from .data.archive_products import exposure_text

EXPOSURE_CHOICES = [
    {"label": "fast (20 s)", "value": "fast"},
    {"label": "short (1–2 min)", "value": "short"},
    {"label": "long (10–30 min)", "value": "long"},
]
MISSION_CHOICES = [{"label": m, "value": m} for m in ("Kepler", "K2", "TESS")]
CUTOUT_SIZES = (5, 7, 10, 15, 20, 30)
DEFAULT_CUTOUT_SIZE = 10
PLACEHOLDER = "KIC 8462852, EPIC 201572338, TIC 261136679, Kepler-10 or 285.679 +50.241"

_ROW = {"display": "flex", "flexWrap": "wrap", "gap": "8px", "alignItems": "center"}
_CELL = {"padding": "2px 10px", "textAlign": "left"}


def archive_panel() -> html.Div:
    return html.Div(id="archive-panel", className="archive-panel",
                    style={"padding": "6px 12px", "display": "flex", "flexDirection": "column",
                           "gap": "6px"}, children=[
        html.Div(className="archive-search", style=_ROW, children=[
            html.Label("Find a target", htmlFor="target"),
            dcc.Input(id="target", type="text", placeholder=PLACEHOLDER, debounce=False,
                      autoComplete="off", spellCheck=False, n_submit=0,
                      style={"minWidth": "28em", "flex": "1 1 28em"}),
            dcc.Dropdown(id="archive-mission", options=MISSION_CHOICES, value=None,
                         placeholder="any mission", searchable=False,
                         style={"width": "140px", "minWidth": "140px"}),
            dcc.Input(id="archive-period", type="number", min=0, step=1,
                      placeholder="quarter / campaign / sector", style={"width": "14em"}),
            dcc.Dropdown(id="archive-exposure", options=EXPOSURE_CHOICES, value=None,
                         placeholder="any exposure", searchable=False,
                         style={"width": "160px", "minWidth": "160px"}),
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
        dcc.Store(id="archive-found"),  # the listed files and the target's position
    ])


def size_text(size: int | None) -> str:
    if not size:
        return "size unknown"
    return f"{size / 2**20:,.1f} MB" if size >= 2**20 else f"{size / 1024:,.0f} KB"


def results_table(products: list[dict], label: str) -> html.Div:
    """The files found, one row each; the row's Open button downloads (or reuses) and opens it."""
    cone = any(p.get("distance_arcsec") for p in products)
    head = ["Mission", "Quarter / campaign / sector", "Exposure", "Author", "Size", "Target"]
    if cone:
        head.append("Distance")
    rows = []
    for i, p in enumerate(products):
        cells = [p["mission"], p["period_label"], exposure_text(p["exposure_s"]), p["author"],
                 size_text(p["size_bytes"]), p["target_name"]]
        if cone:
            cells.append(f"{p['distance_arcsec']:.1f}″")
        rows.append(html.Tr(className="archive-row", title=p["filename"], children=[
            *[html.Td(c, style=_CELL) for c in cells],
            html.Td(html.Button("Open", id={"type": "archive-open", "index": i},
                                className="archive-open", n_clicks=0,
                                title=f"Download (or reuse the cached copy) and open "
                                      f"{p['filename']}"), style=_CELL),
        ]))
    return html.Div([
        html.Div(f"{len(products)} target pixel file{'s' if len(products) != 1 else ''} of "
                 f"{label} at MAST; pick one to open it:", className="archive-caption"),
        html.Table(className="archive-table", style={"borderCollapse": "collapse"}, children=[
            html.Thead(html.Tr([html.Th(h, style=_CELL) for h in head] + [html.Th("")])),
            html.Tbody(rows),
        ]),
    ])
