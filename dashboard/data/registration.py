"""Which target pixel file frame each point of a custom light curve belongs to.

With cadence numbers on both sides the match is exact. Without them each point goes to the
frame nearest in time, but only within half a cadence: a point further away than that was not
taken during any frame of this file, and pretending otherwise would show the wrong pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Registration:
    frames: np.ndarray  # int64 per custom point: 0-based TPF frame, or -1 when it matches none
    method: str  # 'cadenceno' or 'time'
    matched: int
    unmatched: int
    overlaps: bool  # False when no point's time falls within the TPF's time span

    def points_by_frame(self, n_frames: int) -> np.ndarray:
        """For each TPF frame, the index of the first custom point on it, or -1 (int64)."""
        points = np.full(n_frames, -1, dtype=np.int64)
        on_frame = np.flatnonzero(self.frames >= 0)
        # assigning in reverse leaves the first point of each frame in place
        points[self.frames[on_frame[::-1]]] = on_frame[::-1]
        return points

    def summary(self) -> str:
        """One sentence for the page's notice."""
        total = self.matched + self.unmatched
        if not self.overlaps:
            return ("None of the light curve's times fall within the target pixel file's time "
                    "span: check that both are the same star and campaign, quarter or sector, "
                    "and that the time system is right.")
        how = "cadence number" if self.method == "cadenceno" else "time (within half a cadence)"
        text = f"{self.matched} of {total} points matched a cadence by {how}."
        if self.unmatched:
            text += f" {self.unmatched} match none and are marked."
        return text


def register(custom_time: np.ndarray, tpf_time: np.ndarray, *, cadence_days: float | None,
             custom_cadenceno: np.ndarray | None = None,
             tpf_cadenceno: np.ndarray | None = None) -> Registration:
    """Match every custom point to a TPF frame; see the module docstring for the rules.

    ``custom_time`` must already be in the TPF's time system. Whether the TPF's cadence numbers
    are real (not synthesised) is the caller's call: given both, they are used.
    """
    custom_time = np.asarray(custom_time, dtype=np.float64)
    tpf_time = np.asarray(tpf_time, dtype=np.float64)
    valid = np.flatnonzero(np.isfinite(tpf_time))  # frames with NaN time never match
    half = _half_cadence(tpf_time[valid], cadence_days)

    if custom_cadenceno is not None and tpf_cadenceno is not None:
        frames = _by_cadenceno(np.asarray(custom_cadenceno, dtype=np.int64),
                               np.asarray(tpf_cadenceno, dtype=np.int64))
        method = "cadenceno"
    else:
        frames = _by_time(custom_time, tpf_time, valid, half)
        method = "time"

    overlaps = False
    if valid.size and custom_time.size:
        start, end = tpf_time[valid].min() - half, tpf_time[valid].max() + half
        overlaps = bool(np.any((custom_time >= start) & (custom_time <= end)))
    matched = int(np.count_nonzero(frames >= 0))
    return Registration(frames=frames, method=method, matched=matched,
                        unmatched=int(frames.size - matched), overlaps=overlaps)


def _half_cadence(valid_times: np.ndarray, cadence_days: float | None) -> float:
    if cadence_days is not None and np.isfinite(cadence_days) and cadence_days > 0:
        return float(cadence_days) / 2
    steps = np.diff(np.sort(valid_times))
    steps = steps[steps > 0]
    return float(np.median(steps)) / 2 if steps.size else 0.0


def _by_cadenceno(custom: np.ndarray, tpf: np.ndarray) -> np.ndarray:
    # A stable sort keeps the first frame of any repeated cadence number first.
    order = np.argsort(tpf, kind="stable")
    ordered = tpf[order]
    if ordered.size == 0:
        return np.full(custom.size, -1, dtype=np.int64)
    position = np.clip(np.searchsorted(ordered, custom), 0, ordered.size - 1)
    return np.where(ordered[position] == custom, order[position], -1).astype(np.int64)


def _by_time(custom: np.ndarray, tpf_time: np.ndarray, valid: np.ndarray,
             half: float) -> np.ndarray:
    if valid.size == 0:
        return np.full(custom.size, -1, dtype=np.int64)
    order = valid[np.argsort(tpf_time[valid], kind="stable")]  # frame numbers by time
    times = tpf_time[order]
    after = np.clip(np.searchsorted(times, custom), 0, times.size - 1)
    before = np.clip(after - 1, 0, times.size - 1)
    # nearest of the two neighbours; an exact tie goes to the earlier frame
    take_after = np.abs(times[after] - custom) < np.abs(custom - times[before])
    nearest = np.where(take_after, after, before)
    close = np.abs(times[nearest] - custom) <= half  # NaN custom times compare False
    return np.where(close, order[nearest], -1).astype(np.int64)
