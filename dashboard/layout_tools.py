"""Controls of the vetting tools and the custom light curve. Ids are listed in the README."""

from __future__ import annotations

from dash import dcc, html

QUALITY_PRESETS = ["none", "default", "hard", "hardest"]
DEFAULT_QUALITY = "default"
DEFAULT_DIFFERENCE_N = 5
TIME_SYSTEM_CHOICES = [("auto", "as detected"), ("BKJD", "BKJD"), ("BTJD", "BTJD"),
                       ("BJD", "BJD / JD"), ("MJD", "MJD")]


def _group(title: str, *children, help_text: str = "") -> html.Fieldset:
    return html.Fieldset(className="tool", children=[
        html.Legend(title, title=help_text), *children])


def vetting_panel(quality_bits: list[dict]) -> html.Div:
    return html.Div(className="tools", children=[
        _group(
            "Aperture",
            dcc.RadioItems(id="select-mode", inline=True, value="target", options=[
                {"label": "select target pixels", "value": "target"},
                {"label": "select background pixels", "value": "background"}]),
            html.Div(className="buttons", children=[
                html.Button("Pipeline aperture", id="aperture-reset"),
                html.Button("Clear", id="aperture-clear"),
            ]),
            help_text="Click a pixel to add or remove it; box or lasso select (image toolbar) "
                      "to set a region."),
        _group(
            "Background",
            dcc.RadioItems(id="background", value="none", options=[
                {"label": "none", "value": "none"},
                {"label": "subtract FLUX_BKG", "value": "file"},
                {"label": "subtract background pixels", "value": "aperture"}]),
        ),
        _group(
            "Quality mask",
            dcc.Dropdown(id="quality-mask", clearable=False, searchable=False,
                         value=DEFAULT_QUALITY,
                         options=[{"label": q, "value": q} for q in QUALITY_PRESETS]),
            dcc.Dropdown(id="quality-bits", multi=True, placeholder="…plus individual bits",
                         options=quality_bits, value=[]),
            dcc.RadioItems(id="masked-display", inline=True, value="mark", options=[
                {"label": "mark", "value": "mark"}, {"label": "hide", "value": "hide"}]),
            dcc.Checklist(id="skip-masked", value=[], options=[
                {"label": "skip masked cadences when stepping", "value": "skip"}]),
        ),
        _group(
            "Image",
            dcc.RadioItems(id="image-mode", inline=True, value="flux", options=[
                {"label": "flux", "value": "flux"},
                {"label": "difference", "value": "difference"}]),
            html.Label(["N either side ",
                        dcc.Input(id="difference-n", type="number", min=1, max=50, step=1,
                                  value=DEFAULT_DIFFERENCE_N, debounce=True,
                                  className="small-input")]),
            help_text="Difference: the frame minus the median of the N unmasked cadences on "
                      "either side, so moving or one-off sources stand out from the static star."),
        _group(
            "Diagnostics",
            dcc.Checklist(id="diagnostic-panels", value=[], options=[
                {"label": "background", "value": "background"},
                {"label": "centroids", "value": "centroids"},
                {"label": "per-pixel curves", "value": "pixels"}]),
        ),
    ])


def custom_panel(upload_limit_mb: float) -> html.Div:
    """Upload of the user's own light curve, and its column / time-system choices."""
    return html.Div(className="custom", children=[
        html.Div(className="upload-guard",
                 **{"data-max-bytes": str(int(upload_limit_mb * 2**20))}, children=dcc.Upload(
                     id="upload-lightcurve", className="upload", multiple=False,
                     children=html.Span(["Your light curve beside the pixels: drop a CSV or "
                                         "light-curve FITS or ", html.A("choose a file"),
                                         f" (up to {upload_limit_mb:g} MB)"]))),
        html.Div(id="custom-controls", className="custom-controls", hidden=True, children=[
            html.Label(["time ", dcc.Dropdown(id="custom-time", clearable=False)]),
            html.Label(["flux ", dcc.Dropdown(id="custom-flux", clearable=False)]),
            html.Label(["flux error ", dcc.Dropdown(id="custom-err")]),
            html.Label(["time system ", dcc.Dropdown(
                id="custom-system", clearable=False, value="auto",
                options=[{"label": label, "value": value}
                         for value, label in TIME_SYSTEM_CHOICES])]),
            dcc.Checklist(id="normalise", value=[], options=[
                {"label": "normalise each curve by its median", "value": "on"}]),
            html.Button("Remove custom curve", id="custom-clear"),
        ]),
    ])


def diagnostics_views() -> list:
    config = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
    return [
        html.Div(id="diagnostics-wrap", className="diagnostics-wrap", hidden=True, children=[
            dcc.Graph(id="diagnostics", className="diagnostics", config=config,
                      figure={"data": [], "layout": {}}),
            html.Div(id="diagnostics-cursor", className="cursor", hidden=True),
        ]),
        html.Div(id="pixel-grid-wrap", className="pixel-grid-wrap", hidden=True, children=[
            dcc.Graph(id="pixel-grid", className="pixel-grid", config=config,
                      figure={"data": [], "layout": {}}),
        ]),
    ]
