"""One function per kind of blip whose evidence is the file's columns or a linear fit.

Each fits the event's difference image with the basis images of its own explanation (a flat
offset, a tilted plane, one offset per row, a shift of the scene; the target's PSF and a PSF
elsewhere are in target.py) and scores ``share x ramp(S/N, 4, 8) x ...``: the share of the
difference image's excess chi2 that explanation accounts for, times how significant its
component is, times the factors particular to it. Every factor is in ``numbers["factors"]``;
their product is the score.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..tpf import TargetPixelFile
from .evidence import Evidence, Unusable, robust_sigma
from .imaging import grow
from .report import Hypothesis, plate_scale, ramp

SYSTEMATIC_PX = 0.1  # added in quadrature to centroid errors: PSF and neighbour biases
_ROLLING_BAND_BITS = 131072 | 262144  # Kepler/K2 'Rolling band in optimal aperture / full mask'


def _frames(ev: Evidence) -> list[int]:
    return [int(f) for f in ev.event[:50]]


def _change(tpf: TargetPixelFile, column: np.ndarray | None, ev: Evidence, per_pixel: bool):
    """(event mean minus reference median, its robust sigma) of a per-frame series."""
    if column is None:
        return None
    def series(frames):
        values = column[frames].astype(np.float64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # frames with every pixel NaN
            return np.nanmean(values, axis=(1, 2)) if per_pixel else values
    ref, event = series(ev.reference_frames), series(ev.event)
    if not (np.isfinite(ref).sum() >= 3 and np.isfinite(event).any()):
        return None
    ref = ref[np.isfinite(ref)]
    sigma = float(robust_sigma(ref)) / math.sqrt(np.isfinite(event).sum())
    return float(np.nanmean(event) - np.median(ref)), sigma


def _sig(change) -> float:
    return change[0] / change[1] if change and change[1] > 0 else math.nan


# -- the pipeline's own flags --------------------------------------------------------------------

def flagged(tpf: TargetPixelFile, first: int, last: int) -> Hypothesis:
    """QUALITY bits on the event's frames (0.95 for a bit of the mission's default mask, 0.75
    for another named bit, scaled by the share of event frames flagged) or next to it (0.4).
    Frames the pipeline wrote no data for (Kepler's No data bit, or no valid TIME) score 1:
    whatever their pixels show is not the sky, so no other explanation outranks it."""
    flags, quality = tpf.flags, tpf.quality
    frames = range(first, last + 1)
    inside = [f for f in frames if quality[f]]
    beside = [f for f in (first - 1, last + 1) if 0 <= f < tpf.n_cadences and quality[f]]
    no_bit = [f for f in frames if quality[f] & flags.no_data]
    no_time = [f for f in frames if not np.isfinite(tpf.time[f])]
    empty = sorted({*no_bit, *no_time})
    bits_in = int(np.bitwise_or.reduce(quality[inside])) if inside else 0
    bits_beside = int(np.bitwise_or.reduce(quality[beside])) if beside else 0
    length = last - first + 1
    share = len(inside) / length
    if empty:
        base, share = 1.0, len(empty) / length
        inside = sorted({*inside, *empty})
    elif bits_in & flags.bitmask("default"):
        base = 0.95
    elif bits_in:
        base = 0.75
    else:
        base = 0.4 if beside and length <= 3 else 0.0
    factors = {"base": base, "share_flagged": ramp(share, 0, 0.5) if inside else 1.0}
    score = math.prod(factors.values())
    names = flags.decode(bits_in or bits_beside)
    where = (f"on {len(inside)} of the {length} event frame(s)" if inside
             else f"on the frame(s) next to it ({', '.join(map(str, beside))})")
    named = ", ".join(f"{n}" for n in names)
    summary = (f"QUALITY bits {named} ({bits_in or bits_beside}) are set {where} "
               f"({flags.mission} table)." if names else
               f"No QUALITY bit is set on frames {max(first - 1, 0)}-"
               f"{min(last + 1, tpf.n_cadences - 1)}.")
    if empty:
        why = " and ".join(w for w, found in (("the No data bit", no_bit),
                                              ("no valid time", no_time)) if found)
        summary = (f"The pipeline wrote no data for {len(empty)} of the {length} event frame(s) "
                   f"({why}): their pixels are not the sky. " + (summary if names else ""))
    numbers = {"bits": bits_in, "bits_beside": bits_beside, "names": names,
               "flagged_frames": len(inside), "event_frames": length,
               "no_data_frames": len(empty),
               "in_default_mask": bool(bits_in & flags.bitmask("default")), "factors": factors}
    return Hypothesis("flagged", score, summary, numbers, frames=(inside or beside)[:50])


# -- the sky and the detector --------------------------------------------------------------------

def _smooth(share: float, compact: float) -> float:
    """1 unless one point source explains the change better than the smooth model (by 0.3 of
    it or more, then 0): a neighbour's dip near the edge is no gradient."""
    return 1 - ramp(compact - share, 0.0, 0.3)


def background(ev: Evidence, background_mask=None, compact: float = 0.0) -> Hypothesis:
    ones = np.where(ev.valid, 1.0, 0.0)
    fit = ev.fit([ones])
    level, error = float(fit.coefficients[0]), float(fit.errors[0])
    share, snr = ev.fraction(fit.explained, 1), ev.component_snr(fit)
    numbers = {"level": level, "level_sigma": error, "level_usual": float(ev.usual(fit)[0]),
               "share": share, "snr": snr}
    far = ev.valid & ~grow(ev.aperture, 2) if ev.aperture is not None else None
    if far is not None and far.sum() >= 4:
        numbers["far_median"] = float(np.median(ev.diff[far]))
        numbers["far_pixels"] = int(far.sum())
    if ev.aperture is not None and (ev.aperture & ev.valid).any():
        numbers["aperture_median"] = float(np.median(ev.diff[ev.aperture & ev.valid]))
    if background_mask is not None and np.any(background_mask & ev.valid):
        numbers["background_mask_median"] = float(np.median(ev.diff[background_mask & ev.valid]))
    bkg = _change(ev.tpf, ev.tpf.flux_bkg, ev, per_pixel=True)
    if bkg:
        numbers.update(flux_bkg_change=bkg[0], flux_bkg_significance=_sig(bkg))
    factors = {"share": share, "snr": ramp(snr, 4, 8), "smooth": _smooth(share, compact)}
    score = math.prod(factors.values())
    numbers.update(point_source_share=compact, factors=factors)
    far_text = (f", {numbers['far_median']:+,.1f} e-/s in the {numbers['far_pixels']} pixels "
                f"far from the star" if "far_median" in numbers else "")
    bkg_text = (f"; FLUX_BKG moves {bkg[0]:+,.1f} e-/s per pixel ({_sig(bkg):+.1f} sigma)"
                if bkg else "; the file has no FLUX_BKG")
    summary = (f"A flat offset of {level:+,.2f} e-/s per pixel across the stamp ({snr:.1f} "
               f"sigma of its usual wobble){far_text} explains {share:.0%} of the change"
               f"{bkg_text}.")
    return Hypothesis("background", score, summary, numbers, frames=_frames(ev))


def scattered_light(ev: Evidence, compact: float = 0.0) -> Hypothesis:
    """A smooth gradient across the stamp: a tilted plane explains more than a flat offset."""
    rows, cols = np.indices(ev.shape)
    ones = np.where(ev.valid, 1.0, 0.0)
    flat = ev.fit([ones])
    plane = ev.fit([ones, ones * (rows - rows.mean()), ones * (cols - cols.mean())])
    slope_snr = ev.component_snr(plane, slice(1, 3))
    share = ev.fraction(plane.explained, 3)
    factors = {"share": share, "slope_snr": ramp(slope_snr, 4, 8),
               "smooth": _smooth(share, compact)}
    slope_r, slope_c = (float(v) for v in plane.coefficients[1:])
    direction = float(np.degrees(np.arctan2(slope_r, slope_c)) % 360)
    numbers = {"slope_row": slope_r, "slope_column": slope_c, "direction_deg": direction,
               "slope_snr": slope_snr, "share": share, "flat_share": ev.fraction(flat.explained, 1),
               "point_source_share": compact, "factors": factors}
    summary = (f"A gradient of {math.hypot(slope_r, slope_c):,.2f} e-/s per pixel per pixel, "
               f"rising toward {direction:.0f} deg (0 = +column, 90 = +row), with a flat offset "
               f"explains {share:.0%} of the change; the slope is {slope_snr:.1f} sigma.")
    return Hypothesis("scattered_light", math.prod(factors.values()), summary, numbers,
                      frames=_frames(ev))


def rolling_band(ev: Evidence) -> Hypothesis:
    """One offset per row (Kepler's rolling band runs along rows) beyond a linear trend."""
    rows, cols = ev.shape
    if ev.tpf.mission == "TESS":
        raise Unusable("rolling band is an artifact of the Kepler detector (Kepler and K2)")
    if rows < 4 or cols < 3:
        raise Unusable(f"the stamp is {rows}x{cols}: a row pattern needs 4 rows of 3 pixels")
    index, column = np.indices(ev.shape)
    ones = np.where(ev.valid, 1.0, 0.0)
    per_row = ev.fit([ones * (index == r) for r in range(rows)])
    share = ev.fraction(per_row.explained, rows)
    # a band runs along rows: one offset per COLUMN must explain much less than one per row
    per_column = ev.fit([ones * (column == c) for c in range(cols)])
    column_share = ev.fraction(per_column.explained, cols)
    # the row offsets less their straight-line trend (that is scattered light), for the event
    # and for each reference frame: how unusual is this row pattern?
    line = np.stack([np.ones(rows), np.arange(rows) - (rows - 1) / 2], axis=1)
    detrend = np.eye(rows) - line @ np.linalg.pinv(line)
    pattern = detrend @ per_row.coefficients
    usual = detrend @ (per_row.projection @ ev.reference_diffs.reshape(
        len(ev.reference_frames), -1).T)
    scale = np.maximum(np.asarray(robust_sigma(usual, axis=1)) / math.sqrt(ev.event.size),
                       per_row.errors)
    chi = float(np.sum((pattern / np.where(scale > 0, scale, np.inf)) ** 2))
    snr = math.sqrt(max(chi - (rows - 2), 0.0))
    factors = {"share": share, "row_pattern_snr": ramp(snr, 4, 8),
               "along_rows": ramp(share - column_share, 0.1, 0.4)}
    bits = [f for f in ev.event if ev.tpf.quality[f] & _ROLLING_BAND_BITS]
    numbers = {"row_offsets": [float(v) for v in per_row.coefficients], "row_pattern_snr": snr,
               "share": share, "column_share": column_share, "rolling_band_flags": len(bits),
               "factors": factors}
    level = getattr(ev.tpf, "rb_level", None)
    if level is not None:
        numbers["rb_level_max"] = float(np.nanmax(np.abs(level[ev.event])))
    flag_text = f"; {len(bits)} event frame(s) carry the rolling-band flag" if bits else ""
    summary = (f"Offsets that change from row to row (largest "
               f"{float(np.max(np.abs(per_row.coefficients))):,.1f} e-/s) explain {share:.0%} "
               f"of the change ({column_share:.0%} for one per column), {snr:.1f} sigma beyond "
               f"a linear trend{flag_text}.")
    return Hypothesis("rolling_band", math.prod(factors.values()), summary, numbers,
                      frames=_frames(ev))


def pointing(ev: Evidence) -> Hypothesis:
    """A shift of the whole scene: the change is the reference's gradient times the shift."""
    d_row, d_col = ev.gradients()
    if ev.shape[0] < 3 or ev.shape[1] < 3:
        raise Unusable(f"the stamp is {ev.shape[0]}x{ev.shape[1]}: a 2-D shift needs 3x3")
    fit = ev.fit([d_row, d_col])
    shift_r, shift_c = (-float(v) for v in fit.coefficients)
    share, snr = ev.fraction(fit.explained, 2), ev.component_snr(fit)
    shift = math.hypot(shift_r, shift_c)
    scale = plate_scale(ev.tpf.mission)
    numbers = {"shift_row": shift_r, "shift_column": shift_c, "shift_px": shift,
               "shift_arcsec": shift * scale, "share": share, "snr": snr}
    texts = []
    if ev.aperture is not None:
        jump = _centroid_jump(ev)
        if jump:
            numbers.update(jump)
            texts.append(f"the aperture centroid moves {jump['centroid_jump_px']:.3f} px "
                         f"({jump['centroid_jump_significance']:.1f} sigma)")
    for name, column in (("pos_corr1", ev.tpf.pos_corr1), ("pos_corr2", ev.tpf.pos_corr2)):
        change = _change(ev.tpf, column, ev, per_pixel=False)
        if change:
            numbers[f"{name}_change"], numbers[f"{name}_significance"] = change[0], _sig(change)
            texts.append(f"{name.upper()} by {change[0]:+.3f} px ({_sig(change):+.1f} sigma)")
    # a shift moves light from one side to the other: the change sums to about nothing
    z = ev.diff * np.sqrt(ev.weight)
    strong = ev.valid & (np.abs(z) > 3)
    dipole = (1 - abs(float(ev.diff[strong].sum())) / float(np.abs(ev.diff[strong]).sum())
              if strong.any() else 0.0)
    # the pipeline's own pointing (POS_CORR) or the aperture centroid jumping is evidence too,
    # where a large shift is beyond the first-order model of the image
    jumps = [abs(numbers.get(k, 0.0)) for k in ("pos_corr1_significance",
                                                "pos_corr2_significance",
                                                "centroid_jump_significance")]
    jump = ramp(max([j for j in jumps if np.isfinite(j)] or [0.0]), 5, 10)
    factors = {"evidence": max(share * ramp(snr, 4, 8), jump), "dipole": ramp(dipole, 0.2, 0.5)}
    numbers.update(dipole=dipole, factors=factors)
    extra = ("; " + ", ".join(texts)) if texts else ""
    summary = (f"A shift of the scene by {shift:.3f} px ({shift * scale:.2f} arcsec; row "
               f"{shift_r:+.3f}, column {shift_c:+.3f}) explains {share:.0%} of the change, "
               f"a dipole at {snr:.1f} sigma of the usual jitter{extra}.")
    overlay = {}
    if ev.target is not None:
        r0, c0 = ev.target
        overlay = {"target": [r0, c0], "shifted": [r0 + shift_r, c0 + shift_c]}
    return Hypothesis("pointing", math.prod(factors.values()), summary, numbers,
                      frames=_frames(ev), overlay=overlay)


def _centroid_jump(ev: Evidence) -> dict | None:
    """Flux-weighted aperture centroid of the event frames against the reference frames'."""
    mask = ev.aperture & ev.valid
    rows, cols = np.nonzero(mask)

    def centroids(frames):
        pixels = np.nan_to_num(ev.tpf.flux[frames][:, mask].astype(np.float64))
        total = pixels.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.stack([pixels @ rows / total, pixels @ cols / total], axis=1)
    ref, event = centroids(ev.reference_frames), centroids(ev.event)
    if not (np.isfinite(ref).all() and np.isfinite(event).all()):
        return None
    jump = event.mean(axis=0) - np.median(ref, axis=0)
    sigma = np.asarray(robust_sigma(ref, axis=0)) / math.sqrt(len(event))
    sigma = np.hypot(sigma, 1e-4)
    return {"centroid_jump_row": float(jump[0]), "centroid_jump_column": float(jump[1]),
            "centroid_jump_px": float(np.hypot(*jump)),
            "centroid_jump_significance": float(np.hypot(*(jump / sigma)))}


def noise(ev: Evidence, best: float = 0.0) -> Hypothesis:
    """Nothing stands out: the aperture, the image's leftover structure and its strongest pixel
    change no more than they do on the reference frames, and no other kind (best score
    ``best``) has found something."""
    cleaned = ev.clean(ev.raw_diff, ev.weight, ev.event.size, everything=True)[0]
    z = np.where(ev.valid, cleaned * np.sqrt(ev.weight), 0.0)
    chi2, peak = float(np.sum(z ** 2)), float(np.max(np.abs(z)))
    usual_chi2, usual_peak = ev._cache["reference_residual"]
    def sigmas(value, usual):
        scale = float(robust_sigma(usual))
        return (value - float(np.median(usual))) / scale if scale > 0 else math.nan
    image_sigma, peak_sigma = sigmas(chi2, usual_chi2), sigmas(peak, usual_peak)
    aperture = ev.numbers.get("aperture_significance", math.nan)
    components = [v for k, v in ev.numbers.get("components_sigma", {}).items()
                  if not k.startswith("pattern_")]
    unusual = max(components or [0.0])
    detected = max(ramp(abs(aperture), 3, 6), ramp(image_sigma, 3, 6), ramp(peak_sigma, 3, 6),
                   ramp(unusual, 3, 6))
    factors = {"quiet": 1 - detected, "unexplained": 1 - best}
    numbers = {"aperture_significance": aperture, "image_sigma": image_sigma,
               "peak_pixel": peak, "peak_pixel_sigma": peak_sigma,
               "largest_component_sigma": unusual, "best_other_score": best,
               "factors": factors}
    aperture_text = (f"the aperture changes by {aperture:+.1f} sigma, "
                     if np.isfinite(aperture) else "")
    usual = (f"{aperture_text}what no usual wobble explains is {image_sigma:+.1f} sigma from "
             f"the reference frames' own and its strongest pixel {peak_sigma:+.1f} sigma")
    summary = (f"Within the usual scatter: {usual}." if detected < 1 else
               f"Not noise: {usual}.")
    if best >= 0.5:
        summary = summary[:-1] + f"; but another check scores {best:.2f}."
    return Hypothesis("noise", math.prod(factors.values()), summary, numbers,
                      frames=_frames(ev))
