"""``find_blips``: the events of the aperture light curve, each named by ``explain``.

The light curve (sum of FLUX over the aperture; hidden and empty cadences left out) is detrended
by a running median over ``window_days`` (at least three times the longest box), and its
robust scatter (1.4826 x MAD of the residuals) turns departures into sigmas. Boxes of 1, 2, 4, 8
and 16 cadences are slid along the residuals; a cadence belongs to an event when a box covering
it departs by ``threshold`` sigma or more (box sum / (sigma sqrt(width))). Touching cadences of
the same sign merge into one event, cut down to its core: the cadences around the strongest one that
depart by at least max(1, 0.3 x its departure) sigma (a single weaker cadence is stepped over).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .evidence import aperture_sum, robust_sigma, usable_frames
from .explain import N_REFERENCE, check_aperture, explain
from .imaging import running_median
from .report import BlipEvent, BlipList, Skipped
from .source import as_tpf

WIDTHS = (1, 2, 4, 8, 16)
THRESHOLD = 5.0
MAX_EVENTS = 20


def _covering_max(box: np.ndarray, width: int, m: int) -> np.ndarray:
    """For each point, the largest box value among the boxes of ``width`` that cover it."""
    padded = np.concatenate([np.full(width - 1, -np.inf), box, np.full(width - 1, -np.inf)])
    return sliding_window_view(padded, width).max(axis=1)[:m]


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1, strict=True))


def _core(z: np.ndarray, peak: int, start: int, stop: int) -> tuple[int, int]:
    """The cadences around ``peak`` that depart by at least max(1, 0.3 x the peak) sigma,
    stepping over single cadences that do not, within ``start``..``stop``."""
    keep = max(1.0, 0.3 * float(z[peak]))
    low = high = peak
    while low > start and (z[low - 1] >= keep or (low - 2 >= start and z[low - 2] >= keep)):
        low -= 1 if z[low - 1] >= keep else 2
    while high < stop and (z[high + 1] >= keep or (high + 2 <= stop and z[high + 2] >= keep)):
        high += 1 if z[high + 1] >= keep else 2
    return low, high


def find_blips(tpf, aperture=None, *, hidden=None, threshold: float = THRESHOLD,
               max_events: int = MAX_EVENTS, window_days: float = 1.0, explain_events=True,
               n_reference: int = N_REFERENCE) -> BlipList:
    """Events of the aperture light curve, most significant first, each with ``explain``'s
    report over its frames (``explain_events=False`` skips that)."""
    tpf = as_tpf(tpf)
    aperture = check_aperture(tpf, aperture)
    if not aperture.any():
        return BlipList(skipped=[Skipped("find_blips", "the aperture is empty, so there is no "
                                                       "light curve to search")])
    flux = aperture_sum(tpf, aperture)
    frames = np.flatnonzero(np.isfinite(flux) & usable_frames(tpf, hidden))
    widths = [w for w in WIDTHS if w <= max(frames.size // 3, 1)]
    if frames.size < 5:
        return BlipList(skipped=[Skipped("find_blips", f"only {frames.size} cadence(s) have "
                                         "data, too few to tell a blip from the trend")])
    cadence = tpf.cadence_days or float(np.nanmedian(np.diff(tpf.time))) or 1 / 48
    window = max(int(round(window_days / cadence)) | 1, 3 * widths[-1] + 1)
    residual = flux[frames] - running_median(flux[frames], window)
    sigma = float(robust_sigma(residual))
    if not sigma > 0:
        sigma = float(np.std(residual)) or 1.0
    m = frames.size
    sums = np.concatenate([[0.0], np.cumsum(residual)])
    best = {1: np.zeros(m), -1: np.zeros(m)}
    for width in widths:
        box = (sums[width:] - sums[:-width]) / (sigma * math.sqrt(width))
        for sign in (1, -1):
            best[sign] = np.maximum(best[sign], _covering_max(sign * box, width, m))
    z = residual / sigma
    events = []
    for sign in (1, -1):
        for start, stop in _runs(best[sign] >= threshold):
            peak = start + int(np.argmax(sign * z[start:stop + 1]))
            start, stop = _core(sign * z, peak, start, stop)
            events.append(BlipEvent(
                first=int(frames[start]), last=int(frames[stop]), peak=int(frames[peak]),
                significance=float(np.max(best[sign][start:stop + 1])),
                excess=float(np.mean(residual[start:stop + 1]))))
    events.sort(key=lambda e: -e.significance)
    events = events[:max_events]
    if explain_events:
        for event in events:
            event.report = explain(tpf, event.first, aperture, last=event.last, hidden=hidden,
                                   n_reference=n_reference)
    return BlipList(events, numbers={"sigma": sigma, "threshold": threshold,
                                     "window_cadences": window, "cadences_searched": m,
                                     "widths": widths, "aperture_pixels": int(aperture.sum())})
