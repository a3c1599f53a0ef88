"""Image tools for the blip report, plain numpy: weighted fits, PSFs, matched filters, centroids.

Images are (rows, columns) arrays in stamp coordinates (pixel centres at integers). Noise is
given per pixel (1-sigma) or as weights 1 / noise^2, zero weight marking pixels to ignore.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

MAD_TO_SIGMA = 1.4826


def nan_median(stack: np.ndarray, axis=0) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN pixels stay NaN
        return (np.nanmedian if np.isnan(stack).any() else np.median)(stack, axis=axis)


def robust_sigma(values: np.ndarray, axis=None) -> np.ndarray | float:
    """1.4826 x the median absolute deviation from the median (NaNs ignored)."""
    centre = nan_median(values, axis=axis)
    centre = np.expand_dims(centre, axis) if axis is not None else centre
    return MAD_TO_SIGMA * nan_median(np.abs(values - centre), axis=axis)


@dataclass
class Fit:
    """A weighted linear least-squares fit of an image to some basis images."""

    coefficients: np.ndarray
    errors: np.ndarray  # 1-sigma of each coefficient, from the pixel noise
    chi2: float  # of the residual
    explained: float  # chi2 of the data minus chi2 of the residual
    projection: np.ndarray  # (k, pixels): coefficients = projection @ image.ravel()

    def snr(self, k: int | None = None) -> float:
        """S/N of the fitted component: sqrt(explained chi2 minus its free parameters)."""
        k = len(self.coefficients) if k is None else k
        return math.sqrt(max(self.explained - k, 0.0))


def grow(mask: np.ndarray | None, n: int) -> np.ndarray:
    """``mask`` grown by ``n`` pixels (8-connected)."""
    grown = np.asarray(mask, dtype=bool).copy()
    for _ in range(n):
        padded = np.pad(grown, 1)
        rows, cols = grown.shape
        grown = np.zeros_like(grown)
        for dr in (0, 1, 2):
            for dc in (0, 1, 2):
                grown |= padded[dr:dr + rows, dc:dc + cols]
    return grown


def weighted_fit(y: np.ndarray, w: np.ndarray, basis: list[np.ndarray]) -> Fit:
    sw = np.sqrt(w).ravel()
    design = np.stack([b.ravel() * sw for b in basis], axis=1)
    target = y.ravel() * sw
    covariance = np.linalg.pinv(design.T @ design, hermitian=True)
    projection = (covariance @ design.T) * sw
    coefficients = projection @ y.ravel()
    residual = target - design @ coefficients
    chi2 = float(residual @ residual)
    errors = np.sqrt(np.clip(np.diag(covariance), 0, None))
    return Fit(coefficients, errors, chi2, float(target @ target) - chi2, projection)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, vectorised (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7)."""
    x = np.asarray(x, dtype=np.float64)
    t = 1 / (1 + 0.3275911 * np.abs(x))
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                                                                          + t * 1.061405429))))
    return np.sign(x) * (1 - poly * np.exp(-x * x))


def _pixel_gaussian(n: int, centre, sigma: float) -> np.ndarray:
    """A unit Gaussian integrated over each of ``n`` pixels (centres at 0..n-1); ``centre``
    may be an array, giving one row per centre."""
    centre = np.asarray(centre, dtype=np.float64)[..., None]
    edges = (np.arange(n + 1) - 0.5 - centre) / (sigma * math.sqrt(2))
    return np.diff(0.5 * (1 + erf(edges)), axis=-1)


def psf_image(shape: tuple[int, int], row: float, col: float, sigma: float) -> np.ndarray:
    """A pixel-integrated circular Gaussian of unit total flux (less what falls off the stamp)."""
    return np.outer(_pixel_gaussian(shape[0], row, sigma), _pixel_gaussian(shape[1], col, sigma))


@lru_cache(maxsize=64)
def _psf_matrix(n: int, sigma: float) -> np.ndarray:
    """Row i: the pixel-integrated Gaussian centred on pixel i (a matched-filter kernel)."""
    return _pixel_gaussian(n, np.arange(n), sigma)


def matched_filter(image: np.ndarray, weight: np.ndarray, sigma: float) -> np.ndarray:
    """S/N of a point source centred on each pixel: (P . w y) / sqrt(P^2 . w) per position."""
    sigma = round(float(sigma), 3)  # a cache key: the width is estimated, 3 decimals is plenty
    gr, gc = _psf_matrix(image.shape[0], sigma), _psf_matrix(image.shape[1], sigma)
    numerator = gr @ (weight * image) @ gc.T
    denominator = np.sqrt((gr ** 2) @ weight @ (gc ** 2).T)
    with np.errstate(invalid="ignore", divide="ignore"):
        snr = numerator / denominator
    return np.where(denominator > 0, snr, 0.0)


