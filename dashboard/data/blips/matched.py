"""A difference image against reference frames that match each event frame's pointing.

Where the pointing drifts (K2 rolls by a few tenths of a pixel between thruster firings) the
mean of a few event frames minus a median of nearby frames holds a dipole that can be larger
than a 1% dip, and it drags the change's centroid off the target. Which star a dip belongs to
is therefore judged on a difference taken, frame by frame, against the reference frames whose
aperture centroid is nearest to that frame's, as K2 analyses compare like roll with like.
"""

from __future__ import annotations

import numpy as np

from .evidence import GAP, Evidence, empty_frames, nan_median, robust_sigma, signal_of

POOL = 4  # candidates: up to POOL x n_reference usable frames on each side
NULLS = 12  # reference frames differenced the same way, for the matching's own noise


def _centroids(flux: np.ndarray, mask: np.ndarray) -> np.ndarray:
    rows, cols = np.nonzero(mask)
    pixels = np.nan_to_num(flux[:, mask].astype(np.float64))
    total = pixels.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.stack([pixels @ rows / total, pixels @ cols / total], axis=1)


def _matched(ev: Evidence, frames, frames_xy, pool, pool_xy, m: int) -> np.ndarray:
    """Each of ``frames`` minus the median of the ``m`` pool frames nearest to it in pointing
    (never itself or its neighbours within GAP)."""
    out = np.empty((len(frames), *ev.shape))
    for k, frame in enumerate(frames):
        distance = np.hypot(*(pool_xy - frames_xy[k]).T)
        distance[np.abs(pool - frame) <= GAP] = np.inf
        chosen = pool[np.argsort(np.where(np.isfinite(distance), distance, np.inf))[:m]]
        reference = nan_median(ev.tpf.flux[chosen].astype(np.float64))
        out[k] = np.nan_to_num(ev.tpf.flux[frame] - reference)
    return out


def matched_difference(ev: Evidence) -> tuple[np.ndarray, np.ndarray, float]:
    """(difference image, its weights, its excess chi2) with pointing-matched references,
    less its weighted-mean flat offset. Falls back to the time-nearest reference when the
    aperture is empty. :func:`null_differences` then has the reference frames' own."""
    if "matched" in ev._cache:
        return ev._cache["matched"]
    n = len(ev.reference_frames) // 2 or 1
    candidates = np.flatnonzero(ev.usable & ~empty_frames(ev.tpf))
    before = candidates[candidates < ev.first - GAP][-POOL * n:]
    after = candidates[candidates > ev.last + GAP][:POOL * n]
    pool = np.concatenate([before, after])
    m = min(max(5, n), pool.size)
    if ev.aperture is None or m < 3:
        image, weight, nulls = ev.diff, ev.weight, None
    else:
        mask = ev.aperture & ev.valid
        pool_xy = _centroids(ev.tpf.flux[pool], mask)
        event_xy = _centroids(ev.tpf.flux[ev.event], mask)
        diffs = _matched(ev, ev.event, event_xy, pool, pool_xy, m)
        image = np.where(ev.valid, diffs.mean(axis=0), 0.0)
        # The same differences for reference frames, where nothing happened, say how large the
        # matching leaves its residuals at each pixel: that, not photon noise alone, is the
        # noise a centroid offset must beat.
        sample = pool[np.linspace(0, pool.size - 1, min(NULLS, pool.size)).astype(int)]
        nulls = _matched(ev, sample, _centroids(ev.tpf.flux[sample], mask), pool, pool_xy, m)
        null_sigma = np.asarray(robust_sigma(np.where(ev.valid, nulls, np.nan), axis=0))
        sigma = np.fmax(np.where(np.isfinite(null_sigma), null_sigma, 0.0), ev.sigma)
        weight = np.where(ev.valid, ev.counts / sigma ** 2, 0.0)
    offset = np.sum(weight * image) / max(np.sum(weight), 1e-300)
    image = np.where(ev.valid, image - offset, 0.0)
    result = (image, weight, signal_of(float(np.sum(weight * image ** 2)),
                                       float(ev.valid.sum())))
    ev._cache["matched"] = result
    ev._cache["nulls"] = None if nulls is None else np.where(ev.valid, nulls, 0.0)
    return result


def null_differences(ev: Evidence) -> np.ndarray | None:
    """(frames, rows, cols) single reference frames differenced as the event was, or None."""
    matched_difference(ev)
    return ev._cache["nulls"]
