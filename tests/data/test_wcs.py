"""The stamp's WCS read from real files, checked against astropy's own reading of the keywords.

The reference is built here without the code under test: astropy's wcslib parser reading the
pixel table's binary-table image-array keywords (``WCS(header, keysel=['binary'],
colsel=[n])``), and a WCS assembled by hand from the twelve named keywords.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from astropy.io import fits
from astropy.time import Time
from astropy.wcs import WCS, FITSFixedWarning

from dashboard.data import arrays
from dashboard.data.errors import DataError
from dashboard.data.tpf import open_tpf
from dashboard.data.wcs import (
    format_radec,
    has_wcs,
    observation_epoch,
    pixel_scale_arcsec,
    pixel_to_sky,
    read_wcs,
    sky_to_pixel,
    stamp_wcs,
)
from tests.data.sky_stamps import KEPLER10, kepler10_stamp, reference_wcs
from tests.synthetic import tpf_bytes

# Every real TPF in ../shared/data (the light-curve files and the one-image K2 file are not).
REAL_TPFS = [
    "kplr011904151-2010009091648_lpd-targ.fits",
    "kplr012644769-q12-10cadences_lpd-targ.fits",
    "ktwo200006994-c04-strip8x1_lpd-targ.fits.gz",
    "ktwo221312395-c91_lpd-targ.fits.gz",
    "tess-s0001-4-2_84.291190_-80.469170_6x6_astrocut.fits",
    "tess2018349182459-s0006-0000000322899250-0126-s_tp.fits",
]
SIRIUS = "tess2018349182459-s0006-0000000322899250-0126-s_tp.fits"


def _astropy_wcs(path) -> tuple[WCS, WCS, fits.Header]:
    """astropy's own reading of the FLUX column's keywords, and one built by hand from them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with fits.open(path) as hdul:
            table = hdul[1]
            n = [c.upper() for c in table.columns.names].index("FLUX") + 1
            header = table.header.copy()
            aperture = hdul["APERTURE"].header.copy()
        parsed = WCS(header, keysel=["binary"], colsel=[n])
    manual = WCS(naxis=2)
    manual.wcs.ctype = [header[f"1CTYP{n}"], header[f"2CTYP{n}"]]
    manual.wcs.crpix = [header[f"1CRPX{n}"], header[f"2CRPX{n}"]]
    manual.wcs.crval = [header[f"1CRVL{n}"], header[f"2CRVL{n}"]]
    manual.wcs.cdelt = [header[f"1CDLT{n}"], header[f"2CDLT{n}"]]
    manual.wcs.pc = [[header[f"11PC{n}"], header[f"12PC{n}"]],
                     [header[f"21PC{n}"], header[f"22PC{n}"]]]
    return parsed, manual, aperture


def _pixel_grid(shape):
    rows, columns = shape
    # pixel centres and the stamp's outer corners
    y, x = np.mgrid[0:rows, 0:columns].astype(float)
    x = np.concatenate([x.ravel(), [-0.5, columns - 0.5, -0.5, columns - 0.5]])
    y = np.concatenate([y.ravel(), [-0.5, -0.5, rows - 0.5, rows - 0.5]])
    return x, y


@pytest.mark.parametrize("name", REAL_TPFS)
def test_pixel_to_sky_agrees_with_astropy_reading_the_keywords(name, shared_file):
    path = shared_file(name)
    tpf = open_tpf(path)
    wcs = stamp_wcs(tpf)
    parsed, manual, _ = _astropy_wcs(path)
    x, y = _pixel_grid(tpf.shape)
    ra, dec = pixel_to_sky(wcs, x, y)
    for reference in (parsed, manual):
        ra_ref, dec_ref = reference.pixel_to_world_values(x, y)
        np.testing.assert_allclose(ra, np.mod(ra_ref, 360), rtol=0, atol=1e-9)
        np.testing.assert_allclose(dec, dec_ref, rtol=0, atol=1e-9)
    back_x, back_y = sky_to_pixel(wcs, ra, dec)
    np.testing.assert_allclose(back_x, x, atol=1e-6)
    np.testing.assert_allclose(back_y, y, atol=1e-6)


