"""Vetting computations: user apertures, background, centroids, quality masks, differences.

Everything here takes a :class:`TargetPixelFile` and plain numpy arrays and returns arrays, so the
callbacks stay thin and every number can be tested without a browser. Masks are boolean
``(rows, columns)`` arrays in stamp indices (row i, column j of the stamp, 0-based); CCD
coordinates are ``tpf.row + i`` and ``tpf.column + j``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from weakref import WeakKeyDictionary

import numpy as np

from .errors import DataError
from .tpf import TargetPixelFile

EMPTY_APERTURE = ("The aperture is empty: click pixels in the image (or box/lasso select a "
                  "region) to add them, or reset to the pipeline aperture.")
EMPTY_BACKGROUND = ("The background aperture is empty: switch to background mode and select "
                    "pixels away from the star, or turn background subtraction off.")

# Frames with no finite pixel at all (Kepler "No data" cadences), cached per file because the
# check reads the whole cube and the difference image needs it on every step.
_EMPTY_FRAMES: WeakKeyDictionary = WeakKeyDictionary()


def _aperture(tpf: TargetPixelFile, mask, message: str = EMPTY_APERTURE) -> np.ndarray:
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != tpf.shape:
        raise DataError(f"Aperture shape {mask.shape} does not match the stamp {tpf.shape}.")
    if not mask.any():
        raise DataError(message)
    return mask


def _pixels(cube: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(cadences, pixels) values of ``cube`` inside ``mask``.

    ``np.take`` on flat pixel indices: 3-5x faster than ``cube[:, mask]``, whose boolean
    indexing over two axes costs ~30 ms for a 900-pixel aperture over 4000 cadences.
    """
    return np.take(cube.reshape(cube.shape[0], -1), np.flatnonzero(mask), axis=1)


def _sum_and_background(tpf: TargetPixelFile, mask, background):
    """(raw aperture sum, background to subtract) per cadence, both float64.

    Background is counted only for aperture pixels whose FLUX is finite on that cadence: a
    pixel that adds nothing to the sum must not have its background taken away either.
    """
    mask = _aperture(tpf, mask)
    pixels = _pixels(tpf.flux, mask)
    finite = np.isfinite(pixels)
    total = (np.sum if finite.all() else np.nansum)(pixels, axis=1, dtype=np.float64)
    total[~finite.any(axis=1)] = np.nan
    if background is None:
        return total, np.zeros(tpf.n_cadences)
    if isinstance(background, str):
        if background != "file":
            raise DataError(f"Unknown background {background!r}: use None, 'file' or a mask.")
        if tpf.flux_bkg is None:
            raise DataError("This file has no FLUX_BKG column, so its background cannot be "
                            "subtracted: select background pixels instead.")
        bkg = np.where(finite, _pixels(tpf.flux_bkg, mask), 0.0)
        return total, bkg.sum(axis=1, dtype=np.float64)
    level = _background_level(tpf, _aperture(tpf, background, EMPTY_BACKGROUND))
    return total, level * finite.sum(axis=1)


def _background_level(tpf: TargetPixelFile, background: np.ndarray) -> np.ndarray:
    """Per-cadence median of the background pixels (a median ignores a star's wing or a CR)."""
    sky = _pixels(tpf.flux, background).astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # cadences with every pixel NaN
        return (np.nanmedian if np.isnan(sky).any() else np.median)(sky, axis=1)


def aperture_lightcurve(tpf: TargetPixelFile, mask, *, background=None) -> np.ndarray:
    """Sum of FLUX over ``mask`` per cadence (float64), minus a background if asked.

    ``background`` is None (no subtraction), ``'file'`` (FLUX_BKG summed over the same aperture
    pixels) or a bool mask of background pixels (their per-cadence median times the number of
    aperture pixels). NaN where the aperture's pixels are all NaN; DataError when it is empty.
    """
    total, bkg = _sum_and_background(tpf, mask, background)
    return total - bkg


def background_curve(tpf: TargetPixelFile, mask, background) -> np.ndarray:
    """The background flux :func:`aperture_lightcurve` subtracts, per cadence (zeros for None)."""
    return _sum_and_background(tpf, mask, background)[1]


