"""The stamp's world coordinate system (WCS), read from the file, and the observation epoch.

Pipeline TPFs (Kepler, K2, TESS SPOC) keep the WCS of the stamp as keywords of the FLUX column in
the pixel table's header: ``1CTYPn 2CTYPn 1CRPXn 2CRPXn 1CRVLn 2CRVLn 1CDLTn 2CDLTn 11PCn 12PCn
21PCn 22PCn`` (plus ``1CUNIn 2CUNIn``), where n is the FLUX column's number in the table. TESScut
cutouts carry the same keywords and also a standard image WCS in the APERTURE extension's header,
which is the fallback when the column keywords are absent or unusable.

Coordinates: everything here is in STAMP pixels, 0-based, as astropy counts them: ``x`` is the
stamp's column index j and ``y`` its row index i, pixel (i, j) has its centre at (x, y) = (j, i)
and spans +-0.5 around it. The page draws the stamp on CCD axes, where that pixel sits at
(tpf.column + x, tpf.row + y): the figure layer adds the offsets, nothing else does.

The WCS is kept on the TargetPixelFile as a plain dict of standard FITS keywords
(``tpf.wcs_header``, JSON-able so the store's array cache keeps it), and :func:`stamp_wcs` builds
the astropy object from it.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np
from astropy.io import fits
from astropy.time import Time
from astropy.wcs import WCS, FITSFixedWarning

from .errors import DataError

if TYPE_CHECKING:
    from .tpf import TargetPixelFile

_PIXEL_TABLE_NAMES = ("TARGETTABLES", "PIXELS")
# Column keyword stems (axis 1 and 2 of the FLUX image array) -> standard image keyword.
_COLUMN_KEYWORDS = {
    "1CTYP{n}": "CTYPE1", "2CTYP{n}": "CTYPE2",
    "1CRPX{n}": "CRPIX1", "2CRPX{n}": "CRPIX2",
    "1CRVL{n}": "CRVAL1", "2CRVL{n}": "CRVAL2",
    "1CDLT{n}": "CDELT1", "2CDLT{n}": "CDELT2",
    "11PC{n}": "PC1_1", "12PC{n}": "PC1_2", "21PC{n}": "PC2_1", "22PC{n}": "PC2_2",
}
_OPTIONAL_COLUMN_KEYWORDS = {"1CUNI{n}": "CUNIT1", "2CUNI{n}": "CUNIT2"}
_PC_DEFAULTS = {"PC1_1": 1.0, "PC1_2": 0.0, "PC2_1": 0.0, "PC2_2": 1.0}


# -- reading ----------------------------------------------------------------------------------
def read_wcs(hdul: fits.HDUList) -> dict | None:
    """The stamp's WCS as a dict of standard image keywords, or None when the file has none.

    The FLUX column's keywords come first (every pipeline TPF and TESScut file has them); the
    APERTURE header is the fallback. A WCS that does not map the stamp's centre to a finite
    position on the sky is treated as absent.
    """
    for candidate in (_from_flux_column(hdul), _from_aperture(hdul)):
        if candidate is not None and _usable(candidate):
            return candidate
    return None


def _pixel_table(hdul: fits.HDUList):
    tables = [hdu for hdu in hdul if isinstance(hdu, fits.BinTableHDU)]
    named = [hdu for hdu in tables if hdu.name in _PIXEL_TABLE_NAMES]
    with_flux = [hdu for hdu in tables if "FLUX" in {c.upper() for c in hdu.columns.names}]
    return (named or with_flux or [None])[0]


def _from_flux_column(hdul: fits.HDUList) -> dict | None:
    table = _pixel_table(hdul)
    if table is None:
        return None
    names = [c.upper() for c in table.columns.names]
    if "FLUX" not in names:
        return None
    n = names.index("FLUX") + 1
    header = table.header
    found = {}
    for stem, keyword in _COLUMN_KEYWORDS.items():
        value = header.get(stem.format(n=n))
        if value is None:
            if keyword in _PC_DEFAULTS:  # a PC matrix may be left out when it is the identity
                found[keyword] = _PC_DEFAULTS[keyword]
                continue
            return None
        found[keyword] = value
    for stem, keyword in _OPTIONAL_COLUMN_KEYWORDS.items():
        found[keyword] = str(header.get(stem.format(n=n), "deg")).strip() or "deg"
    found["CTYPE1"], found["CTYPE2"] = str(found["CTYPE1"]), str(found["CTYPE2"])
    for keyword in ("CRPIX1", "CRPIX2", "CRVAL1", "CRVAL2", "CDELT1", "CDELT2", *_PC_DEFAULTS):
        found[keyword] = float(found[keyword])
    result = {"WCSAXES": 2, **found, "RADESYS": str(header.get("RADESYS", "ICRS")).strip()}
    if header.get("EQUINOX") is not None:
        result["EQUINOX"] = float(header["EQUINOX"])
    return result


def _from_aperture(hdul: fits.HDUList) -> dict | None:
    if "APERTURE" not in hdul:
        return None
    header = hdul["APERTURE"].header
    if "CTYPE1" not in header or "CTYPE2" not in header:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FITSFixedWarning)
            wcs = WCS(header, naxis=2)
    except (ValueError, KeyError, MemoryError):
        return None
    if not wcs.has_celestial:
        return None
    return {key: _plain(value) for key, value in wcs.to_header(relax=True).items()
            if key not in ("COMMENT", "HISTORY", "")}


def _plain(value):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    return str(value)


def _usable(header: dict) -> bool:
    try:
        wcs = wcs_from_header(header)
        ra, dec = wcs.pixel_to_world_values(0.0, 0.0)
        x, y = wcs.world_to_pixel_values(ra, dec)
    except Exception:  # noqa: BLE001 (wcslib rejects bad keywords with several exception types)
        return False
    return bool(np.all(np.isfinite([ra, dec, x, y])) and abs(x) < 1e-3 and abs(y) < 1e-3)


def wcs_from_header(header: dict) -> WCS:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FITSFixedWarning)
        return WCS(fits.Header(header), naxis=2)


# -- using ------------------------------------------------------------------------------------
def has_wcs(tpf: TargetPixelFile) -> bool:
    return getattr(tpf, "wcs_header", None) is not None


def stamp_wcs(tpf: TargetPixelFile) -> WCS:
    """The astropy WCS of the stamp in stamp pixels (x = column index, y = row index, 0-based).

    Raises DataError when the file carries no WCS (e.g. a simulated file).
    """
    header = getattr(tpf, "wcs_header", None)
    if header is None:
        raise DataError(f"{tpf.filename or 'This file'} carries no world coordinate system, "
                        "so pixels cannot be placed on the sky.")
    return wcs_from_header(header)


def pixel_to_sky(wcs: WCS, x, y) -> tuple[np.ndarray, np.ndarray]:
    """RA and Dec (degrees, ICRS) of stamp pixel positions ``x`` (column) and ``y`` (row)."""
    ra, dec = wcs.pixel_to_world_values(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(ra) % 360.0, np.asarray(dec)


def sky_to_pixel(wcs: WCS, ra, dec) -> tuple[np.ndarray, np.ndarray]:
    """Stamp pixel positions (x = column, y = row, 0-based) of RA and Dec in degrees."""
    x, y = wcs.world_to_pixel_values(np.asarray(ra, dtype=float), np.asarray(dec, dtype=float))
    return np.asarray(x), np.asarray(y)


def pixel_scale_arcsec(wcs: WCS) -> float:
    """Mean size of a stamp pixel on the sky, in arcseconds."""
    scales = np.abs(np.linalg.det(wcs.pixel_scale_matrix)) ** 0.5
    return float(scales * 3600.0)


def format_radec(ra: float, dec: float) -> str:
    """'RA 285.67939° Dec +50.24130°' (decimal degrees, 5 decimals: 0.036 arcsec)."""
    if not (math.isfinite(ra) and math.isfinite(dec)):
        return ""
    return f"RA {ra % 360.0:.5f}° Dec {dec:+.5f}°"


def observation_epoch(tpf: TargetPixelFile) -> float:
    """Mid-time of the observation as a Julian year (e.g. 2010.03), for proper motions.

    The middle of the first and last times in the file, converted from the mission's BJD (TDB)
    by astropy; the difference between barycentric and spacecraft time (minutes) is irrelevant
    for stellar proper motions.
    """
    times = tpf.time[np.isfinite(tpf.time)]
    if times.size == 0:
        raise DataError(f"{tpf.filename or 'This file'} has no valid times, so the epoch of its "
                        "observation (for catalogue proper motions) is unknown.")
    middle = 0.5 * (float(times.min()) + float(times.max())) + tpf.bjd_reference
    return float(Time(middle, format="jd", scale="tdb").jyear)
