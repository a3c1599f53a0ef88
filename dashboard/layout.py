"""The page's components. Ids listed here are a public interface (README, tests, scripts)."""

from __future__ import annotations

from dash import dcc, html

from .figures.stretch import DEFAULT_PERCENTILES, DEFAULT_SCALE, SCALES
from .layout_archive import archive_panel
from .layout_share import share_panel
from .layout_tools import custom_panel, diagnostics_views, vetting_panel

PLAYBACK_RATES = [2, 5, 10, 24, 30]  # frames per second
DEFAULT_RATE = 10

_GRAPH_CONFIG = {"displaylogo": False, "scrollZoom": False,
                 "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"]}
# The image keeps box and lasso select: they set the aperture.
_PIXELS_CONFIG = {"displaylogo": False, "scrollZoom": False,
                  "modeBarButtonsToRemove": ["autoScale2d"]}


READOUT_FIELDS = (("Cadence", ""), ("Time", "mission system"), ("UTC", "from TDB"),
                  ("Flux", "pipeline aperture"), ("Quality", ""))


def readout_panel(values: tuple[str, ...]) -> html.Div:
    """Fixed fields; a step only sends their strings (ids readout-0 .. readout-4 and notes).

    ``values`` are the first cadence's: the five field values, the frame note, the quality
    note and the quality field's class (see callbacks.frames.readout).
    """
    notes = [values[5], "", "", "", values[6]]
    return html.Div(id="readout", className="readout", children=[
        html.Div(id=f"readout-field-{i}", className=values[7] if i == 4 else "field", children=[
            html.Span(label, className="label", id=f"readout-label-{i}"),
            html.Span(values[i], className="value", id=f"readout-{i}"),
            html.Span(notes[i] or note, className="note", id=f"readout-note-{i}"),
        ])
        for i, (label, note) in enumerate(READOUT_FIELDS)
    ])


def stretch_panel() -> html.Div:
    return html.Div(className="stretch-controls", children=[
        html.Label("Scale", htmlFor="scale"),
        dcc.RadioItems(id="scale", className="scale", inline=True, value=DEFAULT_SCALE,
                       options=[{"label": s, "value": s} for s in SCALES]),
        html.Label("Stretch (percentiles of the whole cube)", htmlFor="stretch"),
        dcc.RangeSlider(id="stretch", min=0, max=100, step=0.5, value=list(DEFAULT_PERCENTILES),
                        allow_direct_input=False,
                        marks={p: f"{p}%" for p in (0, 25, 50, 75, 100)},
                        tooltip={"placement": "bottom", "always_visible": False}),
    ])


def page(file_id: str, upload_limit_mb: float, view: dict, readout: tuple[str, ...],
         lightcurve_limit_mb: float = 50, custom: dict | None = None) -> html.Div:
    """The whole page, opened on the file ``file_id`` and already drawn (``view``: see
    callbacks.files.file_view), so the first paint needs no callback round trip."""
    return html.Div(className="page", children=[
        dcc.Store(id="session", data={"file": file_id}),
        # Per-browser view state, so any worker can answer the next request.
        dcc.Store(id="aperture-edits", data=[]),  # clicks and selections since the pipeline's
        dcc.Store(id="aperture", data={}),  # {"target": mask code, "background": mask code}
        # {"id", "name", "columns", "time_system"}; {} = none (None would fire at mount).
        dcc.Store(id="custom", data=custom or {}),
        # Runs [first, last] of the frames the quality mask hides, for skipping in the browser.
        dcc.Store(id="hidden", data=view["hidden"]),
        dcc.Store(id="grid-file", data=None),  # file id of the per-pixel grid on the page
        # Where the browser fetches batches of frames and how it colours them
        # (callbacks/frame_source.py), and the frame it asks Plotly's heatmap to catch up to.
        dcc.Store(id="frame-source", data=view.get("frame_source")),
        dcc.Store(id="frame-sync", data=None),
        html.Div(id="client-state", hidden=True),  # output of browser-only callbacks
        html.Div(id="painter", hidden=True),  # output of the frame painter's source callback
        html.Header(className="header", children=[
            html.Div(className="brand", children=["Is that blip real?"]),
            html.Div(id="header", className="target", children=view["header"]),
            html.Div(className="upload-guard",
                     **{"data-max-bytes": str(int(upload_limit_mb * 2**20))},
                     children=dcc.Upload(
                id="upload-tpf", className="upload", multiple=False, accept=".fits,.fz,.gz",
                children=html.Span(["Open a TPF: drop a .fits / .fits.gz here or ",
                                    html.A("choose a file")]),
            )),
        ]),
        archive_panel(),
        html.Div(id="file-notes", className="file-notes", children=view["notes"]),
        # What the current aperture, mask and custom curve give (re-extraction's own notices),
        # apart from `message` so neither erases the other.
        html.Div(id="analysis-notes", className="message"),
        html.Div(id="message", className="message", role="status",
                 **{"aria-live": "polite"}),
        html.Main(className="views", children=[
            html.Div(className="curve-panel", children=[
                html.Div(id="lightcurve-wrap", className="lightcurve-wrap", children=[
                    dcc.Graph(id="lightcurve", className="lightcurve", config=_GRAPH_CONFIG,
                              figure=view["lightcurve"]),
                    html.Div(id="cursor", className="cursor", hidden=True,
                             children=html.Div(className="cursor-dot")),
                ]),
                *diagnostics_views(),
            ]),
            html.Div(className="pixel-panel", children=[
                dcc.Graph(id="pixels", className="pixels", config=_PIXELS_CONFIG,
                          figure=view["pixels"]),
            ]),
        ]),
        html.Section(className="transport", children=[
            html.Button("◀", id="prev", className="step", title="Previous cadence (←)"),
            html.Button("▶ Play", id="play", className="play", title="Play / pause (space)"),
            html.Button("▶", id="next", className="step", title="Next cadence (→)"),
            dcc.Dropdown(id="speed", className="speed", clearable=False, searchable=False,
                         value=DEFAULT_RATE, style={"width": "120px", "minWidth": "120px"},
                         options=[{"label": f"{r} fps", "value": r} for r in PLAYBACK_RATES]),
            html.Div(className="slider", children=dcc.Slider(
                id="cadence", min=0, max=view["max"], step=1, value=0, marks=None,
                updatemode="drag", allow_direct_input=False,
                tooltip={"placement": "bottom", "always_visible": False})),
            dcc.Interval(id="player", interval=1000 // DEFAULT_RATE, disabled=True),
        ]),
        html.Section(className="lower", children=[
            html.Div(className="left-lower", children=[
                readout_panel(readout), custom_panel(lightcurve_limit_mb)]),
            html.Div(className="right-lower", children=[
                stretch_panel(), vetting_panel(view["quality_bits"]), share_panel()]),
        ]),
        html.Footer(className="footer", children=[
            "Keys: ← → step, shift+← → ±10, Home/End, space play/pause. Click the light curve "
            f"to jump to a cadence. TPF uploads up to {upload_limit_mb:g} MB.",
        ]),
    ])