def windowed_centroid(image: np.ndarray, noise: np.ndarray, start: tuple[float, float],
                      width: float, iterations: int = 12):
    """Centroid of ``image`` under a Gaussian window that follows it, with its 1-sigma errors.

    The window (of ``width`` pixels) keeps neighbours and noise far from the source from
    pulling the centroid; the same estimator on the difference image and on the reference
    image makes an on-target change give zero offset whatever the PSF's shape.
    Returns (row, column, sigma_row, sigma_column), NaN when the windowed flux is not positive.
    """
    rows, cols = np.indices(image.shape)
    image = np.where(np.isfinite(image), image, 0.0)
    noise = np.where(np.isfinite(noise), noise, 0.0)
    r, c = float(start[0]), float(start[1])
    for _ in range(iterations):
        window = np.exp(-((rows - r) ** 2 + (cols - c) ** 2) / (2 * width ** 2))
        total = float(np.sum(window * image))
        if not total > 0:
            return math.nan, math.nan, math.nan, math.nan
        new_r = float(np.sum(window * image * rows)) / total
        new_c = float(np.sum(window * image * cols)) / total
        # keep the window on the stamp: a source beyond the edge pulls it away otherwise
        new_r = min(max(new_r, -0.5), image.shape[0] - 0.5)
        new_c = min(max(new_c, -0.5), image.shape[1] - 0.5)
        done = abs(new_r - r) < 1e-4 and abs(new_c - c) < 1e-4
        r, c = new_r, new_c
        if done:
            break
    window = np.exp(-((rows - r) ** 2 + (cols - c) ** 2) / (2 * width ** 2))
    total = float(np.sum(window * image))
    sigma_r = math.sqrt(float(np.sum((window * (rows - r) * noise) ** 2))) / total
    sigma_c = math.sqrt(float(np.sum((window * (cols - c) * noise) ** 2))) / total
    return r, c, sigma_r, sigma_c


def locate_target(image: np.ndarray, inside: np.ndarray, noise: np.ndarray):
    """((row, column), (sigma_row, sigma_column), psf_sigma) of the target, or None.

    The target is the star under the brightest aperture pixel of ``image`` (background
    removed): its windowed centroid, and its PSF width from windowed second moments (corrected
    for the window's narrowing and for pixel size, clamped to 0.5-3 px), re-centred with the
    window the difference image's centroid uses, so that their offset compares like with like.
    """
    image = np.where(np.isfinite(image), image, 0.0)
    if not inside.any() or not np.max(image[inside]) > 0:
        return None
    start = np.unravel_index(np.argmax(np.where(inside, image, -np.inf)), image.shape)
    # a narrow window first: in a crowded field a wide one walks to the brighter neighbour
    r, c, _, _ = windowed_centroid(image, np.zeros_like(image), start, 1.0)
    width = 1.5
    if not np.isfinite(r):
        return None
    rows, cols = np.indices(image.shape)
    window = np.exp(-((rows - r) ** 2 + (cols - c) ** 2) / (2 * width ** 2))
    positive = np.clip(image, 0, None) * window
    measured = float(np.sum(positive * ((rows - r) ** 2 + (cols - c) ** 2))
                     / (2 * np.sum(positive))) - 1 / 12
    if 0 < measured < width ** 2:  # undo the window's narrowing of a Gaussian
        sigma = math.sqrt(measured * width ** 2 / (width ** 2 - measured))
    else:
        sigma = 3.0
    psf_sigma = min(max(sigma, 0.5), 3.0)
    r, c, sigma_r, sigma_c = windowed_centroid(image, noise, (r, c), window_width(psf_sigma))
    if not np.isfinite(r):
        return None
    return (r, c), (sigma_r, sigma_c), psf_sigma


def window_width(psf_sigma: float) -> float:
    """Width of the centroid window: 1.5 PSF widths, at least 1.2 pixels."""
    return max(1.5 * psf_sigma, 1.2)


def running_median(values: np.ndarray, window: int) -> np.ndarray:
    """Median of ``window`` values centred on each point, evaluated every window/10 points and
    interpolated between (a 20,000-point curve then costs a few ms, not a few hundred)."""
    m = values.size
    window = min(window, m - (m + 1) % 2)  # odd, and no longer than the series
    half = window // 2
    step = max(1, window // 10)
    centres = np.unique(np.append(np.arange(0, m, step), m - 1))
    padded = np.pad(values, half, mode="reflect") if half else values
    medians = np.median(sliding_window_view(padded, window)[centres], axis=1)
    return np.interp(np.arange(m), centres, medians)
