"""Reading the real archive files: Kepler, K2 and TESS target pixel files (TESScut included) from
the shared folder described in ``/work/shared/data/README.md``.

Header fields, arrays, cadence numbers, apertures and light curves are compared with astropy's
own reading of each file; UTC times with astropy's TDB->UTC conversion; quality flags decode by
each mission's names.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

import numpy as np
import pytest
from astropy.io import fits
from astropy.time import Time

from dashboard.data import KEPLER, TESS, flags_for, open_tpf

from .tpf_files import KEPLER_Q4, REAL_TPFS, TESSCUT, read_fits, reference_sum


@pytest.mark.parametrize("name", REAL_TPFS)
def test_real_tpf_opens_with_header_fields(name, shared_file):
    """Each real TPF opens with the right mission, target, period, shape and time system."""
    mission, target, period, shape, system, _ = REAL_TPFS[name]
    tpf = open_tpf(shared_file(name))
    assert tpf.flux.shape == shape
    assert tpf.flux.dtype == np.float32 and tpf.flux.dtype.isnative
    assert tpf.mission == mission
    assert tpf.period == period
    assert tpf.time_system == system
    if target is not None:
        assert tpf.target == target
    assert tpf.filename == name


@pytest.mark.parametrize("name", REAL_TPFS)
def test_real_tpf_matches_astropy(name, shared_file):
    """Light curve = FLUX summed over (APERTURE & 2) computed here with astropy; cadence numbers
    equal CADENCENO (TESScut: 0..n-1); times equal TIME; QUALITY and the stamp origin agree."""
    path = shared_file(name)
    *_, has_bit2 = REAL_TPFS[name]
    primary, header, columns, aperture = read_fits(path)
    tpf = open_tpf(path)

    np.testing.assert_array_equal(tpf.flux, columns["FLUX"])
    np.testing.assert_array_equal(tpf.time, columns["TIME"])  # NaN where TIME is NaN
    np.testing.assert_array_equal(tpf.quality, columns["QUALITY"])
    assert (tpf.column, tpf.row) == (header["1CRV5P"], header["2CRV5P"])

    if name == TESSCUT:
        assert (columns["CADENCENO"] == 0).all()
        np.testing.assert_array_equal(tpf.cadenceno, np.arange(50))
        assert tpf.cadenceno_synthesised
    else:
        np.testing.assert_array_equal(tpf.cadenceno, columns["CADENCENO"])
        assert not tpf.cadenceno_synthesised

    file_mask = (aperture & 2) != 0
    if has_bit2:
        assert file_mask.any()
        np.testing.assert_array_equal(tpf.pipeline_mask, file_mask)
        mask = file_mask
        assert tpf.aperture_from_file
    else:
        assert not file_mask.any()
        assert not tpf.aperture_from_file
        assert tpf.pipeline_mask.shape == tpf.shape and tpf.pipeline_mask.any()
        mask = tpf.pipeline_mask
    expected = reference_sum(columns["FLUX"], mask)
    curve = tpf.lightcurve()
    assert np.isfinite(expected).sum() > 0
    np.testing.assert_allclose(curve, expected, rtol=1e-10, equal_nan=True)


@pytest.mark.parametrize("name", [KEPLER_Q4, "ktwo200006994-c04-strip8x1_lpd-targ.fits.gz",
                                  "tess2018349182459-s0006-0000000322899250-0126-s_tp.fits"])
def test_real_utc_strings(name, shared_file):
    """The UTC shown for a cadence equals astropy's TDB->UTC conversion of TIME + BJDREF."""
    path = shared_file(name)
    _, header, columns, _ = read_fits(path)
    tpf = open_tpf(path)
    time = columns["TIME"]
    finite = np.flatnonzero(np.isfinite(time))
    reference = float(header["BJDREFI"]) + float(header.get("BJDREFF", 0.0))
    for frame in (finite[0], finite[len(finite) // 2], finite[-1]):
        expected = Time(time[frame] + reference, format="jd", scale="tdb").utc
        shown = datetime.strptime(tpf.utc(frame), "%Y-%m-%d %H:%M:%S").replace(
            tzinfo=UTC)
        assert abs(shown - expected.to_datetime(UTC)).total_seconds() <= 1.0
    for frame in np.flatnonzero(~np.isfinite(time)):
        assert tpf.utc(frame) == ""


def test_real_kepler_quality_names(shared_file):
    """Kepler flags decode with the Kepler table: 16 is 'Zero crossing', 128 'Cosmic ray in
    optimal aperture'; every flagged cadence decodes to one known name per set bit."""
    tpf = open_tpf(shared_file(KEPLER_Q4))
    _, _, columns, _ = read_fits(shared_file(KEPLER_Q4))
    quality = columns["QUALITY"]
    flagged = np.flatnonzero(quality)
    assert len(flagged) == 95
    assert tpf.flags is KEPLER
    for frame in flagged:
        names = tpf.quality_names(frame)
        assert len(names) == bin(int(quality[frame])).count("1")
        assert not any(name.startswith("Unknown") for name in names)
    assert tpf.quality_names(np.flatnonzero(quality == 16)[0]) == ["Zero crossing"]
    assert tpf.quality_names(np.flatnonzero(quality == 128)[0]) == [
        "Cosmic ray in optimal aperture"]
    assert tpf.quality_names(np.flatnonzero(quality == 0)[0]) == []


def test_real_k2_thruster_quality_names(shared_file):
    """K2 thruster firings (1048576) and possible firings (524288) decode by name."""
    name = "ktwo200006994-c04-strip8x1_lpd-targ.fits.gz"
    tpf = open_tpf(shared_file(name))
    assert (tpf.quality != 0).sum() == 232
    assert "Thruster firing" in tpf.quality_names(np.flatnonzero(tpf.quality == 1048576)[0])
    assert tpf.quality_names(np.flatnonzero(tpf.quality == 524288)[0]) == [
        "Possible thruster firing"]


def test_real_tess_quality_names(shared_file):
    """TESS flags decode with the TESS table (real flagged cadences of the SPOC light curve):
    128 is 'Manual exclude', 512 'Impulsive outlier', which Kepler does not define."""
    path = shared_file("tess2018206045859-s0001-0000000358108509-0120-s_lc.fits")
    with fits.open(path, memmap=False) as hdul:
        quality = np.array(hdul[1].data["QUALITY"])
    flags = flags_for("TESS")
    assert flags is TESS
    for value in np.unique(quality[quality != 0]):
        names = flags.decode(value)
        assert len(names) == bin(int(value)).count("1")
        assert not any(n.startswith("Unknown") for n in names)
    assert 128 in quality and flags.decode(128) == ["Manual exclude"]
    assert 512 in quality and flags.decode(512) == ["Impulsive outlier"]
    assert KEPLER.decode(512) == ["Unknown bits 0x200"]
    tpf = open_tpf(shared_file("tess2018349182459-s0006-0000000322899250-0126-s_tp.fits"))
    assert tpf.flags is TESS


def test_real_k2_strip_with_zero_width_column(shared_file):
    """The one-pixel-wide K2 strip (RB_LEVEL is TFORM '0E') opens and sums its 8 pixels."""
    path = shared_file("ktwo200006994-c04-strip8x1_lpd-targ.fits.gz")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with fits.open(path, memmap=False) as hdul:
            assert hdul[1].columns["RB_LEVEL"].format == "0E"
    tpf = open_tpf(path)
    assert tpf.shape == (8, 1)
    assert tpf.pipeline_mask.sum() == 8


def test_real_tess_sirius_tall_stamp(shared_file):
    """The very tall Sirius stamp opens as (10, 1287, 11) with its large negative fluxes kept."""
    tpf = open_tpf(shared_file("tess2018349182459-s0006-0000000322899250-0126-s_tp.fits"))
    assert tpf.flux.shape == (10, 1287, 11)
    assert tpf.target == "TIC 322899250" and tpf.target_id == 322899250
    assert tpf.sector == 6
    assert np.nanmin(tpf.flux) < 0


def test_real_header_ids(shared_file):
    """Target ids and header keywords a user sees."""
    tpf = open_tpf(shared_file("ktwo221312395-c91_lpd-targ.fits.gz"))
    assert (tpf.target, tpf.target_id, tpf.campaign) == ("EPIC 221312395", 221312395, 91)
    assert tpf.header["OBJECT"] == "EPIC 221312395"
    tpf = open_tpf(shared_file(KEPLER_Q4))
    assert (tpf.target, tpf.target_id, tpf.quarter) == ("KIC 11904151", 11904151, 4)


def test_real_gzip_bytes_equal_path(shared_file):
    """The same file uploaded as bytes reads exactly as from its path."""
    path = shared_file("ktwo221312395-c91_lpd-targ.fits.gz")
    a, b = open_tpf(path), open_tpf(path.read_bytes(), filename=path.name)
    np.testing.assert_array_equal(a.flux, b.flux)
    np.testing.assert_array_equal(a.lightcurve(), b.lightcurve())
    assert b.filename == path.name
