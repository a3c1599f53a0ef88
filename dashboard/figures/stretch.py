"""Image stretches as colour scales, so a stretch change never resends the pixels.

The heatmap always carries the raw flux (hover shows real e-/s). A stretch f on the normalised
value v = (z - low) / (high - low) is folded into the colour scale instead: the stop at position
v gets the colour the base map has at f(v). With enough stops Plotly's linear interpolation
between them is indistinguishable from stretching the data, and zmin/zmax clip at the chosen
percentiles. The stretch functions are astropy.visualization's (LinearStretch, LogStretch(a=1000),
SqrtStretch, AsinhStretch(a=0.1)), written out: importing astropy.visualization imports
matplotlib, ~14 MiB and ~0.2 s of every server process for four one-line formulas
(tests/figures/test_stretch.py checks them against astropy's own).
"""

from __future__ import annotations

import numpy as np
from plotly.colors import get_colorscale, sample_colorscale

_LOG_A = 1000.0  # LogStretch(a=1000): y = log(a x + 1) / log(a + 1)
_ASINH_A = 0.1  # AsinhStretch(a=0.1): y = asinh(x / a) / asinh(1 / a)


def _unit(x) -> np.ndarray:
    """Values clipped to [0, 1] first, as astropy's stretches do by default (``clip=True``)."""
    return np.clip(np.asarray(x, dtype=float), 0.0, 1.0)


SCALES = {
    "linear": _unit,
    "log": lambda x: np.log1p(_LOG_A * _unit(x)) / np.log1p(_LOG_A),
    "sqrt": lambda x: np.sqrt(_unit(x)),
    "asinh": lambda x: np.arcsinh(_unit(x) / _ASINH_A) / np.arcsinh(1 / _ASINH_A),
}
# The view's colour-map names and the Plotly colour scales behind them. "gray" runs black to
# white (plotly's "Greys" runs the other way); difference maps are diverging, white at zero,
# red where the frame is brighter than its neighbours.
COLORMAPS = {"viridis": "Viridis", "gray": "gray", "inferno": "Inferno", "magma": "Magma",
             "cividis": "Cividis"}
DIFFERENCE_COLORMAPS = {"rdbu": "RdBu_r", "puor": "PuOr_r", "balance": "balance"}
_STOPS = 64


def stretched_colorscale(scale: str, colormap: str = "viridis", stops: int = _STOPS) -> list:
    """A Plotly colour scale that applies ``scale`` to data spread linearly over [0, 1],
    in the view's colour map ``colormap`` (a key of COLORMAPS)."""
    try:
        stretch = SCALES[scale]
    except KeyError:
        raise ValueError(f"Unknown scale {scale!r}; choose one of {', '.join(SCALES)}") from None
    try:
        colormap = COLORMAPS[colormap]
    except KeyError:
        raise ValueError(f"Unknown colour map {colormap!r}; choose one of "
                         f"{', '.join(COLORMAPS)}") from None
    # Log and asinh rise steeply near 0: place stops densely there (quadratic spacing).
    positions = np.linspace(0.0, 1.0, stops) ** (2 if scale in ("log", "asinh") else 1)
    colours = sample_colorscale(colormap, np.clip(stretch(positions), 0, 1).tolist())
    return [[float(p), c] for p, c in zip(positions, colours, strict=True)]


def difference_colorscale(colormap: str = "rdbu") -> list:
    """A diverging Plotly colour scale for difference images (a key of DIFFERENCE_COLORMAPS)."""
    try:
        name = DIFFERENCE_COLORMAPS[colormap]
    except KeyError:
        raise ValueError(f"Unknown difference colour map {colormap!r}; choose one of "
                         f"{', '.join(DIFFERENCE_COLORMAPS)}") from None
    return [[float(p), c] for p, c in get_colorscale(name)]
