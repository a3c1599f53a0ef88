"""The measurements every hypothesis shares: difference images, their noise, the target, fits.

For an event (frames ``first``..``last``) the *reference* is the per-pixel median of up to
``n_reference`` usable frames on each side, outside the event and a small gap around it (usable:
not hidden by the quality mask, not entirely NaN). The *difference image* is the event's mean
frame minus the reference, so static stars cancel and what changed stands out.

The per-pixel noise of one cadence is the larger of the robust scatter of the reference frames
about their median (1.4826 x MAD, which includes pointing jitter: a blip is judged against what
is usual at that pixel) and 0.8 x the pipeline's FLUX_ERR (which keeps a pixel whose 2n
reference values happen to agree closely from looking falsely significant).

Everything is weighted least squares with weights 1 / noise^2 over the valid pixels: the excess
``chi2`` of the difference image is the signal every hypothesis tries to explain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

import numpy as np

from ..tpf import TargetPixelFile
from .imaging import (
    Fit,
    locate_target,
    nan_median,
    robust_sigma,
    running_median,
    weighted_fit,
    window_width,
)
from .nuisance import Nuisance

GAP = 2  # frames left out on each side of the event before the reference starts
MIN_REFERENCE = 3
DEFAULT_PSF_SIGMA = 1.0

_EMPTY: WeakKeyDictionary = WeakKeyDictionary()


def signal_of(chi2: float, n: float) -> float:
    return max(chi2 - n, 3 * math.sqrt(2 * n), 1.0)


class Unusable(Exception):
    """A check (or all pixel checks) cannot run; the message says why, for ``skipped``."""


def empty_frames(tpf: TargetPixelFile) -> np.ndarray:
    """True for frames with no finite pixel (Kepler 'No data' cadences), cached per file."""
    empty = _EMPTY.get(tpf)
    if empty is None:
        empty = ~np.isfinite(tpf.flux).any(axis=(1, 2))
        _EMPTY[tpf] = empty
    return empty


def aperture_sum(tpf, aperture: np.ndarray) -> np.ndarray:
    """Sum of FLUX over the aperture per frame, float64; NaN where every aperture pixel is."""
    pixels = np.take(tpf.flux.reshape(tpf.n_cadences, -1), np.flatnonzero(aperture), axis=1)
    finite = np.isfinite(pixels)
    total = (np.sum if finite.all() else np.nansum)(pixels, axis=1, dtype=np.float64)
    total[~finite.any(axis=1)] = np.nan
    return total


_UNUSUAL: WeakKeyDictionary = WeakKeyDictionary()
UNUSUAL_SIGMA = 4.0  # aperture-sum departures beyond this are kept out of references
WINDOW_DAYS = 1.0


def unusual_frames(tpf: TargetPixelFile, aperture: np.ndarray | None) -> np.ndarray:
    """Frames whose aperture sum departs from its one-day running median by more than
    UNUSUAL_SIGMA robust sigmas (a blip: a transit, an asteroid crossing), cached per file and
    aperture. They are kept out of reference medians, so a cadence in the middle of a long blip
    is not compared with the rest of that blip. None of them when they are over 30% of frames."""
    n = tpf.n_cadences
    if aperture is None or not np.any(aperture) or n < 5:
        return np.zeros(n, bool)
    key = np.packbits(aperture).tobytes()
    cached = _UNUSUAL.setdefault(tpf, {})
    if key not in cached:
        flux = aperture_sum(tpf, aperture)
        good = np.flatnonzero(np.isfinite(flux))
        unusual = np.zeros(n, bool)
        if good.size >= 5:
            cadence = tpf.cadence_days or 1 / 48
            window = max(int(round(WINDOW_DAYS / cadence)) | 1, 49)
            residual = flux[good] - running_median(flux[good], window)
            sigma = float(robust_sigma(residual))
            if sigma > 0:
                unusual[good] = np.abs(residual) > UNUSUAL_SIGMA * sigma
        cached[key] = unusual if unusual.mean() <= 0.3 else np.zeros(n, bool)
    return cached[key]


def usable_frames(tpf: TargetPixelFile, hidden=None) -> np.ndarray:
    usable = ~empty_frames(tpf)
    if hidden is not None:
        hidden = np.asarray(hidden, dtype=bool)
        if hidden.shape == usable.shape:
            usable = usable & ~hidden
    return usable


def reference_frames(usable: np.ndarray, first: int, last: int, n: int,
                     gap: int = GAP) -> np.ndarray:
    """Up to ``n`` nearest usable frames before ``first - gap`` and after ``last + gap``."""
    candidates = np.flatnonzero(usable)
    before = candidates[candidates < first - gap][-n:]
    after = candidates[candidates > last + gap][:n]
    if before.size + after.size < 2 * n:  # near a file's end: take more from the other side
        before = candidates[candidates < first - gap][-(2 * n - after.size):]
        after = candidates[candidates > last + gap][:2 * n - before.size]
    return np.concatenate([before, after])


@dataclass
class Evidence(Nuisance):
    tpf: TargetPixelFile
    first: int
    last: int
    event: np.ndarray  # event frames with data
    reference_frames: np.ndarray
    reference: np.ndarray  # (rows, cols) float64 median of the reference frames
    sigma: np.ndarray  # (rows, cols) noise of ONE cadence, inf where unusable
    diffs: np.ndarray  # (len(event), rows, cols) each event frame minus the reference
    reference_diffs: np.ndarray  # (len(reference_frames), rows, cols) likewise, 0 if invalid
    diff: np.ndarray  # (rows, cols) mean over the event less its usual wobble (see clean)
    valid: np.ndarray  # (rows, cols) pixels with a reference, a noise and event data
    weight: np.ndarray  # 1 / noise^2 of ``diff``, 0 where invalid
    counts: np.ndarray  # (rows, cols) event frames with data at each pixel
    aperture: np.ndarray | None  # bool mask, None when empty
    numbers: dict = field(default_factory=dict)
    target: tuple[float, float] | None = None
    target_sigma: tuple[float, float] = (0.0, 0.0)
    psf_sigma: float = DEFAULT_PSF_SIGMA
    usable: np.ndarray | None = None
    raw_diff: np.ndarray | None = None  # the mean over the event as measured
    _cache: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        return self.reference.shape

    @property
    def chi2(self) -> float:
        """chi2 of the difference image against zero change."""
        return float(np.sum(self.weight * self.diff ** 2))

    @property
    def signal(self) -> float:
        """chi2 beyond what noise alone gives (one per valid pixel), at least 3 times the
        noise's own spread (3 sqrt(2 n)): a quiet frame's few chi2 are not 'the change'."""
        return signal_of(self.chi2, float(self.valid.sum()))

    def fraction(self, explained: float, k: int = 0) -> float:
        """Share of the difference image's excess chi2 a model with ``k`` parameters explains."""
        return float(min(max((explained - k) / self.signal, 0.0), 1.0))

    def fit(self, basis: list[np.ndarray], data: np.ndarray | None = None,
            weight: np.ndarray | None = None) -> Fit:
        y = self.diff if data is None else data
        w = self.weight if weight is None else weight
        return weighted_fit(y, w, basis)

    def usual(self, fit: Fit, length: int | None = None) -> np.ndarray:
        """How much each fitted coefficient usually varies: its robust scatter over the
        reference frames (each fitted alone), scaled to the event's length. Noise common to
        all pixels (a background that wobbles, pointing jitter) is in it, so a component is
        significant only when it is unusual for this file, not merely above photon noise."""
        values = fit.projection @ self.reference_diffs.reshape(len(self.reference_frames), -1).T
        return np.asarray(robust_sigma(values, axis=1)) / math.sqrt(length or self.event.size)

    def component_snr(self, fit: Fit, which=None) -> float:
        """S/N of coefficients ``which`` (default all): each over the larger of its noise error
        and its usual scatter, added in quadrature."""
        which = slice(None) if which is None else which
        scale = np.maximum(fit.errors, self.usual(fit))[which]
        values = np.asarray(fit.coefficients)[which]
        return float(np.sqrt(np.sum((values / np.where(scale > 0, scale, np.inf)) ** 2)))

    def frame_weight(self) -> np.ndarray:
        """1 / noise^2 of a single cadence's difference (0 where invalid)."""
        return np.where(self.valid, 1.0 / self.sigma ** 2, 0.0)

    def window_diffs(self, margin: int) -> tuple[np.ndarray, np.ndarray]:
        """(frames, differences) for the usable frames within ``margin`` of the event."""
        n = self.tpf.n_cadences
        lo, hi = max(self.first - margin, 0), min(self.last + margin, n - 1)
        frames = np.arange(lo, hi + 1)
        keep = self.usable[frames] | ((frames >= self.first) & (frames <= self.last))
        frames = frames[keep & ~empty_frames(self.tpf)[frames]]
        stack = self.tpf.flux[frames].astype(np.float64) - self.reference
        return frames, np.where(self.valid, np.nan_to_num(stack, nan=0.0), 0.0)


