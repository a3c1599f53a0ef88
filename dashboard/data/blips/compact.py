"""Compact sources in the difference images: cosmic rays, moving objects, and the point source
whose centroid on_target / off_target compare with the target's.

A *point source* is found with a matched filter (a Gaussian PSF of the target's width), located
with the same windowed centroid as the target, and fitted for its flux. A *cosmic ray* is one
or two pixels on one cadence that hold the change, explain it better than a PSF does, and are
normal on the cadences either side. A *moving object* is a point source detected (matched-filter
S/N >= 5) on several frames around the event, on positions that fit a straight track with
steady speed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from .evidence import Evidence, centroid_width, signal_of
from .imaging import matched_filter, psf_image, weighted_fit, windowed_centroid
from .report import Hypothesis, plate_scale, ramp

DETECTION_SNR = 5.0  # matched-filter S/N for a point source on one frame
TRACK_TOLERANCE = 1.0  # pixels from the track for a detection to belong to it
TRACK_MARGIN = 6  # frames either side of the event searched for the track


@dataclass
class PointSource:
    sign: int  # +1 brightening, -1 dimming
    row: float
    column: float
    sigma_row: float
    sigma_column: float
    peak_snr: float  # matched filter at the best pixel
    amplitude: float  # fitted flux of the PSF, e-/s, signed
    fraction: float  # share of the image's excess chi2 the PSF explains
    snr: float
    top_pixels: list[tuple[int, int]]
    top_fraction: float  # share the brightest one or two pixels explain on their own
    top_snr: float


def _fraction(explained: float, k: int, signal: float) -> float:
    return float(min(max((explained - k) / max(signal, 1.0), 0.0), 1.0))


def _top_pixels(z: np.ndarray, image: np.ndarray) -> list[tuple[int, int]]:
    """The most significant pixel, and its most significant 8-neighbour if that is >= 3 sigma
    and holds at least a tenth of the first's excess (a cosmic ray may split over two)."""
    top = np.unravel_index(int(np.argmax(z)), z.shape)
    pixels = [(int(top[0]), int(top[1]))]
    best, second = 3.0, None
    z = np.where(image >= 0.1 * image[top], z, -np.inf)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            r, c = top[0] + dr, top[1] + dc
            if (dr or dc) and 0 <= r < z.shape[0] and 0 <= c < z.shape[1] and z[r, c] >= best:
                best, second = z[r, c], (int(r), int(c))
    if second is not None:
        pixels.append(second)
    return pixels


def point_source(ev: Evidence, image: np.ndarray, weight: np.ndarray, signal: float,
                 sign: int | None = None) -> PointSource:
    """The most significant point source in ``image`` (noise 1/sqrt(weight))."""
    snr_map = matched_filter(image, weight, ev.psf_sigma)
    if sign is None:
        sign = 1 if snr_map.max() >= -snr_map.min() else -1
    peak = np.unravel_index(int(np.argmax(sign * snr_map)), image.shape)
    noise = np.where(weight > 0, 1 / np.sqrt(np.where(weight > 0, weight, 1.0)), 0.0)
    r, c, sr, sc = windowed_centroid(sign * image, noise, peak, centroid_width(ev))
    if not np.isfinite(r):
        r, c, sr, sc = float(peak[0]), float(peak[1]), math.nan, math.nan
    fit = weighted_fit(image, weight, [psf_image(image.shape, r, c, ev.psf_sigma)])
    z = sign * image * np.sqrt(weight)
    top = _top_pixels(z, sign * image)
    top_explained = float(sum(max(z[p], 0.0) ** 2 for p in top))
    return PointSource(sign=sign, row=r, column=c, sigma_row=sr, sigma_column=sc,
                       peak_snr=float(sign * snr_map[peak]), amplitude=float(fit.coefficients[0]),
                       fraction=_fraction(fit.explained, 3, signal), snr=fit.snr(1),
                       top_pixels=top, top_fraction=_fraction(top_explained, len(top), signal),
                       top_snr=math.sqrt(max(top_explained - len(top), 0.0)))


