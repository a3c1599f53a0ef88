"""Where the change is: on the target (its own PSF, at its place) or beside it (a neighbour).

Both compare the centroid of the change, in a difference image taken against reference frames
of matching pointing (matched.py), with the target's centroid, measured with the same windowed
centroid; the error of that offset is the larger of the propagated noise and the scatter of
the centroid of the same change put on the target in null differences, plus 0.1 px.
"""

from __future__ import annotations

import math

import numpy as np

from .compact import PointSource
from .evidence import Evidence, Unusable, centroid_width
from .imaging import robust_sigma, windowed_centroid
from .matched import matched_difference, null_differences
from .report import Hypothesis, plate_scale, ramp

SYSTEMATIC_PX = 0.1  # added in quadrature to centroid errors: PSF and neighbour biases


def _frames(ev: Evidence) -> list[int]:
    return [int(f) for f in ev.event[:50]]


def offset(ev: Evidence, source: PointSource) -> dict:
    """The point source's centroid minus the target's, with errors.

    The error is the larger of the propagated pixel noise and an empirical one: the target's
    own change (its PSF times the fitted change) is added to each null difference (a
    reference frame differenced as the event was, scaled to the event's length) and its
    centroid measured; the scatter of those centroids is how far an ON-target change of this
    size wanders here (jitter, matching, neighbours). 0.1 px systematic is added on top.
    """
    if "offset" in ev._cache:
        return ev._cache["offset"]
    (r0, c0), (tr, tc) = ev.target, ev.target_sigma
    dr, dc = source.row - r0, source.column - c0
    sr, sc = math.hypot(source.sigma_row, tr), math.hypot(source.sigma_column, tc)
    empirical = _null_scatter(ev, source)
    if empirical is not None:
        sr, sc = max(sr, empirical[0]), max(sc, empirical[1])
    sr, sc = math.hypot(sr, SYSTEMATIC_PX), math.hypot(sc, SYSTEMATIC_PX)
    px = math.hypot(dr, dc)
    result = {"offset_row": dr, "offset_column": dc, "offset_px": px,
              "offset_arcsec": px * plate_scale(ev.tpf.mission), "offset_sigma_row": sr,
              "offset_sigma_column": sc, "offset_significance": math.hypot(dr / sr, dc / sc),
              "offset_nulls": 0 if empirical is None else empirical[2]}
    ev._cache["offset"] = result
    return result


def _null_scatter(ev: Evidence, source: PointSource):
    nulls = null_differences(ev)
    template = ev.template()
    if nulls is None or len(nulls) < 5 or not template.sum() > 0:
        return None
    _, weight, _ = matched_difference(ev)
    # the change as it would look on the target: the target's PSF with the change's flux
    change = source.amplitude * template / template.sum()
    noise = np.where(weight > 0, 1 / np.sqrt(np.where(weight > 0, weight, 1.0)), 0.0)
    width = centroid_width(ev)
    found = []
    for null in nulls:
        trial = source.sign * (change + null / math.sqrt(ev.event.size))
        r, c, _, _ = windowed_centroid(trial, noise, ev.target, width)
        if np.isfinite(r):
            found.append((r, c))
    if len(found) < 5:
        return None
    found = np.array(found)
    return (float(robust_sigma(found[:, 0])), float(robust_sigma(found[:, 1])), len(found))


def on_target(ev: Evidence, source: PointSource, sharp: float = 0.0) -> Hypothesis:
    """The change is the target's own PSF at the target's place. ``sharp``: the cosmic-ray
    check's verdict that the change is sharper than any PSF (0..1)."""
    if ev.target is None:
        raise Unusable("the aperture is empty (or holds no flux), so the target is unknown")
    image, weight, signal = matched_difference(ev)
    fit = ev.fit([ev.template()], image, weight)
    scale = float(fit.coefficients[0])
    share = min(max((fit.explained - 1) / signal, 0.0), 1.0)
    nulls = null_differences(ev)
    # how much the fit usually gives: over the time-nearest reference frames, and over null
    # differences matched alike (better where the pointing drifts); the larger S/N is used
    snr = ev.component_snr(fit)
    if nulls is not None and len(nulls) >= 5:
        usual = float(robust_sigma(fit.projection @ nulls.reshape(len(nulls), -1).T))
        snr = max(snr, abs(scale) / max(float(fit.errors[0]), usual / math.sqrt(ev.event.size),
                                        1e-300))
    off = offset(ev, source)
    centred = (1 - ramp(off["offset_significance"], 2, 4)
               if np.isfinite(off["offset_significance"]) else 0.5)
    factors = {"share": share, "snr": ramp(snr, 4, 8), "centred": centred,
               "psf_like": 1 - sharp}
    numbers = {"fractional_change": scale, "share": share, "snr": snr, **off, "factors": factors}
    r0, c0 = ev.target
    change = "dims" if scale < 0 else "brightens"
    summary = (f"The target {change} by {abs(scale):.2%} with its own PSF shape, which explains "
               f"{share:.0%} of the change ({snr:.1f} sigma); the change's centroid is "
               f"{off['offset_px']:.2f} px ({off['offset_arcsec']:.1f} arcsec, "
               f"{off['offset_significance']:.1f} sigma) from the target.")
    return Hypothesis("on_target", math.prod(factors.values()), summary, numbers,
                      frames=_frames(ev), pixels=[(int(round(r0)), int(round(c0)))],
                      overlay={"centroid": [source.row, source.column], "target": [r0, c0]})


def off_target(ev: Evidence, source: PointSource, moving: float,
               sharp: float = 0.0) -> Hypothesis:
    if ev.target is None:
        raise Unusable("the aperture is empty (or holds no flux), so the target is unknown")
    off = offset(ev, source)
    factors = {"share": source.fraction, "snr": ramp(source.snr, 4, 8),
               "offset": ramp(off["offset_significance"], 3, 5), "stationary": 1 - moving,
               "psf_like": 1 - sharp}
    pixel = (int(round(source.row)), int(round(source.column)))
    rows, cols = ev.shape
    edge = min(source.row, source.column, rows - 1 - source.row, cols - 1 - source.column) < 0.7
    numbers = {"flux": source.amplitude, "share": source.fraction, "snr": source.snr, **off,
               "pixel_row": pixel[0], "pixel_column": pixel[1],
               "ccd_row": ev.tpf.row + pixel[0], "ccd_column": ev.tpf.column + pixel[1],
               "at_stamp_edge": edge, "factors": factors}
    change = "dimming" if source.sign < 0 else "brightening"
    summary = (f"A PSF-like {change} of {abs(source.amplitude):,.0f} e-/s centred "
               f"{off['offset_px']:.2f} px ({off['offset_arcsec']:.1f} arcsec, "
               f"{off['offset_significance']:.1f} sigma) from the target, at stamp pixel "
               f"(row {pixel[0]}, column {pixel[1]}) = CCD ({ev.tpf.row + pixel[0]}, "
               f"{ev.tpf.column + pixel[1]}), explains {source.fraction:.0%} of the change"
               + ("; it is at the stamp's edge, so the source may lie beyond it." if edge
                  else "."))
    r0, c0 = ev.target
    return Hypothesis("off_target", math.prod(factors.values()), summary, numbers,
                      frames=_frames(ev), pixels=[pixel],
                      overlay={"centroid": [source.row, source.column], "target": [r0, c0]})
