"""The light curve: every cadence as a WebGL point, masked cadences marked, a custom curve.

Traces, always in this order so patches can address them:
0. the aperture sum, every frame in file order (a click's ``pointIndex`` *is* the frame index;
   frames with no time or flux, or hidden by the quality mask, are NaN and not drawn);
1. cadences masked by the chosen quality mask, as crosses; ``customdata`` = [frame, cadence];
2. the user's custom light curve, points matched to a frame; ``customdata`` = frame;
3. custom points that match no frame, greyed; ``customdata`` = -1.

The selected-cadence cursor is deliberately not part of this figure: moving a shape relayouts
the graph, which makes plotly.js redraw the whole WebGL layer (about 3.5 updates/s on a
20,000-point curve here). The page draws the cursor as an HTML line over the plot instead.
"""

from __future__ import annotations

import numpy as np
from dash import Patch

from .encoding import typed_array

CURVE_COLOUR = "#1f3b73"
FLAGGED_COLOUR = "#e8890c"
CUSTOM_COLOUR = "#2ca02c"
UNMATCHED_COLOUR = "#9a9a9a"


def quality_text(quality: np.ndarray, quality_labels: dict[int, str]) -> np.ndarray:
    """Hover text per cadence: the decoded flag names, '' for unflagged cadences."""
    labels = np.full(len(quality), "", dtype=object)
    for value, names in quality_labels.items():
        labels[quality == value] = names
    return labels


# Past this many cadences trace 0 draws an overview: each of MAX_POINTS / 2 runs of frames
# keeps its lowest and highest point (a dip or spike always shows), the others are NaN (not
# drawn; trace 0 keeps one value per frame, so a click's pointIndex is still its frame and the
# cursor still finds every frame's time). Zoomed in, the frames in view are drawn in full
# (overview_y with a range). Measured on a 120,000-cadence file: see docs/performance.md.
MAX_POINTS = 20_000


def overview_y(time: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS,
               x_range: tuple[float, float] | None = None) -> np.ndarray:
    """``y`` with NaN for the frames an overview leaves out (a copy; ``y`` itself when every
    frame is drawn). Inside ``x_range`` (mission time) every frame is kept when at most
    ``max_points`` fall there, else that range is itself decimated to ``max_points``."""
    n = len(y)
    if n <= max_points:
        return y
    keep = _extremes(y, max_points)
    if x_range is not None:
        lo, hi = sorted(x_range)
        inside = np.flatnonzero((time >= lo) & (time <= hi))
        if len(inside) > max_points:
            inside = inside[_extremes(y[inside], max_points)]
        keep[inside] = True
    out = np.full(n, np.nan, dtype=y.dtype)
    out[keep] = y[keep]
    return out


def zoomed_x_range(relayout) -> tuple[float, float] | None:
    """The time range a Plotly ``relayoutData`` shows, or None (autorange, or no x change)."""
    if not isinstance(relayout, dict) or relayout.get("xaxis.autorange"):
        return None
    pair = relayout.get("xaxis.range")
    if not isinstance(pair, (list, tuple)) or len(pair) != 2:
        pair = (relayout.get("xaxis.range[0]"), relayout.get("xaxis.range[1]"))
    try:
        lo, hi = float(pair[0]), float(pair[1])
    except (TypeError, ValueError):
        return None
    return (lo, hi) if np.isfinite(lo) and np.isfinite(hi) else None


