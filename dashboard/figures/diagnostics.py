"""Vetting figures: diagnostics beside the light curve, the per-pixel grid, and the colour
limits of difference images.

Diagnostics are one figure with stacked panels on one shared x-axis (time), not one figure
per panel: one WebGL context instead of several, one x-range to keep in step with the light
curve (:func:`diagnostics_range_patch`), and one HTML cursor line (as the viewer draws over the
light curve) spans every panel. Trace k is panel k and, as on the light curve's trace 0, holds
every frame in file order, so a click's ``pointIndex`` is the frame index and its
``curveNumber`` says which panel was clicked. Toggling panels is rebuilding this small figure
with a different ``panels`` dict.
"""

from __future__ import annotations

import warnings

import numpy as np
from dash import Patch

from .encoding import typed_array
from .pixels import APERTURE_COLOUR, BACKGROUND_COLOUR

PANEL_COLOUR = "#1f3b73"
GRID_COLOUR = "#333333"
_PANEL_GAP = 0.04  # fraction of the figure height between panels


def diagnostics_figure(time: np.ndarray, panels: dict[str, np.ndarray], *, time_system: str,
                       x_range: list | None = None, revision: str = "",
                       panel_height: int = 120) -> dict:
    """Stacked small WebGL plots of per-cadence series sharing one time axis.

    ``panels`` maps a y-axis title (unit included, e.g. "Background (e⁻/s)") to one value per
    frame; the first panel is drawn on top. ``x_range`` is the light curve's current range
    (None: autorange). ``layout.meta`` lists the panel titles in trace order.
    """
    names = list(panels)
    count = max(len(names), 1)
    height = (1 - _PANEL_GAP * (count - 1)) / count
    x_values = typed_array(np.asarray(time, dtype=np.float64))
    data, layout = [], {}
    for k, name in enumerate(names):
        axis = "" if k == 0 else str(k + 1)
        top = 1 - k * (height + _PANEL_GAP)
        data.append({
            "type": "scattergl", "mode": "markers", "name": name,
            "x": x_values,
            "y": typed_array(np.asarray(panels[name], dtype=np.float32)),
            "xaxis": "x", "yaxis": f"y{axis}",
            "marker": {"size": 2, "color": PANEL_COLOUR},
            "hovertemplate": f"%{{x:.5f}} {time_system}<br>%{{y:.6g}}<extra>{name}</extra>",
        })
        layout[f"yaxis{axis}"] = {
            "domain": [max(top - height, 0.0), min(top, 1.0)],
            "title": {"text": name, "font": {"size": 11}}, "zeroline": False,
            "exponentformat": "none", "automargin": True, "anchor": "x",
        }
    bottom = "y" if count == 1 else f"y{count}"
    layout.update({
        "uirevision": revision,
        "height": panel_height * count + 55,
        "margin": {"l": 70, "r": 10, "t": 5, "b": 45},
        "xaxis": {"title": {"text": f"Time ({time_system})"}, "zeroline": False,
                  "tickformat": "~f", "anchor": bottom, "automargin": True,
                  **({"range": list(x_range)} if x_range else {"autorange": True})},
        "hovermode": "closest",
        "clickmode": "event",
        "clickanywhere": True,  # empty area gives xvals: jump to the nearest cadence in time
        "showlegend": False,
        "meta": names,
    })
    return {"data": data, "layout": layout}


def diagnostics_range_patch(x_range: list | None) -> Patch:
    """Follow the light curve's zoom: set (or, for None, reset) the shared x-axis range."""
    patch = Patch()
    if x_range:
        patch["layout"]["xaxis"]["range"] = [float(x_range[0]), float(x_range[1])]
        patch["layout"]["xaxis"]["autorange"] = False
    else:
        patch["layout"]["xaxis"]["autorange"] = True
    return patch


# -- per-pixel grid ------------------------------------------------------------------------------

