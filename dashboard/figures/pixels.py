"""The target pixel frame: a heatmap on CCD column/row axes with the apertures outlined.

Trace 0 is the heatmap (its ``meta`` says which file and frame ``z`` holds); trace 1 is one
invisible marker, because Plotly offers box and lasso selection only on a subplot with a
selectable trace and a heatmap is not one. The selection's box or lasso (not its points) then
says which pixel centres it covers (data/masks.py). One marker, not one per pixel: a marker per
pixel of a 50x50 stamp made every heatmap redraw take ~95 ms instead of ~15 ms. Pixel centres
sit on integer CCD coordinates (column + j, row + i), so each pixel spans +-0.5 around its
number and the outlines follow the pixel edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from dash import Patch

from .encoding import typed_array
from .overlays import OVERLAY_SLOTS, SKY_SLOTS, empty_sky_trace, empty_trace

APERTURE_COLOUR = "#ff4b4b"
BACKGROUND_COLOUR = "#27d3e6"


@dataclass(frozen=True)
class Look:
    """How an image is coloured: the limits, the colour scale and what the bar says."""

    zmin: float
    zmax: float
    colorscale: list
    unit: str = "e⁻/s"


def pixel_figure(image: np.ndarray, look: Look, *, column: int, row: int,
                 target: np.ndarray, background: np.ndarray | None = None,
                 file: str = "", frame: int = 0, hover: list | None = None) -> dict:
    """The whole figure, sent when a file is opened; later changes are Patches.

    ``uirevision`` is the file id: zoom and pan survive stretch and aperture changes, and a new
    file starts from its own stamp. ``layout.meta.ranges`` repeats the first view's ranges for
    the browser (assets/plotly_adapter.js), because plotly.js keeps an axis's first range
    across a new figure on a constrained (square-pixel) subplot.
    """
    rows, columns = image.shape
    x_range, y_range = initial_view(target, column, row)
    return {
        # Slots 2.. hold the blip report's and the centroid test's marks (figures/overlays.py).
        "data": [heatmap(image, look, column=column, row=row, file=file, frame=frame,
                         hover=hover),
                 selection_markers(rows, columns, column=column, row=row),
                 *[empty_trace(slot) for slot in OVERLAY_SLOTS],
                 *[empty_sky_trace(slot) for slot in SKY_SLOTS]],
        "layout": {
            "uirevision": file,
            "meta": {"file": file, "ranges": {"x": x_range, "y": y_range}},
            "margin": {"l": 55, "r": 10, "t": 10, "b": 45},
            "xaxis": {"title": {"text": "CCD column"}, "range": x_range,
                      "constrain": "domain", "showgrid": False, "zeroline": False,
                      "tick0": column, "dtick": _tick_step(x_range), "automargin": True},
            "yaxis": {"title": {"text": "CCD row"}, "range": y_range,
                      "scaleanchor": "x", "scaleratio": 1, "constrain": "domain",
                      "showgrid": False, "zeroline": False,
                      "tick0": row, "dtick": _tick_step(y_range), "automargin": True},
            "shapes": aperture_shapes(target, background, column, row),
            "plot_bgcolor": "#1e1e1e",
            "dragmode": "zoom",  # double-click returns to the initial view
            "showlegend": False,
        },
    }


def heatmap(image: np.ndarray, look: Look, *, column: int, row: int, file: str = "",
            frame: int = 0, hover: list | None = None) -> dict:
    trace = {
        "type": "heatmap",
        "z": typed_array(np.asarray(image, dtype=np.float32)),
        "x0": column, "dx": 1, "y0": row, "dy": 1,
        "zmin": look.zmin, "zmax": look.zmax, "colorscale": look.colorscale,
        "colorbar": {"title": {"text": look.unit, "side": "right"}, "thickness": 14},
        "hovertemplate": "column %{x}<br>row %{y}<br>%{z:.6g} " + look.unit + "<extra></extra>",
        "hoverongaps": False,
        "meta": frame_meta(file, frame),
    }
    if hover is not None:  # per-pixel extra lines (sky position), rows x columns of strings
        trace["text"] = hover
        trace["hovertemplate"] = ("column %{x}<br>row %{y}<br>%{z:.6g} " + look.unit
                                  + "<br>%{text}<extra></extra>")
    return trace


def selection_markers(rows: int, columns: int, *, column: int, row: int) -> dict:
    """One invisible marker (on the first pixel's centre): it makes the subplot selectable."""
    return {
        "type": "scatter", "mode": "markers", "name": "selectable",
        "x": [column], "y": [row],
        "marker": {"size": 1, "opacity": 0, "color": "#ffffff"},
        "selected": {"marker": {"opacity": 0}}, "unselected": {"marker": {"opacity": 0}},
        "hoverinfo": "skip", "showlegend": False,
    }


def frame_meta(file: str, frame: int) -> dict:
    """The heatmap's ``meta``: which file and frame ``z`` holds (the browser's painter and
    playback compare it with the frame on screen)."""
    return {"file": file, "frame": int(frame)}


def image_patch(image: np.ndarray, file: str, frame: int, look: Look | None = None,
                patch: Patch | None = None) -> Patch:
    """A new frame (or a new kind of image) in the heatmap; with ``look``, its colours too."""
    patch = Patch() if patch is None else patch
    patch["data"][0]["z"] = typed_array(np.asarray(image, dtype=np.float32))
    patch["data"][0]["meta"] = frame_meta(file, frame)
    if look is not None:
        look_patch(look, patch)
    return patch


def look_patch(look: Look, patch: Patch | None = None) -> Patch:
    """A stretch, scale or colour-map change: the colour mapping, never the pixels."""
    patch = Patch() if patch is None else patch
    patch["data"][0]["zmin"] = look.zmin
    patch["data"][0]["zmax"] = look.zmax
    patch["data"][0]["colorscale"] = look.colorscale
    patch["data"][0]["colorbar"]["title"]["text"] = look.unit
    return patch


def outline_patch(target: np.ndarray, background: np.ndarray | None, column: int, row: int,
                  patch: Patch | None = None) -> Patch:
    """New apertures: their outlines, and any finished box/lasso selection cleared."""
    patch = Patch() if patch is None else patch
    patch["layout"]["shapes"] = aperture_shapes(target, background, column, row)
    patch["layout"]["selections"] = []
    patch["data"][1]["selectedpoints"] = None
    return patch


# Stamps longer than this many times their width (TESS bright-star columns, 1287x11) would
# draw as a sliver with square pixels; the first view then shows a window of the stamp, at
# least _MIN_WINDOW pixels long so that small strips (8x1) are still shown whole.
_MAX_ASPECT = 3
_MIN_WINDOW = 30


def initial_view(aperture: np.ndarray, column: int, row: int) -> tuple[list, list]:
    """Axis ranges of the first view: the whole stamp, or a square-ish window on the aperture."""
    rows, columns = aperture.shape
    x_range = [column - 0.5, column + columns - 0.5]
    y_range = [row - 0.5, row + rows - 0.5]
    centre_row, centre_column = (np.argwhere(aperture).mean(axis=0) if aperture.any()
                                 else ((rows - 1) / 2, (columns - 1) / 2))
    tall = max(_MAX_ASPECT * columns, _MIN_WINDOW)
    wide = max(_MAX_ASPECT * rows, _MIN_WINDOW)
    if rows > tall:
        low = np.clip(round(centre_row - tall / 2), 0, rows - tall)
        y_range = [row + low - 0.5, row + low + tall - 0.5]
    elif columns > wide:
        low = np.clip(round(centre_column - wide / 2), 0, columns - wide)
        x_range = [column + low - 0.5, column + low + wide - 0.5]
    return [float(v) for v in x_range], [float(v) for v in y_range]


def _tick_step(axis_range: list) -> int:
    """Whole-pixel tick spacing giving at most about eight ticks."""
    return max(1, int(np.ceil((axis_range[1] - axis_range[0]) / 8)))


def aperture_outline(mask: np.ndarray, column: int, row: int) -> str:
    """An SVG path tracing the edges between aperture and non-aperture pixels."""
    mask = np.asarray(mask, dtype=bool)
    padded = np.pad(mask, 1)  # padded[i + 1, j + 1] is pixel (i, j)
    segments = []
    for i, j in zip(*np.nonzero(mask), strict=True):
        x, y = column + j, row + i
        left, right, bottom, top = x - 0.5, x + 0.5, y - 0.5, y + 0.5
        if not padded[i, j + 1]:
            segments.append(f"M{left},{bottom}H{right}")
        if not padded[i + 2, j + 1]:
            segments.append(f"M{left},{top}H{right}")
        if not padded[i + 1, j]:
            segments.append(f"M{left},{bottom}V{top}")
        if not padded[i + 1, j + 2]:
            segments.append(f"M{right},{bottom}V{top}")
    return "".join(segments)


def aperture_shapes(target_mask: np.ndarray, background_mask: np.ndarray | None,
                    column: int, row: int) -> list[dict]:
    """Outline shapes for the heatmap: target solid red, background dashed cyan.

    Empty masks give no shape (an empty path would draw nothing but still cost a relayout).
    """
    shapes = []
    for mask, line in ((target_mask, {"color": APERTURE_COLOUR, "width": 2}),
                       (background_mask, {"color": BACKGROUND_COLOUR, "width": 2,
                                          "dash": "dash"})):
        path = aperture_outline(mask, column, row) if mask is not None else ""
        if path:
            shapes.append({"type": "path", "path": path, "line": line, "layer": "above"})
    return shapes