# -- cosmic rays ---------------------------------------------------------------------------------

def psf_rejection(ev: Evidence, image: np.ndarray, weight: np.ndarray,
                  pixels: list[tuple[int, int]]) -> float:
    """How much worse (sigma) a PSF fits the 5x5 pixels around ``pixels`` than ``pixels``
    alone do: large for a cosmic ray, negative-clipped-to-0 for a star's PSF.

    Measured in the box, with each model's amplitude fitted (the PSF at the best of a 0.2-px
    grid of positions within 0.4 px of the brightest pixel), so a bright star's noisy wings
    cannot make a single hot pixel look like a PSF or the reverse."""
    (r, c), (rows, cols) = pixels[0], image.shape
    box = (slice(max(r - 2, 0), r + 3), slice(max(c - 2, 0), c + 3))
    y, w = image[box], weight[box]
    alone = w.copy()
    for p in pixels:
        alone[p[0] - box[0].start, p[1] - box[1].start] = 0.0
    chi2_pixels = float(np.sum(alone * y ** 2))
    best = math.inf
    for dr in np.arange(-0.4, 0.41, 0.2):
        for dc in np.arange(-0.4, 0.41, 0.2):
            psf = psf_image((rows, cols), r + dr, c + dc, ev.psf_sigma)[box]
            norm = float(np.sum(w * psf ** 2))
            if norm > 0:
                amplitude = float(np.sum(w * psf * y)) / norm
                best = min(best, float(np.sum(w * (y - amplitude * psf) ** 2)))
    return math.sqrt(max(best - chi2_pixels, 0.0)) if np.isfinite(best) else 0.0


def cosmic_ray(ev: Evidence):
    w1 = ev.frame_weight()
    n_valid = float(ev.valid.sum())
    z_tops = [float(np.max(d * np.sqrt(w1))) for d in ev.diffs]
    i = int(np.argmax(z_tops))
    frame = int(ev.event[i])
    # each frame less every smooth or global change (Evidence.clean): what is left is local
    diffs = [ev.clean(d, w1, 1, everything=True)[0] for d in ev.diffs] \
        if ev.event.size <= 4 else list(ev.diffs)
    signals = [signal_of(float(np.sum(w1 * d ** 2)), n_valid) for d in diffs]
    source = point_source(ev, diffs[i], w1, signals[i], sign=1)
    pixels = source.top_pixels
    amplitude = float(sum(ev.diffs[i][p] for p in pixels))
    explained = source.top_snr ** 2 + len(pixels)
    share = _fraction(explained, len(pixels), sum(signals))  # of the whole event
    sharpness = psf_rejection(ev, diffs[i], w1, pixels)
    persistence = 0.0
    for other in (frame - 1, frame + 1):
        if 0 <= other < ev.tpf.n_cadences and not (ev.first <= other <= ev.last):
            d = np.where(ev.valid, np.nan_to_num(ev.tpf.flux[other] - ev.reference), 0.0)
            z = ev.clean(d, w1, 1, everything=True)[0] * np.sqrt(w1)
            values = [z[p] for p in pixels if np.isfinite(z[p])]
            persistence = max([persistence, *values])
    factors = {"share": share, "sharp": ramp(sharpness, 3, 6),
               "one_cadence": 1 - ramp(persistence, 3, 5), "snr": ramp(source.top_snr, 5, 8)}
    score = math.prod(factors.values())
    where = " and ".join(f"(row {r}, column {c})" for r, c in pixels)
    noun = "A single pixel" if len(pixels) == 1 else "Two adjacent pixels"
    summary = (f"{noun} {where} {'jumps' if len(pixels) == 1 else 'jump'} by "
               f"{amplitude:,.0f} e-/s ({source.top_snr:.1f} sigma) on frame {frame}, holding "
               f"{share:.0%} of the change; a PSF there fits {sharpness:.1f} sigma worse than "
               f"the pixel(s) alone, and the frames either side are at most {persistence:.1f} "
               "sigma there.")
    if source.top_snr < 5:
        summary = (f"No pixel stands out on its own: the most significant is "
                   f"{source.top_snr:.1f} sigma on frame {frame}.")
    numbers = {"frame": frame, "amplitude": amplitude, "pixel_snr": source.top_snr,
               "share": share, "psf_fraction_of_frame": source.fraction,
               "pixels_fraction_of_frame": source.top_fraction, "psf_rejection": sharpness,
               "neighbour_frames_max_sigma": persistence, "factors": factors}
    return Hypothesis("cosmic_ray", score, summary, numbers, frames=[frame], pixels=pixels,
                overlay={"pixels": [[float(r), float(c)] for r, c in pixels]})


