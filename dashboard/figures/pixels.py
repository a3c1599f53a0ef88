"""The target pixel frame: a heatmap on CCD column/row axes with the aperture outlined."""

from __future__ import annotations

import numpy as np
from dash import Patch

from .encoding import typed_array
from .stretch import stretched_colorscale

APERTURE_COLOUR = "#ff4b4b"


def pixel_figure(frame: np.ndarray, *, column: int, row: int, aperture: np.ndarray,
                 levels: tuple[float, float], scale: str, revision: str = "",
                 index: int = 0) -> dict:
    """The whole heatmap figure, sent once per file; steps then patch only ``z``.

    Pixel centres sit on integer CCD coordinates (column + j, row + i), so each pixel spans
    +-0.5 around its number and the aperture outline follows the pixel edges.
    """
    rows, columns = frame.shape
    heatmap = {
        "type": "heatmap",
        "z": typed_array(np.asarray(frame, dtype=np.float32)),
        "x0": column, "dx": 1, "y0": row, "dy": 1,
        "zmin": levels[0], "zmax": levels[1],
        "colorscale": stretched_colorscale(scale),
        "colorbar": {"title": {"text": "e⁻/s", "side": "right"}, "thickness": 14},
        "hovertemplate": "column %{x}<br>row %{y}<br>%{z:.6g} e⁻/s<extra></extra>",
        "hoverongaps": False,
        "meta": index,  # which frame z holds: playback waits for it before advancing
    }
    x_range, y_range = initial_view(aperture, column, row)
    outline = aperture_outline(aperture, column, row)
    shapes = [{"type": "path", "path": outline, "line": {"color": APERTURE_COLOUR, "width": 2},
               "layer": "above"}] if outline else []
    return {
        "data": [heatmap],
        "layout": {
            "uirevision": revision,
            "margin": {"l": 55, "r": 10, "t": 10, "b": 45},
            "xaxis": {"title": {"text": "CCD column"}, "range": x_range,
                      "constrain": "domain", "showgrid": False, "zeroline": False,
                      "tick0": column, "dtick": _tick_step(x_range), "automargin": True},
            "yaxis": {"title": {"text": "CCD row"}, "range": y_range,
                      "scaleanchor": "x", "scaleratio": 1, "constrain": "domain",
                      "showgrid": False, "zeroline": False,
                      "tick0": row, "dtick": _tick_step(y_range), "automargin": True},
            "shapes": shapes,
            "plot_bgcolor": "#1e1e1e",
            "dragmode": "zoom",  # double-click returns to the initial view
        },
    }


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


def frame_meta(index: int, readout: tuple[str, ...] | None = None):
    """The heatmap trace's ``meta``: which frame z holds (playback waits for it) and the
    readout's strings for that frame, which the browser shows when the frame is drawn."""
    return index if readout is None else {"frame": index, "readout": list(readout)}


def frame_patch(frame: np.ndarray, index: int, readout: tuple[str, ...] | None = None,
                stretch: tuple[tuple[float, float], str] | None = None) -> Patch:
    """What one cadence step changes in the heatmap: the pixel values and which frame they are
    (with its readout), and with ``stretch`` = (levels, scale) the colour mapping too."""
    patch = Patch() if stretch is None else stretch_patch(*stretch)
    patch["data"][0]["z"] = typed_array(np.asarray(frame, dtype=np.float32))
    patch["data"][0]["meta"] = frame_meta(index, readout)
    return patch


def stretch_patch(levels: tuple[float, float], scale: str) -> Patch:
    """What a stretch or scale change alters: the colour mapping, never the pixels."""
    patch = Patch()
    patch["data"][0]["zmin"] = levels[0]
    patch["data"][0]["zmax"] = levels[1]
    patch["data"][0]["colorscale"] = stretched_colorscale(scale)
    return patch


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


def outline_patch(shapes: list[dict]) -> Patch:
    """A new aperture: its outline shapes, and any finished box/lasso selection cleared."""
    patch = Patch()
    patch["layout"]["shapes"] = shapes
    patch["layout"]["selections"] = []
    return patch
