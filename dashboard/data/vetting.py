"""Vetting computations: user apertures, background, centroids, quality masks, differences.

Everything here takes a :class:`TargetPixelFile` and plain numpy arrays and returns arrays, so the
callbacks stay thin and every number can be tested without a browser. Masks are boolean
``(rows, columns)`` arrays in stamp indices (row i, column j of the stamp, 0-based); CCD
coordinates are ``tpf.row + i`` and ``tpf.column + j``.
"""

from __future__ import annotations

import base64
import re
import warnings
import zlib
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


def _sum_and_background(tpf: TargetPixelFile, mask, background):
    """(raw aperture sum, background to subtract) per cadence, both float64.

    Background is counted only for aperture pixels whose FLUX is finite on that cadence: a
    pixel that adds nothing to the sum must not have its background taken away either.
    """
    mask = _aperture(tpf, mask)
    pixels = tpf.flux[:, mask]
    finite = np.isfinite(pixels)
    total = np.nansum(pixels, axis=1, dtype=np.float64)
    total[~finite.any(axis=1)] = np.nan
    if background is None:
        return total, np.zeros(tpf.n_cadences)
    if isinstance(background, str):
        if background != "file":
            raise DataError(f"Unknown background {background!r}: use None, 'file' or a mask.")
        if tpf.flux_bkg is None:
            raise DataError("This file has no FLUX_BKG column, so its background cannot be "
                            "subtracted: select background pixels instead.")
        bkg = np.where(finite, tpf.flux_bkg[:, mask], 0.0)
        return total, bkg.sum(axis=1, dtype=np.float64)
    level = _background_level(tpf, _aperture(tpf, background, EMPTY_BACKGROUND))
    return total, level * finite.sum(axis=1)


