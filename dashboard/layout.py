"""The page: a workspace that keeps the blip in sight. Ids listed here are a public interface
(README, tests, scripts).

The light curve and the image sit side by side at the top; the transport (slider, buttons,
speed) and the readout are always in view under them; tools, diagnostics, exports and the
archive are tabs in a panel of their own height that scrolls, so opening one never pushes the
views away. Only the open tab's panel is in the page (dcc.Tabs); what must always be there
(the address bar's ``url``, stores) lives outside the panels. The page arrives with its first
view drawn (view/opening.py).
"""

from __future__ import annotations

from dash import dcc, html

from .callbacks.parts import header, notes
from .layout_archive import archive_panel
from .layout_blips import blips_panel
from .layout_readout import readout_panel
from .layout_share import share_panel
from .layout_sky import sky_panel
from .layout_tools import (
    aperture_tools,
    custom_tools,
    diagnostics_tools,
    image_tools,
    quality_tools,
)
from .settings import Settings
from .view.exports import MOVIE_WINDOW
from .view.opening import Opening

PLAYBACK_RATES = [2, 5, 10, 24, 30]  # frames per second
DEFAULT_RATE = 10

# No toolbar button may send the figure to an outside service (Plotly's "Share chart").
_NO_CLOUD = {"displaylogo": False, "showSendToCloud": False, "showEditInChartStudio": False}
_CURVE_CONFIG = {**_NO_CLOUD, "scrollZoom": False,
                 "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d",
                                            "sendChartToCloud"]}
# The image keeps box and lasso select: they set the aperture.
_PIXELS_CONFIG = {**_NO_CLOUD, "scrollZoom": False,
                  "modeBarButtonsToRemove": ["autoScale2d", "sendChartToCloud"]}

# Constants the browser's modules use (assets/view.js, frames.js), in one place.
BROWSER_CONFIG = {
    "syncAfterMs": 250,  # stepping paused this long: Plotly's heatmap catches up
    "reportAfterMs": 600,  # ... and this long: the blip report of the frame on screen
    "playbackPatienceMs": 1000,  # a playback tick waits at most this long for its frame
    "keepBytes": 64 * 2**20,  # frames kept in the browser, nearest the cursor first
    "linkEveryMs": 250,  # Chromium throttles more than ~200 history calls in 10 s
    "movieWindow": MOVIE_WINDOW,
    "defaultRate": DEFAULT_RATE,
}

TABS = (("blips", "Blip report"), ("sky", "Sky"), ("image", "Image"), ("aperture", "Aperture"),
        ("quality", "Quality mask"),
        ("diagnostics", "Diagnostics"), ("custom", "Your light curve"),
        ("share", "Share & export"), ("archive", "Archive"))


def page(settings: Settings, first: Opening) -> html.Div:
    record = first.record
    return html.Div(className="workspace", children=[
        *_stores(first),
        html.Header(className="header", children=[
            html.Div("Is that blip real?", className="brand"),
            html.Div(id="header", className="target", children=header(first.header)),
            html.Div(className="upload-guard",
                     **{"data-max-bytes": str(settings.max_upload_bytes)}, children=dcc.Upload(
                         id="upload-tpf", className="upload", multiple=False,
                         accept=".fits,.fz,.gz", children=html.Span([
                             "Open a TPF: drop a .fits(.gz) or ", html.A("choose a file")]))),
        ]),
        html.Div(className="notes-strip", children=[
            html.Div(id="upload-status", className="notes", role="status"),
            html.Div(id="view-notes", className="notes", role="status"),
            html.Div(id="file-notes", className="notes",
                     children=notes(first.file_notes)),
            html.Div(id="analysis-notes", className="notes", role="status",
                     children=notes(first.analysis_notes)),
            # Errors nobody foresaw (app.py's handler) and the browser's own (frames, uploads).
            html.Div(id="message", className="notes", role="alert"),
            html.Div(id="browser-message", className="notes", role="alert"),
        ]),
        html.Main(className="views", children=[
            html.Div(className="curve-panel", children=[
                html.Div(id="lightcurve-wrap", className="lightcurve-wrap", children=[
                    dcc.Graph(id="lightcurve", className="lightcurve", config=_CURVE_CONFIG,
                              figure=first.lightcurve, responsive=True),
                    html.Div(id="cursor", className="cursor", hidden=True,
                             children=html.Div(className="cursor-dot")),
                ]),
            ]),
            html.Div(className="pixel-panel", children=[
                dcc.Graph(id="pixels", className="pixels", config=_PIXELS_CONFIG,
                          figure=first.pixels, responsive=True),
            ]),
        ]),
        html.Section(className="transport", children=[
            html.Button("◀", id="prev", className="step", title="Previous cadence (←)"),
            html.Button("▶ Play", id="play", className="play", title="Play / pause (space)"),
            html.Button("▶", id="next", className="step", title="Next cadence (→)"),
            dcc.Dropdown(id="speed", className="speed", clearable=False, searchable=False,
                         value=DEFAULT_RATE, style={"width": "7.5em", "minWidth": "7.5em"},
                         options=[{"label": f"{r} fps", "value": r} for r in PLAYBACK_RATES]),
            html.Div(className="slider", children=dcc.Slider(
                id="cadence", min=0, max=first.frames - 1, step=1, value=record.goto,
                marks=None, updatemode="drag", allow_direct_input=False,
                tooltip={"placement": "bottom", "always_visible": False})),
        ]),
        readout_panel(first.readout, first.frames, first.aperture_note, first.time_note,
                      (first.custom or {}).get("name", "")),
        # dcc.Tabs mounts only the open tab's panel; Dash keeps every control's value, so the
        # view's owner reads and writes closed tabs' controls all the same. Mounting every
        # panel cost each of Dash's store updates a selector per component: ~0.3 s of a
        # first view's main thread (bench/renderer_profile.py, docs/performance.md).
        html.Section(className="toolbox", children=dcc.Tabs(
            id="tool-tabs", value=TABS[0][0], className="tool-tabs", children=[
                dcc.Tab(label=label, value=name, id=f"tab-{name}", className="tool-tab",
                        children=html.Section(id=f"panel-{name}", className="tab-panel",
                                              children=content))
                for (name, label), content in zip(TABS, _panels(settings, first),
                                                  strict=True)])),
        html.Footer(className="footer", children=[
            "Keys: ← → step, shift+← → ±10, Home/End, space play/pause. Click the light curve "
            f"to jump to a cadence. TPF uploads up to {settings.max_upload_mb:g} MB.",
        ]),
    ])


