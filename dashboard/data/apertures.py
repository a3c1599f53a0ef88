"""The aperture used when a file has none (TESScut cutouts)."""

from __future__ import annotations

import warnings

import numpy as np


def default_aperture(flux: np.ndarray, threshold: float = 3.0) -> np.ndarray:
    """The aperture used when a file has none (TESScut cutouts): a threshold mask.

    Pixels of the median image brighter than its median by ``threshold`` robust standard
    deviations (1.4826 x MAD), keeping only the region connected to the brightest such pixel
    nearest the stamp centre; if nothing passes, the brightest pixel alone. This is
    lightkurve's ``create_threshold_mask(threshold=3, reference_pixel='center')`` in spirit.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN pixels
        image = np.nanmedian(flux, axis=0)
    finite = np.isfinite(image)
    mask = np.zeros(image.shape, dtype=bool)
    if not finite.any():
        mask[image.shape[0] // 2, image.shape[1] // 2] = True
        return mask
    values = image[finite]
    median = np.median(values)
    spread = 1.4826 * np.median(np.abs(values - median))
    above = finite & (image > median + threshold * spread) if spread > 0 else np.zeros_like(mask)
    if not above.any():
        mask[np.unravel_index(np.nanargmax(image), image.shape)] = True
        return mask
    rows, cols = np.nonzero(above)
    centre = (np.array(image.shape) - 1) / 2
    start = np.argmin((rows - centre[0]) ** 2 + (cols - centre[1]) ** 2)
    return _connected(above, (rows[start], cols[start]))


def _connected(candidates: np.ndarray, start: tuple[int, int]) -> np.ndarray:
    region = np.zeros_like(candidates)
    stack = [start]
    while stack:
        r, c = stack.pop()
        if region[r, c] or not candidates[r, c]:
            continue
        region[r, c] = True
        for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            rr, cc = r + dr, c + dc
            if 0 <= rr < region.shape[0] and 0 <= cc < region.shape[1]:
                stack.append((rr, cc))
    return region
