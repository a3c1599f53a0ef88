"""Sky overlays for the pixel heatmap: catalogue sources, the target, known asteroids, and the
RA/Dec of every pixel for its hover. Pure functions: data in, Plotly trace dicts out.

Traces are on the heatmap's CCD column/row axes (see :mod:`.pixels`): a stamp position (x, y)
is drawn at (column + x, row + y). Hover texts are lists of strings (``text`` with
``hovertemplate`` ``%{text}``): Dash 4.4 does not pass numpy ``customdata`` on to click events.
"""

from __future__ import annotations

import math

import numpy as np

from ..data.sky.asteroids import KnownObject, KnownObjects
from ..data.sky.field import SkyField
from ..data.wcs import format_radec, pixel_to_sky

SOURCE_COLOURS = {"Gaia DR3": "#36c5f0", "TIC": "#ffd23f"}
USER_COLOUR = "#b4ff6e"
TARGET_COLOUR = "#ffffff"
ASTEROID_COLOUR = "#ff7ce5"
MIN_SIZE, MAX_SIZE, SIZE_PER_MAG = 5.0, 22.0, 2.2
ARROW_PX = 2.0  # an arrow is drawn at least this long, however slow the object


# -- the heatmap's hover ------------------------------------------------------------------------
def pixel_radec(wcs, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(rows, columns) RA and Dec in degrees of every stamp pixel's centre."""
    rows, columns = np.indices(shape, dtype=float)
    return pixel_to_sky(wcs, columns, rows)


def radec_text(wcs, shape: tuple[int, int]) -> list[list[str]]:
    """(rows, columns) 'RA 285.67939° Dec +50.24130°' per pixel, for the heatmap's ``text``
    (as nested lists: what Plotly needs, and JSON-able)."""
    ra, dec = pixel_radec(wcs, shape)
    return [[format_radec(float(a), float(d)) for a, d in zip(ra_row, dec_row, strict=True)]
            for ra_row, dec_row in zip(ra, dec, strict=True)]


# The pixel heatmap's hovertemplate with the RA/Dec line from ``radec_text`` in its ``text``.
HEATMAP_HOVERTEMPLATE = ("column %{x}<br>row %{y}<br>%{z:.6g} e⁻/s<br>%{text}"
                         "<extra></extra>")


# -- catalogue sources --------------------------------------------------------------------------
def marker_sizes(mags: np.ndarray, reference: float | None) -> np.ndarray:
    """Marker diameters in px: brighter is bigger, SIZE_PER_MAG px per magnitude, with the
    reference (the target) at 14 px; sources without a magnitude get the smallest size."""
    mags = np.asarray(mags, dtype=float)
    if reference is None or not math.isfinite(reference):
        finite = mags[np.isfinite(mags)]
        reference = float(finite.min()) if finite.size else 0.0
    sizes = 14.0 - SIZE_PER_MAG * (mags - reference)
    return np.where(np.isfinite(sizes), np.clip(sizes, MIN_SIZE, MAX_SIZE), MIN_SIZE)


def _magnitudes_text(source) -> str:
    values = source.magnitudes or ({source.band or "mag": source.mag}
                                   if source.mag is not None else {})
    return " · ".join(f"{band} {value:.2f}" for band, value in values.items()) or "no magnitude"


def _source_text(sky: SkyField, index: int, fractions) -> str:
    source = sky.sources[index]
    where = format_radec(float(sky.ra[index]), float(sky.dec[index]))
    lines = [f"<b>{source.id}</b>", _magnitudes_text(source), f"{where} (epoch {sky.epoch:.2f})"]
    if index == sky.target:
        lines.append("the target")
    elif math.isfinite(sky.separation_px[index]):
        lines.append(f"{sky.separation_px[index]:.2f} px ({sky.separation_arcsec[index]:.1f}″) "
                     "from the target")
    if fractions is not None:
        lines.append(f"{100 * float(fractions[index]):.1f} % of its light in the aperture")
    return "<br>".join(lines)


def source_traces(sky: SkyField | dict, *, column: int, row: int,
                  fractions: np.ndarray | None = None, colour: str | None = None) -> list[dict]:
    """A marker trace of the field's sources (size by brightness) and one marking the target,
    in CCD coordinates. ``fractions``: each source's share of light in the aperture
    (``ApertureFlux.fractions``), shown in the hover."""
    sky = SkyField.from_dict(sky) if isinstance(sky, dict) else sky
    colour = colour or SOURCE_COLOURS.get(sky.catalogue, USER_COLOUR)
    mags = sky.mags
    reference = mags[sky.target] if sky.target is not None else None
    others = [i for i in range(len(sky)) if i != sky.target]
    traces = [{
        "type": "scatter", "mode": "markers", "name": sky.catalogue,
        "x": [float(column + sky.x[i]) for i in others],
        "y": [float(row + sky.y[i]) for i in others],
        "text": [_source_text(sky, i, fractions) for i in others],
        "hovertemplate": "%{text}<extra>" + sky.catalogue + "</extra>",
        "marker": {"size": [float(s) for s in marker_sizes(mags[others], reference)],
                   "color": "rgba(0,0,0,0)", "line": {"color": colour, "width": 1.5},
                   "symbol": "circle"},
        "showlegend": False,
    }]
    target = _target_point(sky)
    if target is not None:
        x, y, text = target
        if sky.target is not None:
            text = _source_text(sky, sky.target, fractions)
        traces.append({
            "type": "scatter", "mode": "markers", "name": "target",
            "x": [float(column + x)], "y": [float(row + y)], "text": [text],
            "hovertemplate": "%{text}<extra>target</extra>",
            "marker": {"size": 16, "symbol": "star", "color": "rgba(0,0,0,0)",
                       "line": {"color": TARGET_COLOUR, "width": 2}},
            "showlegend": False,
        })
    return traces


def _target_point(sky: SkyField) -> tuple[float, float, str] | None:
    if sky.target_x is None or sky.target_y is None:
        return None
    return sky.target_x, sky.target_y, "the target (header position)<br>not in " + sky.catalogue


# -- known asteroids ----------------------------------------------------------------------------
def asteroid_traces(found: KnownObjects | list | dict, *, column: int, row: int,
                    cadences: float | None = None) -> list[dict]:
    """Markers at the known objects' positions and an arrow along each one's motion: over
    ``cadences`` cadences, or by default over as many as it takes to move ARROW_PX pixels
    (the hover says how many), in CCD coordinates."""
    if isinstance(found, dict):
        found = found["objects"]
    objects = found.objects if isinstance(found, KnownObjects) else found
    objects = [KnownObject.from_dict(o) if isinstance(o, dict) else o for o in objects]
    if not objects:
        return []
    xs, ys, texts, line_x, line_y, tip_x, tip_y, angles = [], [], [], [], [], [], [], []
    for known in objects:
        speed = math.hypot(known.dx, known.dy)
        steps = cadences if cadences is not None else (
            max(1.0, math.ceil(ARROW_PX / speed)) if speed > 0 else 1.0)
        x, y = column + known.x, row + known.y
        end_x, end_y = x + known.dx * steps, y + known.dy * steps
        xs.append(float(x))
        ys.append(float(y))
        texts.append(_asteroid_text(known, speed, steps))
        line_x += [float(x), float(end_x), None]
        line_y += [float(y), float(end_y), None]
        tip_x.append(float(end_x))
        tip_y.append(float(end_y))
        # marker angles turn clockwise from "up"; rows grow upwards on the heatmap
        angles.append(float(math.degrees(math.atan2(known.dx, known.dy))))
    return [
        {"type": "scatter", "mode": "lines", "x": line_x, "y": line_y, "hoverinfo": "skip",
         "line": {"color": ASTEROID_COLOUR, "width": 1.5}, "showlegend": False,
         "name": "asteroid motion"},
        {"type": "scatter", "mode": "markers", "x": tip_x, "y": tip_y, "hoverinfo": "skip",
         "marker": {"symbol": "triangle-up", "size": 9, "angle": angles,
                    "color": ASTEROID_COLOUR}, "showlegend": False, "name": "asteroid heading"},
        {"type": "scatter", "mode": "markers", "x": xs, "y": ys, "text": texts,
         "hovertemplate": "%{text}<extra>SkyBoT</extra>", "name": "known objects",
         "marker": {"symbol": "x-thin-open", "size": 12,
                    "line": {"color": ASTEROID_COLOUR, "width": 2}}, "showlegend": False},
    ]


def _asteroid_text(known: KnownObject, speed: float, steps: float) -> str:
    name = f"({known.number}) {known.name}" if known.number else known.name
    rate = math.hypot(known.ra_rate, known.dec_rate)
    lines = [f"<b>{name}</b>", known.kind or "solar-system object",
             f"V {known.v_mag:.1f}" if known.v_mag is not None else "V unknown",
             f"{rate:.1f}″/h = {speed:.3f} px per cadence",
             f"arrow: its path over the next {steps:g} cadence{'s' if steps != 1 else ''}"]
    if known.position_error_arcsec is not None:
        lines.append(f"position uncertain by {known.position_error_arcsec:.1f}″")
    return "<br>".join(lines)
