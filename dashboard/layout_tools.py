"""The tool panels under the views: image, aperture, quality mask, diagnostics and your own
light curve. Every control starts from the view's defaults (view/state.py, through
view/controls.py); ids are listed in the README."""

from __future__ import annotations

from dash import dcc, html

from .view.controls import control_values
from .view.state import (
    COLORMAPS,
    DEFAULT,
    DIFFERENCE_COLORMAPS,
    MAX_DIFFERENCE_N,
    QUALITY_PRESETS,
    SCALES,
)

TIME_SYSTEM_CHOICES = [("auto", "as detected"), ("BKJD", "BKJD"), ("BTJD", "BTJD"),
                       ("BJD", "BJD / JD"), ("MJD", "MJD")]
_VALUES = control_values(DEFAULT)
_DIFFERENCE_NAMES = {"rdbu": "red–blue", "puor": "purple–orange", "balance": "balance"}


def group(title: str, *children, help_text: str = "", class_name: str = "") -> html.Fieldset:
    return html.Fieldset(className=f"tool {class_name}".strip(), children=[
        html.Legend(title, title=help_text), *children])


def _radio(id_: str, options, inline: bool = True) -> dcc.RadioItems:
    return dcc.RadioItems(id=id_, inline=inline, value=_VALUES[id_], options=options)


def _dropdown(id_: str, options, width: str = "10em", **extra) -> dcc.Dropdown:
    return dcc.Dropdown(id=id_, clearable=False, searchable=False, value=_VALUES[id_],
                        options=options, style={"width": width, "minWidth": width}, **extra)


def image_tools() -> html.Div:
    return html.Div(className="tools", children=[
        group("Stretch",
              html.Label("Scale", htmlFor="scale"),
              _radio("scale", [{"label": s, "value": s} for s in SCALES]),
              html.Label("Range (percentiles of the whole cube)", htmlFor="stretch"),
              dcc.RangeSlider(id="stretch", min=0, max=100, step=0.5, value=_VALUES["stretch"],
                              allow_direct_input=False,
                              marks={p: f"{p}%" for p in (0, 25, 50, 75, 100)},
                              tooltip={"placement": "bottom", "always_visible": False})),
        group("Colours",
              html.Label(["flux ", _dropdown("colormap",
                                             [{"label": c, "value": c} for c in COLORMAPS])]),
              html.Label(["difference ", _dropdown(
                  "difference-colormap",
                  [{"label": _DIFFERENCE_NAMES[c], "value": c} for c in DIFFERENCE_COLORMAPS],
                  width="11em")])),
        group("Image",
              _radio("image-mode", [{"label": "flux", "value": "flux"},
                                    {"label": "difference", "value": "difference"}]),
              html.Label(["N either side ",
                          dcc.Input(id="difference-n", type="number", min=1,
                                    max=MAX_DIFFERENCE_N, step=1, value=_VALUES["difference-n"],
                                    debounce=True, className="small-input")]),
              help_text="Difference: the frame minus the median of the N unmasked cadences on "
                        "either side, so moving or one-off sources stand out from the static "
                        "star."),
    ])


def aperture_tools(background_options: list[dict]) -> html.Div:
    return html.Div(className="tools", children=[
        group("Pixels",
              dcc.RadioItems(id="select-mode", inline=True, value="target", options=[
                  {"label": "click edits the target aperture", "value": "target"},
                  {"label": "click edits background pixels", "value": "background"}]),
              html.Div(className="buttons", children=[
                  html.Button("File's aperture", id="aperture-reset",
                              title="Back to the pipeline's (or threshold) aperture"),
                  html.Button("Clear", id="aperture-clear"),
              ]),
              html.Div("Click a pixel to add or remove it; box or lasso select (image "
                       "toolbar) to set a region.", className="hint"),
              help_text="Click a pixel to add or remove it; box or lasso select (image "
                        "toolbar) to set a region."),
        group("Background",
              dcc.RadioItems(id="background", value=_VALUES["background"],
                             options=background_options)),
    ])


def quality_tools(quality_bits: list[dict]) -> html.Div:
    return html.Div(className="tools", children=[
        group("Quality mask",
              _dropdown("quality-mask", [{"label": q, "value": q} for q in QUALITY_PRESETS]),
              dcc.Dropdown(id="quality-bits", multi=True, placeholder="…plus individual bits",
                           options=quality_bits, value=_VALUES["quality-bits"],
                           style={"minWidth": "18em"}),
              help_text="Presets follow the mission's own bit table, as lightkurve's do."),
        group("Masked cadences",
              _radio("masked-display", [{"label": "mark", "value": "mark"},
                                        {"label": "hide", "value": "hide"}]),
              dcc.Checklist(id="skip-masked", value=_VALUES["skip-masked"], options=[
                  {"label": "skip them when stepping and playing", "value": "skip"}])),
    ])


def diagnostics_tools(panel_options: list[dict]) -> html.Div:
    config = {"displaylogo": False, "showSendToCloud": False,
              "modeBarButtonsToRemove": ["select2d", "lasso2d", "sendChartToCloud"]}
    # Two columns as wide as the views above: the time series under the light curve (same
    # time axis, its cursor right under the curve's), the per-pixel grid under the image.
    return html.Div(className="diagnostics-tools", children=[
        html.Div(className="diagnostics-column", children=[
            dcc.Checklist(id="diagnostic-panels", inline=True,
                          value=_VALUES["diagnostic-panels"], options=panel_options),
            html.Div(id="diagnostics-notes", className="notes"),
            html.Div(id="diagnostics-wrap", className="diagnostics-wrap", hidden=True,
                     children=[
                dcc.Graph(id="diagnostics", className="diagnostics", config=config,
                          figure={"data": [], "layout": {}}),
                html.Div(id="diagnostics-cursor", className="cursor", hidden=True),
            ]),
        ]),
        html.Div(id="pixel-grid-wrap", className="pixel-grid-wrap", hidden=True, children=[
            dcc.Graph(id="pixel-grid", className="pixel-grid", config=config,
                      figure={"data": [], "layout": {}}),
        ]),
    ])


def custom_tools(upload_limit_mb: float) -> html.Div:
    """Upload of the user's own light curve, and its column / time-system choices."""
    return html.Div(className="custom", children=[
        html.Div(className="upload-guard",
                 **{"data-max-bytes": str(int(upload_limit_mb * 2**20))}, children=dcc.Upload(
                     id="upload-lightcurve", className="upload", multiple=False,
                     children=html.Span(["Your light curve beside the pixels: drop a CSV or "
                                         "light-curve FITS or ", html.A("choose a file"),
                                         f" (up to {upload_limit_mb:g} MB)"]))),
        html.Div(id="custom-status", className="notes", role="status"),
        html.Div(id="custom-controls", className="custom-controls", hidden=True, children=[
            html.Label(["time ", dcc.Dropdown(id="custom-time", clearable=False)]),
            html.Label(["flux ", dcc.Dropdown(id="custom-flux", clearable=False)]),
            html.Label(["flux error ", dcc.Dropdown(id="custom-err")]),
            html.Label(["time system ", dcc.Dropdown(
                id="custom-system", clearable=False, value="auto",
                options=[{"label": label, "value": value}
                         for value, label in TIME_SYSTEM_CHOICES])]),
            html.Button("Remove custom curve", id="custom-clear"),
        ]),
        dcc.Checklist(id="normalise", value=_VALUES["normalise"], options=[
            {"label": "normalise each curve by its median", "value": "on"}]),
    ])
