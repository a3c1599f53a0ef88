"""Shared by the TPF reader's tests: the real archive files and what each must open as, astropy's
own reading of a file, and the reference aperture sum.

Real files come from the shared folder described in ``/work/shared/data/README.md``; every
expected number is computed with numpy/astropy (here or in the test), never by the reader under
test.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from astropy.io import fits

REAL_TPFS = {
    # name: (mission, target, period, (cadences, rows, columns), time system, bit-2 aperture)
    "kplr011904151-2010009091648_lpd-targ.fits":
        ("Kepler", "KIC 11904151", "Quarter 4", (1021, 9, 7), "BKJD", True),
    "kplr012644769-q12-10cadences_lpd-targ.fits":
        ("Kepler", "KIC 12644769", "Quarter 12", (10, 9, 8), "BKJD", True),
    "ktwo200006994-c04-strip8x1_lpd-targ.fits.gz":
        ("K2", "EPIC 200006994", "Campaign 4", (3470, 8, 1), "BKJD", True),
    "ktwo221312395-c91_lpd-targ.fits.gz":
        ("K2", "EPIC 221312395", "Campaign 91", (1290, 10, 11), "BKJD", False),
    "tess-s0001-4-2_84.291190_-80.469170_6x6_astrocut.fits":
        ("TESS", None, "Sector 1", (50, 6, 6), "BTJD", False),
    "tess2018349182459-s0006-0000000322899250-0126-s_tp.fits":
        ("TESS", "TIC 322899250", "Sector 6", (10, 1287, 11), "BTJD", True),
}
TESSCUT = "tess-s0001-4-2_84.291190_-80.469170_6x6_astrocut.fits"
KEPLER_Q4 = "kplr011904151-2010009091648_lpd-targ.fits"


def reference_sum(flux: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Aperture sum in float64 as a careful person would do it: NaN pixels skipped, a cadence
    whose aperture pixels are all NaN stays NaN."""
    pixels = np.asarray(flux, dtype=np.float64)[:, mask]
    total = np.nansum(pixels, axis=1)
    total[np.isnan(pixels).all(axis=1)] = np.nan
    return total


def read_fits(path):
    """The primary header, the pixel table's data and header, and the APERTURE image if any,
    read with astropy directly (checksum warnings of Kepler files silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with fits.open(path, memmap=False) as hdul:
            table = hdul[1]
            columns = {name: np.array(table.data[name]) for name in
                       ("TIME", "CADENCENO", "QUALITY", "FLUX")}
            aperture = np.array(hdul["APERTURE"].data) if "APERTURE" in hdul else None
            return hdul[0].header.copy(), table.header.copy(), columns, aperture


def hdu_ends(data: bytes) -> list[int]:
    """Byte offset where each HDU of ``data`` ends, from astropy's own reading."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with fits.open(io.BytesIO(data), lazy_load_hdus=False) as hdul:
            return [info["datLoc"] + info["datSpan"]
                    for info in (hdu.fileinfo() for hdu in hdul)]
