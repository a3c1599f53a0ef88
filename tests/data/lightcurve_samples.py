"""Shared by the custom light-curve reader's tests: a known curve (TIME, FLUX, ERR of N points)
and the inputs written from it: text tables, FITS files of given tables, and a TESS SPOC lc /
Kepler llc layout.

Values are written with repr() (text) or as the column's own type (FITS), so the tests know
exactly which float64 must come back.
"""

from __future__ import annotations

import io

import numpy as np
from astropy.io import fits

RNG = np.random.default_rng(3)
N = 50
TIME = 2680.0 + 0.0204 * np.arange(N) + RNG.uniform(0, 1e-3, N)  # K2-era BKJD
FLUX = RNG.normal(1.0, 0.01, N)
ERR = RNG.uniform(1e-4, 1e-3, N)


def table_text(names, columns, delimiter=",", header=True, comments=False, newline="\n") -> bytes:
    lines = ["# written by a test", "# second comment"] if comments else []
    if header:
        lines.append(delimiter.join(names))
    lines += [delimiter.join(repr(float(v)) for v in row) for row in zip(*columns, strict=True)]
    return (newline.join(lines) + newline).encode()


def fits_bytes(*hdus) -> bytes:
    buffer = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), *hdus]).writeto(buffer)
    return buffer.getvalue()


def lc_like_fits(mission="TESS") -> bytes:
    """A TESS SPOC lc / Kepler llc layout: LIGHTCURVE with TIME, SAP/PDCSAP fluxes, QUALITY."""
    reference = 2457000 if mission == "TESS" else 2454833
    quality = "QUALITY" if mission == "TESS" else "SAP_QUALITY"
    table = fits.BinTableHDU.from_columns([
        fits.Column("TIME", "D", unit=f"BJD - {reference}, days", array=TIME),
        fits.Column("TIMECORR", "E", unit="d", array=np.zeros(N)),
        fits.Column("CADENCENO", "J", array=1000 + np.arange(N)),
        fits.Column("SAP_FLUX", "E", array=FLUX + 5),
        fits.Column("SAP_FLUX_ERR", "E", array=ERR + 1),
        fits.Column("PDCSAP_FLUX", "E", array=FLUX),
        fits.Column("PDCSAP_FLUX_ERR", "E", array=ERR),
        fits.Column(quality, "J", array=np.arange(N) % 3),
    ], name="LIGHTCURVE")
    table.header["BJDREFI"], table.header["BJDREFF"] = reference, 0.0
    primary = fits.PrimaryHDU()
    primary.header["TELESCOP"] = mission if mission == "TESS" else "Kepler"
    buffer = io.BytesIO()
    fits.HDUList([primary, table, fits.ImageHDU(np.zeros((4, 4), np.int32), name="APERTURE")]
                 ).writeto(buffer)
    return buffer.getvalue()
