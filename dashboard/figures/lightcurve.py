"""The light curve: every cadence as a WebGL point, flagged cadences marked on top.

Trace 0 holds every frame in file order, so a click's ``pointIndex`` on it *is* the frame
index; frames with no time or flux are NaN and simply not drawn. Trace 1 overlays the cadences
with QUALITY bits set; its ``customdata`` carries each point's frame index.

The selected-cadence cursor is deliberately not part of this figure: moving a shape relayouts
the graph, which makes plotly.js redraw the whole WebGL layer (about 3.5 updates/s on a
20,000-point curve here). The page draws the cursor as an HTML line over the plot instead.
"""

from __future__ import annotations

import numpy as np

from .encoding import typed_array

CURVE_COLOUR = "#1f3b73"
FLAGGED_COLOUR = "#e8890c"


def lightcurve_figure(time: np.ndarray, flux: np.ndarray, *, cadenceno: np.ndarray,
                      quality: np.ndarray, quality_labels: dict[int, str], time_system: str,
                      revision: str = "", flux_label: str = "Flux (e⁻/s)") -> dict:
    """The light-curve figure for one file and aperture.

    ``quality_labels`` maps each distinct non-zero QUALITY value to its decoded names, so hover
    text is built once per value rather than once per cadence.
    """
    labels = np.full(len(time), "", dtype=object)
    for value, names in quality_labels.items():
        labels[quality == value] = names
    curve = {
        "type": "scattergl",
        "mode": "markers",
        "name": "aperture sum",
        "x": typed_array(np.asarray(time, dtype=np.float64)),
        # float32 keeps 7 significant digits, plenty for a plot, at half the bytes;
        # time needs float64 (BTJD 1400.000694 is one 2-minute cadence away from its neighbour).
        "y": typed_array(np.asarray(flux, dtype=np.float32)),
        "customdata": typed_array(np.asarray(cadenceno, dtype=np.int32)),
        # Mostly empty strings: gzip makes them nearly free, and hover over a flagged point
        # (which trace 0 usually wins) still names its flags.
        "text": labels.tolist(),
        "marker": {"size": 3, "color": CURVE_COLOUR},
        "hovertemplate": (f"cadence %{{customdata}}<br>%{{x:.5f}} {time_system}"
                          "<br>%{y:.6g} e⁻/s<br>%{text}<extra></extra>"),
    }
    flagged = np.flatnonzero((quality != 0) & np.isfinite(time) & np.isfinite(flux))
    marks = {
        "type": "scattergl",
        "mode": "markers",
        "name": "flagged (QUALITY ≠ 0)",
        "x": typed_array(np.asarray(time[flagged], dtype=np.float64)),
        "y": typed_array(np.asarray(flux[flagged], dtype=np.float64)),
        # Lists, not typed arrays: Dash 4.4 drops typed customdata from clickData.
        "customdata": [[int(f), int(cadenceno[f])] for f in flagged],
        "text": labels[flagged].tolist(),
        "marker": {"size": 6, "color": FLAGGED_COLOUR, "symbol": "x-thin", "opacity": 0.8,
                   "line": {"width": 1, "color": FLAGGED_COLOUR}},
        "hovertemplate": (f"cadence %{{customdata[1]}}<br>%{{x:.5f}} {time_system}"
                          "<br>%{y:.6g} e⁻/s<br>%{text}<extra>flagged</extra>"),
    }
    return {
        "data": [curve, marks],
        "layout": {
            "uirevision": revision,
            "margin": {"l": 70, "r": 10, "t": 10, "b": 45},
            # No digit grouping on times: "1468.278", not "1,468.278".
            "xaxis": {"title": {"text": f"Time ({time_system})"}, "zeroline": False,
                      "tickformat": "~f", "automargin": True},
            "yaxis": {"title": {"text": flux_label}, "zeroline": False, "exponentformat": "none",
                      "automargin": True},
            "hovermode": "closest",
            "clickmode": "event",
            "clickanywhere": True,
            "showlegend": True,
            "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
            "dragmode": "zoom",
        },
    }