def _stores(first: Opening) -> list:
    # No store starts as None: dcc.Store sets a None `data` to undefined when it mounts, which
    # Dash takes for a change and fires every callback it feeds at load.
    return [
        # The view: one validated state, one writer (callbacks/view.py). See view/owner.py.
        dcc.Store(id="view", data=first.record.to_store()),
        dcc.Store(id="config", data=BROWSER_CONFIG),
        # Appended in the browser (clicks and selections on the image), replayed by the owner.
        dcc.Store(id="aperture-edits", data={"epoch": first.record.epoch, "ops": []}),
        # The user's own light curve: {"id", "name", "columns", "time_system"}; {} = none.
        dcc.Store(id="custom", data=first.custom or {}),
        # A file received (upload) or fetched (archive), for the owner to open.
        dcc.Store(id="upload-result", data={}),
        dcc.Store(id="archive-opened", data={}),
        # Where the browser fetches frame batches and how it colours and steps them
        # (view/frame_source.py), and the frame on screen once stepping pauses (view.js).
        dcc.Store(id="frame-source", data=first.frame_source),
        dcc.Store(id="frame-sync", data={}),
        dcc.Store(id="report-frame", data={}),
        # What each drawing callback last drew: it sends only what changed.
        dcc.Store(id="lightcurve-drawn", data=first.drawn.get("lightcurve")),
        dcc.Store(id="pixels-drawn", data=first.drawn.get("pixels")),
        dcc.Store(id="diagnostics-drawn", data={}),
        # A per-pixel grid click, turned into a frame by the server, for the browser to show.
        dcc.Store(id="grid-jump", data={}),
        # The blip report's and the centroid test's marks for the image (callbacks/blips.py),
        # and a frame (and kind of image) a tool's button asks the view's owner for.
        dcc.Store(id="blip-overlay", data={}),
        dcc.Store(id="centroid-overlay", data={}),
        dcc.Store(id="view-request", data={}),
        # The sky: the file it was looked up for, what the catalogues and SkyBoT gave, and
        # your own catalogue (callbacks/sky.py).
        dcc.Store(id="sky-file", data=first.record.state.file),
        dcc.Store(id="sky-field", data={}),
        dcc.Store(id="sky-known", data={}),
        dcc.Store(id="sky-ask", data={}),
        dcc.Store(id="sky-catalog", data=first.catalogue or {}),
        dcc.Location(id="url", refresh=False),
        dcc.Store(id="archive-found"),
        dcc.Store(id="blip-list-drawn", data={}),
    ]


def _panels(settings: Settings, first: Opening) -> list[list]:
    """Each tab's content, in the order of TABS."""
    return [
        [blips_panel()],
        [sky_panel(first.options["sky-sources"])],
        [image_tools()],
        [aperture_tools(first.options["background"])],
        [quality_tools(first.options["quality-bits"])],
        [diagnostics_tools(first.options["diagnostic-panels"])],
        [custom_tools(settings.max_lightcurve_mb)],
        [share_panel()],
        [archive_panel()],
    ]