def _extremes(y: np.ndarray, max_points: int) -> np.ndarray:
    """A mask over ``y``: the lowest and highest finite value of each of max_points / 2 equal
    runs (all-NaN runs keep nothing)."""
    runs = max(1, max_points // 2)
    size = -(-len(y) // runs)
    padded = np.full(runs * size, np.nan, dtype=np.float64)
    padded[:len(y)] = y
    blocks = padded.reshape(runs, size)
    finite = np.isfinite(blocks)
    starts = np.arange(runs) * size
    keep = np.zeros(runs * size, dtype=bool)
    has_value = finite.any(axis=1)
    keep[(starts + np.where(finite, blocks, np.inf).argmin(axis=1))[has_value]] = True
    keep[(starts + np.where(finite, blocks, -np.inf).argmax(axis=1))[has_value]] = True
    return keep[:len(y)]


def _curve_y(flux: np.ndarray, masked: np.ndarray, hide_masked: bool, time=None,
             max_points: int = MAX_POINTS, x_range=None) -> np.ndarray:
    y = np.asarray(flux, dtype=np.float32).copy()
    if hide_masked:
        y[masked] = np.nan
    if time is not None:
        y = overview_y(time, y, max_points, x_range)
    return y


def _masked_trace(time, flux, masked, cadenceno, labels, hide_masked: bool) -> dict:
    shown = np.flatnonzero(masked & np.isfinite(time) & np.isfinite(flux))
    if hide_masked:
        shown = shown[:0]
    return {
        "x": typed_array(np.asarray(time[shown], dtype=np.float64)),
        "y": typed_array(np.asarray(flux[shown], dtype=np.float32)),
        # Lists, not typed arrays: Dash 4.4 drops typed customdata from clickData.
        "customdata": [[int(f), int(cadenceno[f])] for f in shown],
        "text": labels[shown].tolist(),
    }


def lightcurve_figure(time: np.ndarray, flux: np.ndarray, *, cadenceno: np.ndarray,
                      quality: np.ndarray, quality_labels: dict[int, str], time_system: str,
                      masked: np.ndarray | None = None, hide_masked: bool = False,
                      revision: str = "", flux_label: str = "Flux (e⁻/s)") -> dict:
    """The light-curve figure for one file and aperture.

    ``masked`` marks the cadences the quality mask flags (default: any QUALITY bit);
    ``quality_labels`` maps each distinct non-zero QUALITY value to its decoded names, so hover
    text is built once per value rather than once per cadence.
    """
    masked = (quality != 0) if masked is None else np.asarray(masked, dtype=bool)
    labels = quality_text(quality, quality_labels)
    curve = {
        "type": "scattergl",
        "mode": "markers",
        "name": "aperture sum",
        "x": typed_array(np.asarray(time, dtype=np.float64)),
        # float32 keeps 7 significant digits, plenty for a plot, at half the bytes;
        # time needs float64 (BTJD 1400.000694 is one 2-minute cadence away from its neighbour).
        "y": typed_array(_curve_y(flux, masked, hide_masked, time)),
        "customdata": typed_array(np.asarray(cadenceno, dtype=np.int32)),
        # No per-point hover text: a list of one string per cadence (mostly empty) cost the
        # first view ~0.3-0.9 s on a 20,000-cadence file (Dash's renderer and dcc.Graph walk
        # and compare every element). Flag names are in trace 1's hover and the readout.
        "marker": {"size": 3, "color": CURVE_COLOUR},
        "hovertemplate": (f"cadence %{{customdata}}<br>%{{x:.5f}} {time_system}"
                          "<br>%{y:.6g}<extra>aperture</extra>"),
    }
    marks = {
        "type": "scattergl",
        "mode": "markers",
        "name": "masked by quality",
        **_masked_trace(time, flux, masked, cadenceno, labels, hide_masked),
        "marker": {"size": 6, "color": FLAGGED_COLOUR, "symbol": "x-thin", "opacity": 0.8,
                   "line": {"width": 1, "color": FLAGGED_COLOUR}},
        "hovertemplate": (f"cadence %{{customdata[1]}}<br>%{{x:.5f}} {time_system}"
                          "<br>%{y:.6g}<br>%{text}<extra>masked</extra>"),
    }
    custom = {"type": "scattergl", "mode": "lines+markers", "name": "custom", "x": [], "y": [],
              "visible": False, "marker": {"size": 3, "color": CUSTOM_COLOUR},
              "line": {"width": 1, "color": CUSTOM_COLOUR}}
    unmatched = {"type": "scattergl", "mode": "markers", "name": "custom, no cadence",
                 "x": [], "y": [], "visible": False,
                 "marker": {"size": 5, "color": UNMATCHED_COLOUR, "symbol": "circle-open"}}
    return {
        "data": [curve, marks, custom, unmatched],
        "layout": {
            "uirevision": revision,
            "margin": {"l": 70, "r": 10, "t": 10, "b": 45},
            # No digit grouping on times: "1468.278", not "1,468.278".
            "xaxis": {"title": {"text": f"Time ({time_system})"}, "zeroline": False,
                      "tickformat": "~f", "automargin": True},
            "yaxis": {"title": {"text": flux_label}, "zeroline": False, "exponentformat": "none",
                      "automargin": True},
            # The custom curve's own axis, shown when its units are not the aperture's.
            "yaxis2": {"overlaying": "y", "side": "right", "visible": False, "zeroline": False,
                       "showgrid": False, "exponentformat": "none", "automargin": True,
                       "title": {"text": "", "font": {"color": CUSTOM_COLOUR}},
                       "tickfont": {"color": CUSTOM_COLOUR}},
            "hovermode": "closest",
            "clickmode": "event",
            "clickanywhere": True,
            "showlegend": True,
            "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
            "dragmode": "zoom",
        },
    }


def values_patch(time: np.ndarray, flux: np.ndarray, masked: np.ndarray, hide_masked: bool,
               x_range: tuple[float, float] | None, patch: Patch | None = None) -> Patch:
    """A long curve's time range changed: only trace 0's values, an overview past MAX_POINTS
    frames with every frame in ``x_range`` drawn (see overview_y)."""
    patch = Patch() if patch is None else patch
    patch["data"][0]["y"] = typed_array(_curve_y(flux, masked, hide_masked, time,
                                                 x_range=x_range))
    return patch


def curve_patch(time: np.ndarray, flux: np.ndarray, *, cadenceno: np.ndarray,
                quality: np.ndarray, quality_labels: dict[int, str], masked: np.ndarray,
                hide_masked: bool, flux_label: str, patch: Patch | None = None,
                x_range: tuple[float, float] | None = None) -> Patch:
    """A new aperture, background or quality mask: only traces 0-1's values and the y title.
    ``x_range``: the time range in view, drawn in full on a long curve (see overview_y)."""
    labels = quality_text(quality, quality_labels)
    patch = values_patch(time, flux, masked, hide_masked, x_range, patch)
    for key, value in _masked_trace(time, flux, masked, cadenceno, labels, hide_masked).items():
        patch["data"][1][key] = value
    patch["layout"]["yaxis"]["title"]["text"] = flux_label
    return patch


def custom_traces(time: np.ndarray, flux: np.ndarray, frames: np.ndarray, *, name: str,
                  time_system: str, max_gap_days: float, own_axis: bool = False
                  ) -> tuple[dict, dict]:
    """Traces 2 and 3 for a custom curve already in the TPF's time system.

    Lines break wherever consecutive points are more than ``max_gap_days`` apart (cadences the
    custom curve lacks are gaps, not straight lines across them): a NaN is inserted there, and
    ``customdata`` carries each drawn point's frame (-1 for the inserted breaks). With
    ``own_axis`` both traces go on the right-hand axis (y2).
    """
    matched = frames >= 0
    t, f, fr = time[matched], flux[matched], frames[matched]
    breaks = np.flatnonzero(np.diff(t) > max_gap_days) + 1
    x = np.insert(t, breaks, np.nan)
    y = np.insert(f, breaks, np.nan)
    data = np.insert(fr, breaks, -1)
    template = (f"custom: {name}<br>cadence frame %{{customdata}}<br>%{{x:.5f}} {time_system}"
                "<br>%{y:.6g}<extra>custom</extra>")
    axis = "y2" if own_axis else "y"
    custom = {"x": typed_array(x), "y": typed_array(y.astype(np.float32)),
              "customdata": data.tolist(), "visible": True, "name": f"custom: {name}",
              "hovertemplate": template, "yaxis": axis}
    lost = ~matched
    unmatched = {"x": typed_array(time[lost]), "y": typed_array(flux[lost].astype(np.float32)),
                 "customdata": [-1] * int(lost.sum()), "visible": bool(lost.any()),
                 "yaxis": axis,
                 "hovertemplate": (f"custom: {name}<br>matches no cadence<br>%{{x:.5f}} "
                                   f"{time_system}<br>%{{y:.6g}}<extra>unmatched</extra>")}
    return custom, unmatched


def custom_patch(traces: tuple[dict, dict] | None, patch: Patch | None = None,
                 axis_title: str = "") -> Patch:
    """Show (or, with None, hide) the custom curve's traces, and its own axis when they use
    it (``axis_title`` names the curve's flux there)."""
    patch = Patch() if patch is None else patch
    if traces is None:
        for index in (2, 3):
            patch["data"][index]["visible"] = False
            patch["data"][index]["x"] = []
            patch["data"][index]["y"] = []
        patch["layout"]["yaxis2"]["visible"] = False
        return patch
    for index, trace in zip((2, 3), traces, strict=True):
        for key, value in trace.items():
            patch["data"][index][key] = value
    own = traces[0].get("yaxis") == "y2"
    patch["layout"]["yaxis2"]["visible"] = own
    patch["layout"]["yaxis2"]["title"]["text"] = axis_title if own else ""
    return patch


def with_custom(figure: dict, traces: tuple[dict, dict], axis_title: str = "") -> dict:
    """A copy of a light-curve figure with the custom curve's traces filled in."""
    data = [dict(trace) for trace in figure["data"]]
    for index, trace in zip((2, 3), traces, strict=True):
        data[index].update(trace)
    layout = dict(figure["layout"])
    if traces[0].get("yaxis") == "y2":
        layout["yaxis2"] = {**layout["yaxis2"], "visible": True,
                            "title": {**layout["yaxis2"]["title"], "text": axis_title}}
    return {**figure, "data": data, "layout": layout}