def build(tpf: TargetPixelFile, first: int, last: int, aperture: np.ndarray | None,
          hidden, n_reference: int) -> Evidence:
    """The difference image of frames ``first``..``last`` and its noise; raises Unusable."""
    if tpf.n_cadences < 2:
        raise Unusable("the file has one cadence, so there is no other frame to compare it with")
    frames = np.arange(first, last + 1)
    event = frames[~empty_frames(tpf)[frames]]
    if event.size == 0:
        which = f"frame {first}" if first == last else f"frames {first}-{last}"
        raise Unusable(f"{which} has no data (every pixel is NaN)")
    usable = usable_frames(tpf, hidden)
    refs = reference_frames(usable & ~unusual_frames(tpf, aperture), first, last, n_reference)
    if refs.size < MIN_REFERENCE:
        refs = reference_frames(usable, first, last, n_reference)
    if refs.size < MIN_REFERENCE:
        raise Unusable(f"only {refs.size} usable frame(s) lie outside the event, fewer than the "
                       f"{MIN_REFERENCE} a reference image needs")
    stack = tpf.flux[refs].astype(np.float64)
    reference = nan_median(stack)
    sigma = robust_sigma(stack, axis=0)
    error = None
    if tpf.flux_err is not None:
        error = nan_median(tpf.flux_err[refs].astype(np.float64))
        sigma = np.fmax(sigma, 0.8 * np.where(error > 0, error, np.nan))
    positive = sigma[np.isfinite(sigma) & (sigma > 0)]
    floor = 1e-3 * float(np.median(positive)) if positive.size else 1e-6
    sigma = np.where(np.isfinite(sigma), np.maximum(sigma, max(floor, 1e-12)), np.inf)

    diffs = tpf.flux[event].astype(np.float64) - reference
    finite = np.isfinite(diffs)
    counts = finite.sum(axis=0)
    valid = np.isfinite(reference) & np.isfinite(sigma) & (counts > 0)
    diff = np.where(valid, np.where(finite, diffs, 0.0).sum(axis=0) / np.maximum(counts, 1), 0.0)
    weight = np.where(valid, counts / sigma ** 2, 0.0)
    aperture = None if aperture is None or not np.any(aperture) else aperture
    reference_diffs = np.where(valid & np.isfinite(stack), stack - reference, 0.0)
    ev = Evidence(tpf=tpf, first=first, last=last, event=event, reference_frames=refs,
                  reference=reference, sigma=sigma, diffs=np.where(finite, diffs, 0.0),
                  reference_diffs=reference_diffs,
                  diff=diff, valid=valid, weight=weight, counts=counts, aperture=aperture,
                  usable=usable)
    ev.numbers.update(n_reference_frames=int(refs.size), reference_first=int(refs.min()),
                      reference_last=int(refs.max()), valid_pixels=int(valid.sum()),
                      event_frames=int(event.size))
    if aperture is not None:
        _aperture_numbers(ev, stack)
        _locate_target(ev)
    ev.refine_noise(error)
    ev.raw_diff = diff
    ev.diff, components = ev.clean(diff, ev.weight, event.size)
    ev.numbers["components_sigma"] = components
    return ev