def pixel_grid_figure(curves, *, target_mask: np.ndarray, column: int, row: int,
                      background_mask: np.ndarray | None = None, revision: str = "") -> dict:
    """A grid of small per-pixel curves (``curves`` from ``vetting.pixel_lightcurves``).

    One scattergl trace per grid row, bottom row first (CCD rows rise upwards as on the
    heatmap), using ``x0``/``dx`` instead of x arrays: each pixel's curve takes ``points + 1``
    x units (the extra one is a NaN gap that breaks the line between cells), so no x values are
    sent. Each curve is scaled to its own 1-99 percentile range inside its cell: the grid is for
    *where* a dip or spike is, the hover and the light curve give the numbers. Map clicks back
    with :func:`grid_point_frame`.
    """
    values = curves.values
    points, rows, columns = values.shape
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN pixels
        low, high = np.nanpercentile(values, [1, 99], axis=0)
        span = np.where(high > low, high - low, 1.0)
        scaled = np.clip((values - low) / span, 0, 1)
    scaled = np.where(high > low, scaled, 0.5)
    scaled = np.where(np.isnan(values), np.nan, scaled)
    cell = points + 1
    data = []
    for i in range(rows):
        y = np.full((columns, cell), np.nan, dtype=np.float32)
        y[:, :points] = (i + 0.1 + 0.8 * scaled[:, i, :]).T
        data.append({
            "type": "scattergl", "mode": "lines", "x0": 0, "dx": 1,
            "y": typed_array(y.ravel()),
            "line": {"width": 1, "color": PANEL_COLOUR},
            "connectgaps": False,
            "hoverinfo": "none",  # no labels (points are scaled), but clicks still report
            "name": f"row {row + curves.row_start + i}",
        })
    first_column, first_row = column + curves.column_start, row + curves.row_start
    return {
        "data": data,
        "layout": {
            "uirevision": revision,
            "margin": {"l": 55, "r": 10, "t": 10, "b": 45},
            "xaxis": {"range": [0, columns * cell], "showgrid": False, "zeroline": False,
                      "tickvals": [(j + 0.5) * cell for j in range(columns)],
                      "ticktext": [str(first_column + j) for j in range(columns)],
                      "title": {"text": "CCD column"}},
            "yaxis": {"range": [0, rows], "showgrid": False, "zeroline": False,
                      "tickvals": [i + 0.5 for i in range(rows)],
                      "ticktext": [str(first_row + i) for i in range(rows)],
                      "title": {"text": "CCD row"}},
            "shapes": grid_shapes(curves, target_mask, background_mask),
            "showlegend": False,
            "hovermode": "closest",
            "clickmode": "event",
        },
    }


def grid_shapes(curves, target_mask: np.ndarray,
                background_mask: np.ndarray | None = None) -> list[dict]:
    """Cell boxes: a tinted red cell per aperture pixel, dashed cyan per background pixel.

    Masks are whole-stamp masks; only the part inside the grid's window is drawn.
    """
    rows, columns = curves.shape
    cell = curves.values.shape[0] + 1
    window = (slice(curves.row_start, curves.row_start + rows),
              slice(curves.column_start, curves.column_start + columns))
    styles = [(target_mask, {"fillcolor": "rgba(255, 75, 75, 0.15)",
                             "line": {"color": APERTURE_COLOUR, "width": 1}})]
    if background_mask is not None:
        styles.append((background_mask, {"fillcolor": "rgba(39, 211, 230, 0.10)",
                                         "line": {"color": BACKGROUND_COLOUR, "width": 1,
                                                  "dash": "dash"}}))
    shapes = []
    for mask, style in styles:
        for i, j in zip(*np.nonzero(np.asarray(mask, dtype=bool)[window]), strict=True):
            shapes.append({"type": "rect", "layer": "below", "x0": j * cell, "x1": (j + 1) * cell,
                           "y0": i, "y1": i + 1, **style})
    return shapes


def grid_highlight_patch(curves, target_mask: np.ndarray,
                         background_mask: np.ndarray | None = None) -> Patch:
    """What an aperture change alters in the grid: only the highlighted cells."""
    patch = Patch()
    patch["layout"]["shapes"] = grid_shapes(curves, target_mask, background_mask)
    return patch


def grid_point_frame(curves, curve_number: int, point_index: int) -> int | None:
    """The frame of a clicked grid point (``curveNumber``, ``pointIndex``), None for a gap."""
    cell = curves.values.shape[0] + 1
    j, point = divmod(int(point_index), cell)
    if point == cell - 1 or not 0 <= j < curves.shape[1] or not 0 <= curve_number < curves.shape[0]:
        return None
    return curves.frame_at(int(curve_number), j, point)


# -- difference images --------------------------------------------------------------

def difference_levels(diff: np.ndarray, percentile: float = 99.5) -> tuple[float, float]:
    """Symmetric colour limits (-a, a), a = a robust percentile of |diff|, so zero is white.

    A percentile, not the maximum, so one cosmic ray does not wash out an asteroid; values
    beyond it saturate at the ends of the scale.
    """
    magnitude = np.abs(np.asarray(diff, dtype=np.float64))
    magnitude = magnitude[np.isfinite(magnitude)]
    limit = float(np.percentile(magnitude, percentile)) if magnitude.size else 0.0
    if not limit > 0:
        limit = 1.0
    return -limit, limit