# -- moving objects ------------------------------------------------------------------------------

def _detections(ev: Evidence, frames: np.ndarray, stack: np.ndarray) -> list[tuple]:
    """(frame, row, column, S/N) of the brightest point source on each frame, after taking
    out what a pointing shift, a flat offset and the target's own change explain."""
    w1 = ev.frame_weight()
    d_row, d_col = ev.gradients()
    basis = [np.where(ev.valid, 1.0, 0.0), d_row, d_col]
    if ev.target is not None:
        basis.append(ev.template())
    sw = np.sqrt(w1).ravel()
    design = np.stack([b.ravel() * sw for b in basis], axis=1)
    data = stack.reshape(len(frames), -1) * sw
    # normal equations: a k x k solve instead of an SVD of the (pixels x k) design
    coefficients = np.linalg.pinv(design.T @ design, hermitian=True) @ (design.T @ data.T)
    residuals = (data - (design @ coefficients).T) / np.where(sw > 0, sw, 1.0)
    residuals = residuals.reshape(stack.shape)
    found = []
    for frame, residual in zip(frames, residuals, strict=True):
        snr = matched_filter(residual, w1, ev.psf_sigma)
        r, c = np.unravel_index(int(np.argmax(snr)), snr.shape)
        if snr[r, c] >= DETECTION_SNR:
            found.append((int(frame), r + _vertex(snr, r, c, 0), c + _vertex(snr, r, c, 1),
                          float(snr[r, c])))
    return found


def _vertex(snr: np.ndarray, r: int, c: int, axis: int) -> float:
    """Sub-pixel offset of a peak along one axis, from a parabola through three values."""
    index = (r, c)[axis]
    if index == 0 or index == snr.shape[axis] - 1:
        return 0.0
    step = (1, 0) if axis == 0 else (0, 1)
    low, mid, high = snr[r - step[0], c - step[1]], snr[r, c], snr[r + step[0], c + step[1]]
    curvature = low - 2 * mid + high
    return float(np.clip(0.5 * (low - high) / curvature, -0.5, 0.5)) if curvature < 0 else 0.0


def _track(found: list[tuple]):
    """The straight track with most S/N among the detections (pairs as candidates)."""
    if len(found) < 3:
        return None
    t = np.array([f[0] for f in found], dtype=float)
    pos = np.array([[f[1], f[2]] for f in found])
    q = np.array([f[3] for f in found])
    best, best_score = None, 0.0
    for i, j in combinations(range(len(found)), 2):
        velocity = (pos[j] - pos[i]) / (t[j] - t[i])
        predicted = pos[i] + np.outer(t - t[i], velocity)
        inliers = np.linalg.norm(pos - predicted, axis=1) <= TRACK_TOLERANCE
        if inliers.sum() >= 3 and q[inliers].sum() > best_score:
            best, best_score = inliers, q[inliers].sum()
    if best is None:
        return None
    design = np.stack([np.ones(best.sum()), t[best]], axis=1) * q[best, None]
    coef, *_ = np.linalg.lstsq(design, pos[best] * q[best, None], rcond=None)
    residual = pos[best] - np.stack([np.ones(best.sum()), t[best]], axis=1) @ coef
    rms = float(np.sqrt(np.mean(np.sum(residual ** 2, axis=1))))
    return {"origin": coef[0], "velocity": coef[1], "rms": rms, "frames": t[best].astype(int),
            "positions": pos[best], "snr": q[best]}