def _aperture_numbers(ev: Evidence, stack: np.ndarray) -> None:
    """The event's change in the aperture sum and how unusual it is (robust sigmas)."""
    inside = ev.aperture & ev.valid
    sums = np.nansum(np.where(inside, stack, 0.0), axis=(1, 2))
    sigma_one = float(robust_sigma(sums))
    excess = float(np.sum(ev.diff[inside]))
    sigma_event = sigma_one / math.sqrt(ev.event.size) if sigma_one > 0 else math.nan
    ev.numbers.update(aperture_excess=excess, aperture_sigma=sigma_event,
                      aperture_significance=excess / sigma_event if sigma_event > 0 else math.nan,
                      aperture_level=float(np.median(sums)))


def _locate_target(ev: Evidence) -> None:
    noise = np.where(ev.valid, ev.sigma / math.sqrt(ev.reference_frames.size), 0.0)
    found = locate_target(ev.reference - ev.background(), ev.aperture & ev.valid, noise)
    if found is None:
        return
    ev.target, ev.target_sigma, ev.psf_sigma = found
    ev.numbers.update(target_row=ev.target[0], target_column=ev.target[1],
                      psf_sigma=ev.psf_sigma, centroid_window=centroid_width(ev))


def centroid_width(ev: Evidence) -> float:
    return window_width(ev.psf_sigma)
