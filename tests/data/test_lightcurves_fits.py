"""Custom light curves from FITS files written here with astropy: TESS SPOC lc and Kepler llc,
K2SFF-like tables, lightkurve's to_fits layout and astropy Time columns; then the real TESS lc
file. Values come back native-endian float64, and the time system is read from the file.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table
from astropy.time import Time

from dashboard.data.lightcurves import read_lightcurve, to_mission_time

from .lightcurve_samples import ERR, FLUX, TIME, N, fits_bytes, lc_like_fits


@pytest.mark.parametrize("mission, system", [("TESS", "BTJD"), ("Kepler", "BKJD")])
def test_spoc_lc_and_kepler_llc(mission, system):
    lc = read_lightcurve(lc_like_fits(mission), f"{mission}.fits")
    assert lc.time_system == system and "unit 'BJD - " in lc.time_system_reason
    np.testing.assert_array_equal(lc.time, TIME)
    np.testing.assert_array_equal(lc.flux, FLUX.astype(np.float32).astype(np.float64))
    np.testing.assert_array_equal(lc.flux_err, ERR.astype(np.float32).astype(np.float64))
    np.testing.assert_array_equal(lc.quality, np.arange(N) % 3)
    np.testing.assert_array_equal(lc.cadenceno, 1000 + np.arange(N))
    assert lc.columns["flux"] == "PDCSAP_FLUX" and "TIMECORR" not in lc.candidates["time"][:1]
    for array in (lc.time, lc.flux, lc.flux_err):
        assert array.dtype == np.float64 and array.dtype.isnative  # FITS is big-endian


def test_k2sff_like_first_table_with_bjdrefi_only():
    def aperture(name, flux):
        hdu = fits.BinTableHDU.from_columns([
            fits.Column("T", "D", array=TIME), fits.Column("FRAW", "D", array=flux + 1),
            fits.Column("FCOR", "D", array=flux), fits.Column("ARCLENGTH", "D", array=FLUX),
            fits.Column("MOVING", "I", array=np.zeros(N)),
            fits.Column("CADENCENO", "J", array=2000 + np.arange(N))], name=name)
        hdu.header["BJDREFI"], hdu.header["BJDREFF"], hdu.header["TIMEUNIT"] = 2454833, 0.0, "d"
        return hdu
    data = fits_bytes(aperture("BESTAPER", FLUX), aperture("CIRC_APER0", FLUX * 2))
    lc = read_lightcurve(data, "hlsp_k2sff.fits")
    np.testing.assert_array_equal(lc.flux, FLUX)  # BESTAPER, the first table
    assert lc.columns == {"time": "T", "flux": "FCOR", "cadenceno": "CADENCENO"}
    assert lc.time_system == "BKJD" and "BJDREFI=2454833" in lc.time_system_reason
    second = read_lightcurve(data, "x.fits", columns={"time": "T", "flux": "FRAW"})
    np.testing.assert_array_equal(second.flux, FLUX + 1)


def test_lightkurve_to_fits_layout_with_time_in_btjd():
    btjd = 1400.0 + TIME / 100
    table = fits.BinTableHDU.from_columns([
        fits.Column("TIME", "D", array=btjd), fits.Column("FLUX", "E", array=FLUX),
        fits.Column("FLUX_ERR", "E", array=ERR), fits.Column("QUALITY", "J", array=np.zeros(N)),
        fits.Column("CADENCENO", "J", array=np.arange(N)),
        fits.Column("PDCSAP_FLUX", "E", array=FLUX * 3)], name="LIGHTCURVE")
    table.header["BJDREFI"], table.header["BJDREFF"] = 2457000, 0.0
    lc = read_lightcurve(fits_bytes(table), "lightkurve.fits")
    assert lc.time_system == "BTJD" and lc.columns["flux"] == "FLUX"
    np.testing.assert_array_equal(lc.time, btjd)


def test_astropy_time_column_as_lightkurve_write_stores_it():
    jd = 2457000.0 + 1400.0 + np.arange(N) * (2 / 1440)
    table = Table({"time": Time(jd, format="jd", scale="tdb"), "flux": FLUX, "flux_err": ERR})
    buffer = io.BytesIO()
    table.write(buffer, format="fits")
    lc = read_lightcurve(buffer.getvalue(), "written.fits")
    assert lc.time_system == "BJD" and "astropy Time column" in lc.time_system_reason
    np.testing.assert_allclose(lc.time, jd, rtol=0, atol=1e-9)
    np.testing.assert_allclose(to_mission_time(lc, "BTJD", 2457000.0), jd - 2457000.0,
                               rtol=0, atol=1e-9)


def test_real_tess_lc_file(shared_file):
    name = "tess2018206045859-s0001-0000000358108509-0120-s_lc.fits"
    path = shared_file(name)
    with fits.open(path) as hdul:
        data = hdul["LIGHTCURVE"].data
        time, pdcsap = np.array(data["TIME"], float), np.array(data["PDCSAP_FLUX"], float)
        cadenceno = np.array(data["CADENCENO"], int)
    assert time.size == 20076
    timed = np.isfinite(time)
    lc = read_lightcurve(path.read_bytes(), name)
    assert lc.time_system == "BTJD"
    assert len(lc) == timed.sum()  # rows without a time are dropped, and that is noted
    assert f"{(~timed).sum()} row(s) without a time were dropped." in lc.notes
    np.testing.assert_array_equal(lc.time, time[timed])
    np.testing.assert_array_equal(lc.flux, pdcsap[timed])
    np.testing.assert_array_equal(lc.cadenceno, cadenceno[timed])