@pytest.mark.parametrize("name", REAL_TPFS)
def test_the_target_lands_on_its_brightest_pixels(name, shared_file):
    """RA_OBJ/DEC_OBJ falls on a pixel holding at least half the stamp's brightest median
    flux. Sirius saturates so badly that its calibrated stamp is mostly negative; there the
    star is the bleed column, the one with the highest median along the stamp."""
    tpf = open_tpf(shared_file(name))
    x, y = sky_to_pixel(stamp_wcs(tpf), tpf.header["RA_OBJ"], tpf.header["DEC_OBJ"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        image = np.nanmedian(tpf.flux, axis=0)
    if name == SIRIUS:
        bleed_column = int(np.nanargmax(np.nanmedian(image, axis=0)))
        assert abs(float(x) - bleed_column) <= 1.0
        assert 0 <= float(y) < tpf.shape[0]
        return
    column, row = int(np.round(x)), int(np.round(y))
    assert 0 <= row < tpf.shape[0] and 0 <= column < tpf.shape[1]
    assert image[row, column] >= 0.5 * np.nanmax(image)


def test_tesscut_aperture_header_gives_the_same_sky(shared_file):
    path = shared_file("tess-s0001-4-2_84.291190_-80.469170_6x6_astrocut.fits")
    tpf = open_tpf(path)
    _, _, aperture = _astropy_wcs(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FITSFixedWarning)
        reference = WCS(aperture)
    x, y = _pixel_grid(tpf.shape)
    ra, dec = pixel_to_sky(stamp_wcs(tpf), x, y)
    ra_ref, dec_ref = reference.pixel_to_world_values(x, y)
    np.testing.assert_allclose(ra, ra_ref, atol=1e-9)
    np.testing.assert_allclose(dec, dec_ref, atol=1e-9)


def test_pixel_scale_of_real_files(shared_file):
    kepler = open_tpf(shared_file(REAL_TPFS[0]))
    tess = open_tpf(shared_file(SIRIUS))
    assert pixel_scale_arcsec(stamp_wcs(kepler)) == pytest.approx(3.98, abs=0.02)
    assert pixel_scale_arcsec(stamp_wcs(tess)) == pytest.approx(20.6, abs=0.2)


def test_the_aperture_header_is_used_when_the_column_keywords_are_missing():
    data = tpf_bytes(shape=(5, 6)).data
    reference = reference_wcs(KEPLER10)
    with fits.open(io.BytesIO(data)) as hdul:
        hdul = fits.HDUList([hdu.copy() for hdu in hdul])
    hdul["APERTURE"].header.update(reference.to_header())
    buffer = io.BytesIO()
    hdul.writeto(buffer)
    tpf = open_tpf(buffer.getvalue())
    x, y = _pixel_grid(tpf.shape)
    ra, dec = pixel_to_sky(stamp_wcs(tpf), x, y)
    ra_ref, dec_ref = reference.pixel_to_world_values(x, y)
    np.testing.assert_allclose(ra, ra_ref, atol=1e-9)
    np.testing.assert_allclose(dec, dec_ref, atol=1e-9)


def test_a_file_without_wcs_says_so():
    tpf = open_tpf(tpf_bytes().data, "plain.fits")
    assert tpf.wcs_header is None and not has_wcs(tpf)
    with pytest.raises(DataError, match="plain.fits carries no world coordinate system"):
        stamp_wcs(tpf)


def test_unusable_keywords_count_as_no_wcs():
    data = kepler10_stamp()
    with fits.open(io.BytesIO(data)) as hdul:
        hdul = fits.HDUList([hdu.copy() for hdu in hdul])
    for key in ("1CDLT5", "2CDLT5"):
        hdul[1].header[key] = 0.0  # a singular matrix: no pixel maps to the sky
    assert read_wcs(hdul) is None


def test_the_wcs_survives_the_stores_array_copy(tmp_path):
    tpf = open_tpf(kepler10_stamp(timecorr=0.003), "k10.fits")
    arrays.save(tmp_path, "0" * 20, tpf, "ns")
    again = arrays.load(tmp_path, "0" * 20, "ns")
    assert again.wcs_header == tpf.wcs_header
    np.testing.assert_array_equal(again.timecorr, tpf.timecorr)
    x, y = _pixel_grid(tpf.shape)
    np.testing.assert_array_equal(pixel_to_sky(stamp_wcs(again), x, y)[0],
                                  pixel_to_sky(stamp_wcs(tpf), x, y)[0])


@pytest.mark.parametrize("ra, dec, text", [
    (285.679391, 50.2413, "RA 285.67939° Dec +50.24130°"),
    (84.29119, -80.46917, "RA 84.29119° Dec -80.46917°"),
    (-0.000001, 0.0, "RA 360.00000° Dec +0.00000°"),
    (360.5, -0.25, "RA 0.50000° Dec -0.25000°"),
])
def test_format_radec(ra, dec, text):
    assert format_radec(ra, dec) == text


def test_format_radec_of_nothing_is_empty():
    assert format_radec(float("nan"), 1.0) == ""


def test_observation_epoch_is_the_mid_time_as_a_julian_year():
    tpf = open_tpf(kepler10_stamp(), "k10.fits")
    middle = (tpf.time[0] + tpf.time[-1]) / 2 + 2454833.0
    expected = 2000.0 + (middle - 2451545.0) / 365.25  # Julian years from J2000.0 (TT)
    tt_minus_tdb = (Time(middle, format="jd", scale="tdb").tt.jd - middle) * 86400
    assert abs(tt_minus_tdb) < 0.002  # seconds: TDB and TT agree to 2 ms
    assert observation_epoch(tpf) == pytest.approx(expected, abs=1e-8)
    assert observation_epoch(tpf) == pytest.approx(2009.968, abs=0.001)  # 2009 Dec 19