def centroids(tpf: TargetPixelFile, mask) -> tuple[np.ndarray, np.ndarray]:
    """Flux-weighted centroid (CCD column, CCD row) inside the aperture, per cadence.

    NaN pixels carry no weight; a cadence with no finite pixel, or zero total flux, is NaN.
    """
    mask = _aperture(tpf, mask)
    rows, columns = np.nonzero(mask)
    pixels = _pixels(tpf.flux, mask)
    finite = np.isfinite(pixels)
    if not finite.all():
        pixels = np.where(finite, pixels, np.float32(0))
    # One pass over the pixels gives total, sum(f * column) and sum(f * row) together.
    weights = np.stack([np.ones(rows.size), columns, rows], axis=1).astype(np.float64)
    total, column_sum, row_sum = (pixels.astype(np.float64) @ weights).T
    with np.errstate(invalid="ignore", divide="ignore"):
        column = column_sum / total + tpf.column
        row = row_sum / total + tpf.row
    column[total == 0] = row[total == 0] = np.nan
    return column, row


# -- quality -------------------------------------------------------------------------------------

def quality_hidden(tpf: TargetPixelFile, choice) -> np.ndarray:
    """True for each cadence the quality ``choice`` hides.

    ``choice`` is 'none' | 'default' | 'hard' | 'hardest' (the mission's own table), an int
    bitmask, or a list of bit values from that table (e.g. ``[1, 1048576]``, ints or digit
    strings, as a checklist sends them).
    """
    if isinstance(choice, (list, tuple, set, np.ndarray)):
        bits = 0
        for bit in choice:
            try:
                value = int(bit)
            except (TypeError, ValueError):
                raise DataError(f"Quality bit {bit!r} is not a number.") from None
            if value <= 0 or value & (value - 1):
                raise DataError(f"Quality bit {value} is not a single bit (a power of two).")
            bits |= value
        choice = bits
    return tpf.flags.flagged(tpf.quality, choice)


def _empty_frames(tpf: TargetPixelFile) -> np.ndarray:
    empty = _EMPTY_FRAMES.get(tpf)
    if empty is None:
        empty = ~np.isfinite(tpf.flux).any(axis=(1, 2))
        _EMPTY_FRAMES[tpf] = empty
    return empty


def reference_frames(tpf: TargetPixelFile, frame: int, n: int,
                     hidden: np.ndarray | None = None) -> np.ndarray:
    """Up to ``n`` nearest usable frames before and ``n`` after ``frame`` (never frame itself).

    Usable means not hidden and not entirely NaN (Kepler's "No data" cadences would otherwise
    take a slot and leave fewer real frames in the median).
    """
    usable = ~_empty_frames(tpf)
    if hidden is not None:
        usable = usable & ~np.asarray(hidden, dtype=bool)
    candidates = np.flatnonzero(usable)
    split = np.searchsorted(candidates, frame)
    before = candidates[max(split - n, 0):split]
    after = candidates[split:][candidates[split:] != frame][:n]
    return np.concatenate([before, after])


def difference_image(tpf: TargetPixelFile, frame: int, n: int,
                     hidden: np.ndarray | None = None) -> np.ndarray:
    """FLUX of ``frame`` minus the per-pixel median of its ``n`` usable neighbours each side.

    Static sources cancel, so what changed on this cadence (an asteroid, a cosmic ray, a
    neighbour's flare) stands out. float32; all NaN when the file has no other usable frame.
    """
    frame, n = int(frame), max(int(n), 1)
    neighbours = reference_frames(tpf, frame, n, hidden)
    if neighbours.size == 0:
        return np.full(tpf.shape, np.nan, dtype=np.float32)
    stack = tpf.flux[neighbours]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # pixels NaN in every neighbour
        # nanmedian is several times slower: only pay for it when a neighbour has NaNs
        reference = (np.nanmedian if np.isnan(stack).any() else np.median)(stack, axis=0)
    return (tpf.flux[frame] - reference).astype(np.float32)


