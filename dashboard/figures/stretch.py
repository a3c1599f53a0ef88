"""Image stretches as colour scales, so a stretch change never resends the pixels.

The heatmap always carries the raw flux (hover shows real e-/s). A stretch f on the normalised
value v = (z - low) / (high - low) is folded into the colour scale instead: the stop at position
v gets the colour the base map has at f(v). With enough stops Plotly's linear interpolation
between them is indistinguishable from stretching the data, and zmin/zmax clip at the chosen
percentiles. The stretch functions themselves are astropy.visualization's.
"""

from __future__ import annotations

import numpy as np
from astropy.visualization import AsinhStretch, LinearStretch, LogStretch, SqrtStretch
from plotly.colors import sample_colorscale

SCALES = {
    "linear": LinearStretch(),
    "log": LogStretch(a=1000),
    "sqrt": SqrtStretch(),
    "asinh": AsinhStretch(a=0.1),
}
DEFAULT_SCALE = "log"
DEFAULT_PERCENTILES = (1.0, 95.0)
COLORMAP = "Viridis"
_STOPS = 64


def stretched_colorscale(scale: str, colormap: str = COLORMAP, stops: int = _STOPS) -> list:
    """A Plotly colour scale that applies ``scale`` to data spread linearly over [0, 1]."""
    try:
        stretch = SCALES[scale]
    except KeyError:
        raise ValueError(f"Unknown scale {scale!r}; choose one of {', '.join(SCALES)}") from None
    # Log and asinh rise steeply near 0: place stops densely there (quadratic spacing).
    positions = np.linspace(0.0, 1.0, stops) ** (2 if scale in ("log", "asinh") else 1)
    colours = sample_colorscale(colormap, np.clip(stretch(positions), 0, 1).tolist())
    return [[float(p), c] for p, c in zip(positions, colours, strict=True)]
