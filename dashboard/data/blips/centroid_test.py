"""Is a repeating dip on the target? The pixel-level centroid test of transit vetting.

For each event, the difference image is the mean of its frames minus the median of ``baseline``
frames on each side (outside a small gap); the events' differences are averaged. If the dip is
the target's, the difference image is the target's PSF and its centroid sits on the target's
centroid in the out-of-event image (both measured with the same windowed centroid). An offset,
in units of its uncertainty (the larger of the propagated pixel noise and the scatter of the
per-event centroids, plus 0.1 px systematic), says the dip comes from elsewhere. The same is done
for odd and even events apart; a depth that differs between them is an eclipsing binary's mark.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import DataError
from .evidence import robust_sigma, usable_frames
from .explain import check_aperture
from .imaging import locate_target, matched_filter, window_width, windowed_centroid
from .report import CentroidOffset, Skipped, clean, plate_scale
from .source import as_tpf
from .target import SYSTEMATIC_PX


@dataclass
class CentroidTest:
    events: list[tuple[int, int]]  # (first, last) frames of the events used
    all: CentroidOffset
    odd: CentroidOffset | None
    even: CentroidOffset | None
    odd_even_depth_significance: float
    image: np.ndarray  # stacked in-event minus out-of-event image, e-/s
    summary: str
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def overlay(self) -> dict:
        overlay = {"centroid": list(self.all.centroid), "target": list(self.all.target)}
        for name in ("odd", "even"):
            part = getattr(self, name)
            if part is not None:
                overlay[name] = list(part.centroid)
        return overlay

    def to_dict(self) -> dict:
        return clean({"events": self.events, "all": self.all.to_dict(),
                      "odd": self.odd.to_dict() if self.odd else None,
                      "even": self.even.to_dict() if self.even else None,
                      "odd_even_depth_significance": self.odd_even_depth_significance,
                      "summary": self.summary, "overlay": self.overlay,
                      "image": np.where(np.isfinite(self.image), self.image, np.nan),
                      "skipped": [s.to_dict() for s in self.skipped]})


def event_frames(tpf, period: float, epoch: float, duration: float) -> list[tuple[int, int, int]]:
    """(first, last, number) of each event: frames whose time is within duration/2 of
    epoch + number x period (days, in the file's own BKJD/BTJD)."""
    if not (period > 0 and duration > 0):
        raise DataError("The period and the duration must both be more than 0 days.")
    time = tpf.time
    finite = np.isfinite(time)
    if not finite.any():
        raise DataError("This file has no times, so events cannot be placed by period.")
    numbers = np.round((time - epoch) / period)
    inside = finite & (np.abs(time - (epoch + numbers * period)) <= duration / 2)
    events = []
    for number in np.unique(numbers[inside]):
        frames = np.flatnonzero(inside & (numbers == number))
        events.append((int(frames.min()), int(frames.max()), int(number)))
    if not events:
        raise DataError(f"No event of period {period:g} d and epoch {epoch:g} falls within this "
                        f"file's times {np.nanmin(time):.3f}-{np.nanmax(time):.3f} "
                        f"{tpf.time_system}.")
    return events


def centroid_test(tpf, period: float, epoch: float, duration: float, aperture=None, *,
                  hidden=None, baseline: int | None = None) -> CentroidTest:
    """The centroid test for events every ``period`` days from ``epoch`` (same time system as
    the file), each ``duration`` days long."""
    tpf = as_tpf(tpf)
    found = event_frames(tpf, period, epoch, duration)
    return centroid_test_frames(tpf, [(f, last) for f, last, _ in found], aperture,
                                hidden=hidden, baseline=baseline,
                                numbers=[n for _, _, n in found])


def centroid_test_frames(tpf, events, aperture=None, *, hidden=None,
                         baseline: int | None = None, numbers=None) -> CentroidTest:
    """The centroid test for explicit events, each a (first, last) frame range. Odd and even
    go by ``numbers`` (the event's count from the epoch) or, without them, by position."""
    tpf = as_tpf(tpf)
    aperture = check_aperture(tpf, aperture)
    if not aperture.any():
        raise DataError("The aperture is empty, so the target's position is unknown.")
    if min(tpf.shape) < 3:
        raise DataError(f"The stamp is {tpf.shape[0]}x{tpf.shape[1]} pixels: too narrow for a "
                        "centroid test (it needs 3 pixels across).")
    usable = usable_frames(tpf, hidden)
    numbers = list(range(len(events))) if numbers is None else list(numbers)
    kept, skipped = [], []
    for (first, last), number in zip(events, numbers, strict=True):
        part = _one_event(tpf, usable, int(first), int(last), baseline)
        if isinstance(part, str):
            skipped.append(Skipped(f"event {first}-{last}", part))
        else:
            kept.append((number, part))
    if not kept:
        raise DataError("None of the events has frames with data and a baseline either side: "
                        + "; ".join(s.reason for s in skipped))
    every = _offset(tpf, [p for _, p in kept], aperture)
    odd_parts = [p for n, p in kept if n % 2]
    even_parts = [p for n, p in kept if not n % 2]
    odd = _offset(tpf, odd_parts, aperture, every) if odd_parts else None
    even = _offset(tpf, even_parts, aperture, every) if even_parts else None
    odd_even = (abs(odd.depth - even.depth) / math.hypot(odd.depth_sigma, even.depth_sigma)
                if odd and even and math.hypot(odd.depth_sigma, even.depth_sigma) > 0
                else math.nan)
    image = np.mean([p["diff"] for _, p in kept], axis=0)
    return CentroidTest(events=[p["frames"] for _, p in kept], all=every, odd=odd, even=even,
                        odd_even_depth_significance=odd_even, image=image,
                        summary=_summary(every, odd, even, odd_even), skipped=skipped)


def _one_event(tpf, usable, first: int, last: int, baseline: int | None):
    length = last - first + 1
    span = baseline or max(2 * length, 6)
    gap = max(2, length // 4)
    frames = np.arange(tpf.n_cadences)
    inside = np.flatnonzero(usable & (frames >= first) & (frames <= last))
    out = np.flatnonzero(usable & (((frames >= first - gap - span) & (frames < first - gap))
                                   | ((frames > last + gap) & (frames <= last + gap + span))))
    if inside.size == 0:
        return "no usable frame inside the event"
    if out.size < 3:
        return f"only {out.size} usable baseline frame(s) beside it"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        in_image = np.nanmean(tpf.flux[inside].astype(np.float64), axis=0)
        stack = tpf.flux[out].astype(np.float64)
        out_image = np.nanmedian(stack, axis=0)
        sigma = robust_sigma(stack, axis=0)
    # variance of a mean of n_in frames minus a median of n_out (pi/2 for the median)
    variance = sigma ** 2 * (1 / inside.size + math.pi / 2 / out.size)
    return {"frames": (first, last), "diff": in_image - out_image, "out": out_image,
            "variance": variance}


def _offset(tpf, parts, aperture, reference: CentroidOffset | None = None) -> CentroidOffset:
    n = len(parts)
    diff = np.mean([p["diff"] for p in parts], axis=0)
    out = np.mean([p["out"] for p in parts], axis=0)
    variance = np.sum([p["variance"] for p in parts], axis=0) / n ** 2
    valid = np.isfinite(diff) & np.isfinite(out) & np.isfinite(variance) & (variance > 0)
    noise = np.where(valid, np.sqrt(np.where(valid, variance, 0.0)), 0.0)
    inside = aperture & valid
    depths = [float(np.nansum(p["diff"][inside])) for p in parts]
    depth = float(np.mean(depths))
    depth_sigma = math.sqrt(float(np.sum(variance[inside])))
    if n >= 3:
        depth_sigma = max(depth_sigma, float(np.std(depths, ddof=1)) / math.sqrt(n))
    far = valid & ~aperture
    sky = float(np.median(out[far])) if far.sum() >= 4 else 0.0
    found = locate_target(np.where(valid, out - sky, 0.0), inside, noise / math.sqrt(2))
    if found is None:
        raise DataError("The out-of-event image has no flux in the aperture, so the target's "
                        "position is unknown.")
    (r0, c0), (tr, tc), psf_sigma = found
    sign = -1 if depth < 0 else 1
    image = np.where(valid, sign * diff, 0.0)
    weight = np.where(valid, 1 / np.where(valid, variance, 1.0), 0.0)
    snr = matched_filter(image, weight, psf_sigma)
    start = reference.centroid if reference else np.unravel_index(int(np.argmax(snr)), snr.shape)
    width = window_width(psf_sigma)
    r, c, sr, sc = windowed_centroid(image, noise, start, width)
    if not np.isfinite(r):
        r, c, sr, sc = float(start[0]), float(start[1]), math.inf, math.inf
    if n >= 3:  # the scatter of the events' own centroids, when there are enough to have one
        each = [windowed_centroid(np.where(valid, sign * p["diff"], 0.0), noise, (r, c), width)
                for p in parts]
        each = np.array([e[:2] for e in each if np.isfinite(e[0])])
        if len(each) >= 3:
            sr = max(sr, float(np.std(each[:, 0], ddof=1)) / math.sqrt(len(each)))
            sc = max(sc, float(np.std(each[:, 1], ddof=1)) / math.sqrt(len(each)))
    sr = math.sqrt(sr ** 2 + tr ** 2 + SYSTEMATIC_PX ** 2)
    sc = math.sqrt(sc ** 2 + tc ** 2 + SYSTEMATIC_PX ** 2)
    dr, dc = r - r0, c - c0
    px = math.hypot(dr, dc)
    return CentroidOffset(n_events=n, centroid=(r, c), target=(r0, c0), offset_row=dr,
                          offset_column=dc, sigma_row=sr, sigma_column=sc, offset_px=px,
                          offset_arcsec=px * plate_scale(tpf.mission),
                          significance=math.hypot(dr / sr, dc / sc), depth=depth,
                          depth_sigma=depth_sigma)


def _summary(every: CentroidOffset, odd, even, odd_even: float) -> str:
    change = "dip" if every.depth < 0 else "bump"
    verdict = ("is on the target" if every.significance < 3 else
               f"is NOT on the target: it points at stamp pixel (row {every.pixel[0]}, column "
               f"{every.pixel[1]})")
    text = (f"Over {every.n_events} event(s) the {change} of {abs(every.depth):,.1f} e-/s "
            f"({abs(every.depth) / every.depth_sigma:.1f} sigma) has its centroid "
            f"{every.offset_px:.2f} px ({every.offset_arcsec:.1f} arcsec) from the target, "
            f"{every.significance:.1f} sigma: it {verdict}.")
    parts = [f"{name} {part.offset_px:.2f} px ({part.significance:.1f} sigma, depth "
             f"{part.depth:,.1f} e-/s)" for name, part in (("odd", odd), ("even", even)) if part]
    if parts:
        text += " Odd and even events apart: " + "; ".join(parts)
        if np.isfinite(odd_even):
            text += f"; their depths differ by {odd_even:.1f} sigma"
        text += "."
    return text