# -- per-pixel light curves ----------------------------------------------------------------------

@dataclass(frozen=True)
class PixelCurves:
    """Per-pixel light curves of a window of the stamp, reduced for a grid of small plots.

    Each pixel's curve is cut into bins of ``bin_frames`` cadences and each bin keeps its lowest
    and highest value in time order (2 points per bin), so a one-cadence cosmic ray or a short
    dip survives the reduction that a bin mean would smear away.
    """

    values: np.ndarray  # (points, window rows, window columns) float32 flux, NaN for gaps
    frames: np.ndarray  # (points, window rows, window columns) int32: the frame of each point
    row_start: int  # stamp row of the window's first row
    column_start: int  # stamp column of the window's first column
    bin_frames: int
    limited: bool  # True when the window is smaller than the stamp: tell the user

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape[1], self.values.shape[2]

    def frame_at(self, window_row: int, window_column: int, point: int) -> int:
        """The frame a clicked point of one pixel's curve came from."""
        return int(self.frames[point, window_row, window_column])


def grid_window(shape: tuple[int, int], mask: np.ndarray | None,
                max_pixels: int) -> tuple[slice, slice]:
    """The stamp itself, or a window of at most ``max_pixels`` centred on the aperture."""
    rows, columns = shape
    if rows * columns <= max_pixels:
        return slice(0, rows), slice(0, columns)
    side = int(np.sqrt(max_pixels))
    height, width = min(rows, side), min(columns, side)
    # A narrow strip (1287x11) gets a taller window instead of wasting the budget.
    if width < side:
        height = min(rows, max_pixels // width)
    if height < side:
        width = min(columns, max_pixels // height)
    centre_row, centre_column = (np.argwhere(mask).mean(axis=0) if mask is not None
                                 and np.any(mask) else ((rows - 1) / 2, (columns - 1) / 2))
    top = int(np.clip(round(centre_row - (height - 1) / 2), 0, rows - height))
    left = int(np.clip(round(centre_column - (width - 1) / 2), 0, columns - width))
    return slice(top, top + height), slice(left, left + width)


def pixel_lightcurves(tpf: TargetPixelFile, max_pixels: int = 400, *, mask=None,
                      max_bins: int = 150) -> PixelCurves:
    """Per-pixel curves for the grid: the whole stamp up to ``max_pixels`` pixels, else a
    window centred on ``mask`` (default the pipeline aperture) with ``limited`` set."""
    mask = tpf.pipeline_mask if mask is None else np.asarray(mask, dtype=bool)
    rows, columns = grid_window(tpf.shape, mask, max_pixels)
    cube = tpf.flux[:, rows, columns]
    n = cube.shape[0]
    bin_frames = max(1, -(-n // max_bins))
    n_bins = -(-n // bin_frames)
    padded = np.full((n_bins * bin_frames, *cube.shape[1:]), np.nan, dtype=np.float32)
    padded[:n] = cube
    binned = padded.reshape(n_bins, bin_frames, *cube.shape[1:])
    nan = np.isnan(binned)
    low = np.argmin(np.where(nan, np.inf, binned), axis=1)  # all-NaN bin -> index 0, a NaN
    high = np.argmax(np.where(nan, -np.inf, binned), axis=1)
    first, second = np.minimum(low, high), np.maximum(low, high)
    # (bins, 2, r, c) -> (2 * bins, r, c): each bin's two extremes in time order
    offsets = np.stack([first, second], axis=1)
    values = np.take_along_axis(binned, offsets, axis=1).reshape(2 * n_bins, *cube.shape[1:])
    frames = (offsets + (np.arange(n_bins) * bin_frames)[:, None, None, None])
    frames = np.minimum(frames, n - 1).reshape(values.shape).astype(np.int32)
    return PixelCurves(values=values, frames=frames, row_start=rows.start,
                       column_start=columns.start, bin_frames=bin_frames,
                       limited=(rows.stop - rows.start, columns.stop - columns.start) != tpf.shape)


# -- aperture editing and sharing ----------------------------------------------------------------