def moving_object(ev: Evidence):
    frames, stack = ev.window_diffs(TRACK_MARGIN + ev.event.size // 2)
    found = _detections(ev, frames, stack)
    track = _track(found)
    window = f"frames {int(frames.min())}-{int(frames.max())}"
    if track is None:
        return Hypothesis("moving_object", 0.0,
                    f"No point source moves across {window}: {len(found)} frame(s) show one "
                    f"at S/N >= {DETECTION_SNR:g}, and a track needs three on a line.",
                    {"detections": len(found), "window_first": int(frames.min()),
                     "window_last": int(frames.max())},
                    overlay={"detections": [[f, r, c] for f, r, c, _ in found]})
    velocity = track["velocity"]
    speed = float(np.hypot(*velocity))
    span = int(track["frames"].max() - track["frames"].min())
    displacement = speed * span
    direction = float(np.degrees(np.arctan2(velocity[0], velocity[1])) % 360)
    predicted = track["origin"] + np.outer(ev.event, velocity)
    rows, cols = ev.shape
    on_stamp = ((predicted[:, 0] > -1) & (predicted[:, 0] < rows) & (predicted[:, 1] > -1)
                & (predicted[:, 1] < cols))
    template = np.mean([psf_image(ev.shape, r, c, ev.psf_sigma) for r, c in predicted], axis=0)
    fit = ev.fit([template])
    share = ev.fraction(fit.explained, 1) if on_stamp.any() else 0.0
    snr = float(np.sqrt(np.sum(track["snr"] ** 2)))
    factors = {"share": share, "detections": ramp(len(track["frames"]), 2, 4),
               "moves": ramp(displacement, 0.7, 1.5), "straight": 1 - ramp(track["rms"], 0.5, 1.0),
               "snr": ramp(snr, 6, 10)}
    score = math.prod(factors.values())
    numbers = {"detections": len(track["frames"]), "speed_px_per_cadence": speed,
               "velocity_row": float(velocity[0]), "velocity_column": float(velocity[1]),
               "direction_deg": direction, "displacement_px": displacement,
               "track_rms_px": track["rms"], "track_snr": snr, "share": share,
               "flux": float(fit.coefficients[0]), "factors": factors}
    if ev.tpf.cadence_days:
        numbers["speed_arcsec_per_hour"] = (speed * plate_scale(ev.tpf.mission)
                                            / (ev.tpf.cadence_days * 24))
    track_points = [[int(f), float(r), float(c)]
                    for f, (r, c) in zip(track["frames"], track["positions"], strict=True)]
    summary = (f"A point source moves {speed:.2f} px/cadence toward {direction:.0f} deg "
               f"(0 = +column, 90 = +row) through {len(track_points)} frames "
               f"({int(track['frames'].min())}-{int(track['frames'].max())}), "
               f"{displacement:.1f} px in all, within {track['rms']:.2f} px of a straight "
               f"track; its path explains {share:.0%} of the change.")
    pixels = sorted({(int(round(r)), int(round(c))) for _, r, c in track_points
                     if 0 <= round(r) < rows and 0 <= round(c) < cols})
    return Hypothesis("moving_object", score, summary, numbers,
                frames=[p[0] for p in track_points], pixels=pixels,
                overlay={"track": track_points,
                         "predicted": [[int(f), float(r), float(c)]
                                       for f, (r, c) in zip(ev.event, predicted, strict=True)]})
