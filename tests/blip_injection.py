"""Inject each kind of blip into a target pixel file at known frames: plain numpy, independent of
dashboard.data.blips, so the report is tested against what was put in, not against itself.

Every injection is scaled so that it changes the aperture sum by ``snr`` times the light curve's
robust point-to-point scatter (averaged over the event's frames), so each one makes a blip
find_blips can see, whatever the target's brightness. A new TargetPixelFile is returned; the
original is untouched.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

KINDS = ("cosmic_ray", "moving_object", "pointing", "background", "scattered_light",
         "rolling_band", "off_target", "on_target", "flagged")
# one default-mask QUALITY bit of each mission: Attitude tweak, Coarse point, Desaturation
DEFAULT_BITS = (1, 4, 32)


@dataclass
class Injection:
    tpf: object  # the TargetPixelFile with the blip in it
    kind: str
    first: int
    last: int
    where: dict  # what was put where (pixels, track, amplitude), for messages


def aperture_noise(tpf, aperture) -> float:
    """Robust scatter (1.4826 MAD) of the aperture sum about its one-day running median: the
    sigma a blip's significance is counted in."""
    lc = np.nansum(tpf.flux[:, aperture], axis=1, dtype=np.float64)
    lc = lc[np.isfinite(tpf.flux[:, aperture]).all(axis=1)]
    window = int(round(1.0 / (tpf.cadence_days or 0.0204))) | 1
    window = max(min(window, lc.size - (lc.size + 1) % 2), 1)
    half = window // 2
    padded = np.pad(lc, half, mode="reflect")
    trend = np.array([np.median(padded[i:i + window]) for i in range(lc.size)])
    residual = lc - trend
    return float(1.4826 * np.median(np.abs(residual - np.median(residual))))


def median_image(tpf, frames) -> np.ndarray:
    return np.nanmedian(tpf.flux[frames].astype(np.float64), axis=0)


def target_of(image: np.ndarray, aperture: np.ndarray) -> tuple[float, float]:
    """Flux-weighted centroid of the 3x3 box around the brightest aperture pixel."""
    r, c = np.unravel_index(np.nanargmax(np.where(aperture, image, -np.inf)), image.shape)
    rows, cols = slice(max(r - 1, 0), r + 2), slice(max(c - 1, 0), c + 2)
    box = np.clip(np.nan_to_num(image[rows, cols]), 0, None)
    rr, cc = np.mgrid[rows, cols]
    return float((box * rr).sum() / box.sum()), float((box * cc).sum() / box.sum())


def gaussian(shape, row: float, col: float, sigma: float) -> np.ndarray:
    rr, cc = np.indices(shape)
    distance2 = (rr - row) ** 2 + (cc - col) ** 2
    return np.exp(-distance2 / (2 * sigma ** 2)) / (2 * np.pi * sigma ** 2)


