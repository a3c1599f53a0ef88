"""Apertures as boolean masks: editing them from clicks and selections, and writing them as
short URL-safe codes. Masks are (rows, columns) in stamp indices; the stamp's CCD origin is
subtracted where plotly's CCD coordinates come in."""

from __future__ import annotations

import base64
import re
import zlib

import numpy as np

from .errors import DataError


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
    """Even-odd rule: a point is inside when a ray to +x crosses the edges an odd number of
    times."""
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