def _background_level(tpf: TargetPixelFile, background: np.ndarray) -> np.ndarray:
    """Per-cadence median of the background pixels (a median ignores a star's wing or a CR)."""
    sky = tpf.flux[:, background].astype(np.float64)
    if not np.isnan(sky).any():
        return np.median(sky, axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # cadences with every pixel NaN
        return np.nanmedian(sky, axis=1)


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
    pixels = tpf.flux[:, mask].astype(np.float64)
    np.nan_to_num(pixels, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
    total = pixels.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        column = pixels @ columns.astype(np.float64) / total + tpf.column
        row = pixels @ rows.astype(np.float64) / total + tpf.row
    bad = total == 0
    column[bad] = np.nan
    row[bad] = np.nan
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


def next_unmasked(frame: int, step: int, hidden: np.ndarray) -> int:
    """The frame ``step`` visible cadences away from ``frame``, skipping hidden ones.

    ``hidden`` is one bool per cadence (all False for no mask: it also gives the file's length
    for clamping). A step past the last visible cadence stops on it; with nothing visible that
    way the same frame comes back. ``frame`` itself may be hidden (the user can be parked on one).
    """
    frame, step = int(frame), int(step)
    visible = np.flatnonzero(~np.asarray(hidden, dtype=bool))
    if step > 0:
        start = np.searchsorted(visible, frame, side="right")  # first visible after frame
        if start >= visible.size:
            return frame
        return int(visible[min(start + step - 1, visible.size - 1)])
    if step < 0:
        start = np.searchsorted(visible, frame, side="left") - 1  # last visible before frame
        if start < 0:
            return frame
        return int(visible[max(start + step + 1, 0)])
    return frame


# -- difference image ----------------------------------------------------------------------------

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
    if np.isnan(stack).any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # pixels NaN in every neighbour
            reference = np.nanmedian(stack, axis=0)
    else:
        reference = np.median(stack, axis=0)
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
    if mask is not None and np.any(mask):
        centre_row, centre_column = np.argwhere(mask).mean(axis=0)
    else:
        centre_row, centre_column = (rows - 1) / 2, (columns - 1) / 2
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

def toggle_pixel(mask: np.ndarray, row: int, column: int) -> np.ndarray:
    """A copy of ``mask`` with stamp pixel (row, column) flipped; outside the stamp: unchanged.

    Takes stamp indices: the caller subtracts ``tpf.row``/``tpf.column`` from a click's y/x.
    """
    mask = np.array(mask, dtype=bool)
    if 0 <= row < mask.shape[0] and 0 <= column < mask.shape[1]:
        mask[row, column] = not mask[row, column]
    return mask


def mask_from_selection(shape: tuple[int, int], selection, *, column: int = 0,
                        row: int = 0) -> np.ndarray:
    """The pixels a box or lasso selection covers, as a bool mask of ``shape``.

    ``selection`` is Plotly's ``selectedData`` (or just its list of points), in the figure's CCD
    coordinates (x = CCD column, y = CCD row); pass the stamp origin as ``column``/``row`` and it
    is subtracted here. Points (a selectable trace) are used when present; otherwise a heatmap,
    which reports no points, gives its box ``range`` or ``lassoPoints`` polygon, and the pixels
    whose centres fall inside are taken.
    """
    mask = np.zeros(shape, dtype=bool)
    if not selection:
        return mask
    if isinstance(selection, dict):
        points = selection.get("points") or []
    else:
        points, selection = selection, {}
    if points:
        i = np.rint([p["y"] - row for p in points]).astype(int)
        j = np.rint([p["x"] - column for p in points]).astype(int)
        inside = (i >= 0) & (i < shape[0]) & (j >= 0) & (j < shape[1])
        mask[i[inside], j[inside]] = True
        return mask
    centre_y, centre_x = np.mgrid[:shape[0], :shape[1]]
    centre_x, centre_y = centre_x + column, centre_y + row
    if selection.get("range"):
        (x0, x1), (y0, y1) = (sorted(selection["range"][axis][:2]) for axis in ("x", "y"))
        return (centre_x >= x0) & (centre_x <= x1) & (centre_y >= y0) & (centre_y <= y1)
    lasso = selection.get("lassoPoints")
    if lasso:
        return _inside_polygon(centre_x, centre_y, np.asarray(lasso["x"], dtype=float),
                               np.asarray(lasso["y"], dtype=float))
    return mask


def _inside_polygon(x: np.ndarray, y: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Even-odd rule: a point is inside when a ray to +x crosses the edges an odd number of times."""
    inside = np.zeros(x.shape, dtype=bool)
    for k in range(len(px)):
        xa, ya, xb, yb = px[k - 1], py[k - 1], px[k], py[k]
        crosses = (ya > y) != (yb > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            at = xa + (y - ya) * (xb - xa) / (yb - ya)
        inside ^= crosses & (x < at)
    return inside


_MASK_CODE = re.compile(r"^(\d{1,5})x(\d{1,5})([.z])([A-Za-z0-9_-]*)$")


def encode_mask(mask: np.ndarray) -> str:
    """A URL-safe string for a bool mask: ``"ROWSxCOLS.<base64url packed bits>"``.

    Large sparse masks (a 1287x11 TESS stamp) compress well, so zlib is used when it is shorter
    and marked by ``z`` in place of the dot. Padding ``=`` is dropped (it is implied by length).
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim != 2:
        raise DataError(f"A mask must be 2-D, not {mask.ndim}-D.")
    packed = np.packbits(mask.ravel()).tobytes()
    compressed = zlib.compress(packed, 9)
    marker, payload = (("z", compressed) if len(compressed) < len(packed) else (".", packed))
    text = base64.urlsafe_b64encode(payload).decode("ascii").rstrip("=")
    return f"{mask.shape[0]}x{mask.shape[1]}{marker}{text}"


def decode_mask(code: str, shape: tuple[int, int] | None = None) -> np.ndarray:
    """The mask :func:`encode_mask` wrote; DataError for a damaged code or a different ``shape``."""
    match = _MASK_CODE.match(str(code).strip())
    if not match:
        raise DataError(f"{str(code)[:40]!r} is not an aperture code (expected ROWSxCOLS.DATA).")
    rows, columns, marker, text = int(match[1]), int(match[2]), match[3], match[4]
    try:
        payload = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        if marker == "z":
            payload = zlib.decompress(payload)
    except (ValueError, zlib.error):
        raise DataError("The aperture code is damaged: its data cannot be decoded.") from None
    size = rows * columns
    if len(payload) != -(-size // 8):
        raise DataError(f"The aperture code is damaged: {len(payload)} bytes do not fit a "
                        f"{rows}x{columns} mask.")
    mask = np.unpackbits(np.frombuffer(payload, dtype=np.uint8), count=size).astype(bool)
    mask = mask.reshape(rows, columns)
    if shape is not None and mask.shape != tuple(shape):
        raise DataError(f"The aperture code is for a {rows}x{columns} stamp, not "
                        f"{shape[0]}x{shape[1]}.")
    return mask