def quiet_frames(tpf, aperture, count: int, rng, margin: int = 20, avoid=()) -> list[int]:
    """``count`` frames with data and no QUALITY bit within ``margin`` frames, spread over the
    file, at least ``margin`` frames from the ends and from any frame in ``avoid``."""
    n = tpf.n_cadences
    bad = (tpf.quality != 0) | ~np.isfinite(tpf.flux[:, aperture]).all(axis=1)
    for frame in avoid:
        bad[max(frame - margin, 0):frame + margin] = True
    near = np.convolve(bad.astype(int), np.ones(2 * margin + 1, dtype=int), mode="same") > 0
    low, high = min(margin, n // 3), max(n - margin, 2 * n // 3)
    candidates = np.flatnonzero(~near[low:high]) + low
    if candidates.size == 0:
        candidates = np.flatnonzero(~bad[low:high]) + low
    chosen = []
    for part in np.array_split(candidates, count):
        if part.size:
            chosen.append(int(rng.choice(part)))
    return chosen


def _keys(t: np.ndarray) -> np.ndarray:
    """Keys' cubic convolution kernel (a = -0.5): interpolates without blurring much."""
    t = np.abs(t)
    return np.where(t <= 1, 1.5 * t ** 3 - 2.5 * t ** 2 + 1,
                    np.where(t < 2, -0.5 * t ** 3 + 2.5 * t ** 2 - 4 * t + 2, 0.0))


def _shift_axis(image: np.ndarray, shift: float, axis: int) -> np.ndarray:
    n = image.shape[axis]
    source = np.arange(n) - shift
    base = np.floor(source).astype(int)
    out = np.zeros_like(image)
    for k in (-1, 0, 1, 2):
        index = np.clip(base + k, 0, n - 1)
        weight = _keys(source - (base + k))
        taken = np.take(image, index, axis=axis)
        out += taken * (weight[:, None] if axis == 0 else weight[None, :])
    return out


def _shifted(image: np.ndarray, dr: float, dc: float) -> np.ndarray:
    """``image`` moved by (dr, dc) pixels (cubic convolution, edges held)."""
    return _shift_axis(_shift_axis(image, dr, 0), dc, 1)


def inject(tpf, kind: str, frame: int, *, rng, aperture=None, snr: float = 12.0,
           length: int | None = None, edge: bool = False, psf_sigma: float | None = None):
    """``tpf`` with a blip of ``kind`` starting at ``frame``."""
    aperture = tpf.pipeline_mask if aperture is None else aperture
    flux = tpf.flux.astype(np.float64)
    quality = tpf.quality.copy()
    flux_bkg = None if tpf.flux_bkg is None else tpf.flux_bkg.astype(np.float64)
    pos = [None if p is None else p.astype(np.float64) for p in (tpf.pos_corr1, tpf.pos_corr2)]
    n, (rows, cols) = tpf.n_cadences, tpf.shape
    sigma = psf_sigma or (0.9 if tpf.mission == "TESS" else 1.0)
    noise = aperture_noise(tpf, aperture)
    near = np.arange(max(frame - 30, 0), min(frame + 30, n))
    reference = np.nan_to_num(median_image(tpf, near))
    target = target_of(reference, aperture)
    length = length or {"cosmic_ray": 1, "pointing": int(rng.integers(1, 3)),
                        "flagged": 1}.get(kind, int(rng.integers(2, 6)))
    frames = np.arange(frame, min(frame + length, n))
    per_frame = snr * noise / np.sqrt(frames.size)  # aperture change on each event frame
    where: dict = {"target": target}

    def scale_to(pattern: np.ndarray) -> np.ndarray:
        return pattern * per_frame / abs(pattern[aperture].sum())

    if kind == "cosmic_ray":
        pixels = np.argwhere(aperture) if not edge else np.argwhere(
            np.pad(np.zeros((rows - 2, cols - 2), bool), 1, constant_values=True))
        r, c = pixels[rng.integers(len(pixels))]
        amplitude = per_frame if not edge else 3 * per_frame
        hit = np.zeros((rows, cols))
        hit[r, c] = amplitude
        flux[frame] += hit
        where.update(pixel=(int(r), int(c)), amplitude=amplitude)
    elif kind == "on_target":
        # the target's own light changes: its image, tapered so neighbours barely do
        sign = rng.choice([-1, 1])
        taper = gaussian((rows, cols), *target, 1.5) * 2 * np.pi * 1.5 ** 2
        change = sign * scale_to(np.clip(reference, 0, None) * taper)
        flux[frames] += change
        where.update(depth=float(change[aperture].sum() / reference[aperture].sum()))
    elif kind == "off_target":
        ring = _ring(aperture, target, edge)
        r, c = ring[rng.integers(len(ring))] + rng.uniform(-0.3, 0.3, 2)
        psf = gaussian((rows, cols), r, c, sigma)
        dip = -scale_to(psf)
        flux += -2 * dip  # a neighbour that is always there ...
        flux[frames] += dip  # ... and loses half its light during the event
        where.update(neighbour=(float(r), float(c)), flux=float(-2 * dip.sum()))
    elif kind == "background":
        level = per_frame / aperture.sum()
        flux[frames] += level
        if flux_bkg is not None:
            flux_bkg[frames] += level
        where.update(level=level)
    elif kind == "scattered_light":
        angle = rng.uniform(0, 2 * np.pi)
        rr, cc = np.indices((rows, cols))
        ramp = rr * np.sin(angle) + cc * np.cos(angle)
        flux[frames] += scale_to(ramp - ramp.min())
        where.update(direction_deg=float(np.degrees(angle)))
    elif kind == "rolling_band":
        centre, width = target[0] + rng.uniform(-1, 1), rng.uniform(0.8, 1.5)
        band = np.exp(-(np.arange(rows) - centre) ** 2 / (2 * width ** 2))[:, None]
        flux[frames] += scale_to(np.broadcast_to(band, (rows, cols)).copy())
        where.update(band_row=float(centre), width=float(width))
    elif kind == "pointing":
        angle = rng.uniform(0, 2 * np.pi)
        direction = np.array([np.sin(angle), np.cos(angle)])
        # at least 0.15 px: a real pointing excursion, well beyond the usual jitter
        shift = max(_shift_for(reference, aperture, direction, per_frame), 0.15)
        delta = _shifted(reference, *(shift * direction)) - reference
        flux[frames] += delta
        for axis, column in ((1, pos[0]), (0, pos[1])):
            if column is not None:
                column[frames] += shift * direction[axis]
        where.update(shift=(float(shift * direction[0]), float(shift * direction[1])))
    elif kind == "moving_object":
        angle = rng.uniform(0, 2 * np.pi)
        speed = rng.uniform(0.35, 0.9)
        velocity = speed * np.array([np.sin(angle), np.cos(angle)])
        through = np.array(target) + rng.uniform(-0.5, 0.5, 2)
        track = []
        psf_on_target = gaussian((rows, cols), *through, sigma)[aperture].sum()
        amplitude = snr * noise / psf_on_target
        for f in range(max(frame - 40, 0), min(frame + 40, n)):
            r, c = through + velocity * (f - frame)
            if -2 < r < rows + 1 and -2 < c < cols + 1:
                flux[f] += amplitude * gaussian((rows, cols), r, c, sigma)
                track.append((f, float(r), float(c)))
        frames = np.array([f for f, r, c in track
                           if gaussian((rows, cols), r, c, sigma)[aperture].sum()
                           * amplitude > 3 * noise])
        where.update(track=track, speed=float(speed), flux=float(amplitude))
    elif kind == "flagged":
        bit = int(rng.choice(DEFAULT_BITS))
        quality[frames] |= bit
        # a pixel pattern no other kind describes (pixels of the aperture jumping by random
        # shares of their flux), so the flag is what names it
        pattern = np.where(aperture, np.clip(reference, 0, None)
                           * (rng.normal(0, 1, (rows, cols)) + 0.5), 0.0)
        flux[frames] += scale_to(pattern)
        where.update(bit=bit)
    else:
        raise ValueError(kind)
    changed = dataclasses.replace(
        tpf, flux=flux.astype(np.float32), quality=quality,
        flux_bkg=None if flux_bkg is None else flux_bkg.astype(np.float32),
        pos_corr1=None if pos[0] is None else pos[0].astype(np.float32),
        pos_corr2=None if pos[1] is None else pos[1].astype(np.float32))
    return Injection(changed, kind, int(frames.min()), int(frames.max()), where)


def _ring(aperture: np.ndarray, target, edge: bool) -> np.ndarray:
    """Pixels just outside the aperture, 1.8-3.5 px from the target (or on the stamp's edge)."""
    rows, cols = aperture.shape
    grown = aperture.copy()
    grown[1:] |= aperture[:-1]
    grown[:-1] |= aperture[1:]
    grown[:, 1:] |= aperture[:, :-1]
    grown[:, :-1] |= aperture[:, 1:]
    rr, cc = np.indices(aperture.shape)
    distance = np.hypot(rr - target[0], cc - target[1])
    if edge:
        mask = (rr == 0) | (cc == 0) | (rr == rows - 1) | (cc == cols - 1)
        mask &= distance <= max(np.sort(distance[mask])[2], 3.0)
    else:
        mask = grown & ~aperture & (distance >= 1.8) & (distance <= 3.5)
        if not mask.any():
            mask = ~aperture & (distance >= 1.8) & (distance <= 3.5)
    return np.argwhere(mask).astype(float)


def _shift_for(reference, aperture, direction, wanted: float) -> float:
    """The shift (pixels) along ``direction`` that changes the aperture sum by ``wanted``."""
    low, high = 0.0, 1.0
    for _ in range(30):
        middle = (low + high) / 2
        change = abs((_shifted(reference, *(middle * direction)) - reference)[aperture].sum())
        low, high = (middle, high) if change < wanted else (low, middle)
    return high
