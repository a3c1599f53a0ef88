"""Reading target pixel files written independently: synthetic files of each mission.

Synthetic files come from ``tests/synthetic.py`` (astropy alone), from bytes, gzip bytes and a
path; checked are the arrays (native-endian), position, time system, labels, the pipeline and
default apertures and the aperture sums. Every expected number here is computed by the test
itself with numpy/astropy, never by the reader under test. The real archive files are in
``test_tpf_real.py``, files that must be refused in ``test_tpf_errors.py``.
"""

from __future__ import annotations

import gzip
import io

import numpy as np
import pytest
from astropy.io import fits

from dashboard.data import KEPLER, TESS, DataError, default_aperture, open_tpf
from tests.synthetic import tpf_bytes

from .tpf_files import reference_sum

MISSIONS = ("Kepler", "K2", "TESS")


# -- helpers -------------------------------------------------------------------------------------

def rewrite(data: bytes, *, flux=None, aperture=None) -> bytes:
    """The same synthetic file with its FLUX column and/or APERTURE image replaced."""
    with fits.open(io.BytesIO(data)) as hdul:
        if flux is not None:
            hdul[1].data["FLUX"][:] = flux
        if aperture is not None:
            hdul["APERTURE"].data = np.asarray(aperture, dtype=np.int32)
        out = io.BytesIO()
        hdul.writeto(out)
    return out.getvalue()


def source_forms(synthetic, tmp_path, form: str):
    """The synthetic file as .fits bytes, gzip bytes, or a path on disk."""
    if form == "bytes":
        return synthetic.data
    if form == "gzip":
        return gzip.compress(synthetic.data)
    path = tmp_path / "synthetic_lpd-targ.fits"
    path.write_bytes(synthetic.data)
    return path


# -- synthetic files -----------------------------------------------------------------------------

@pytest.mark.parametrize("form", ["bytes", "gzip", "path"])
@pytest.mark.parametrize("mission", MISSIONS)
def test_synthetic_arrays_equal_what_was_written(mission, form, tmp_path):
    """FLUX, TIME, CADENCENO, QUALITY and FLUX_BKG come back unchanged, native-endian float32
    flux shaped (cadences, rows, columns), from bytes, gzip bytes and a path alike."""
    quality = np.zeros(40, dtype=np.int32)
    quality[[3, 17]] = [16, 128 | 1]
    syn = tpf_bytes(n_cadences=40, shape=(5, 6), mission=mission, quality=quality, seed=3)
    tpf = open_tpf(source_forms(syn, tmp_path, form))

    assert tpf.flux.shape == (40, 5, 6)
    assert tpf.shape == (5, 6) and tpf.n_cadences == 40
    assert tpf.flux.dtype == np.float32 and tpf.flux.dtype.isnative
    np.testing.assert_array_equal(tpf.flux, syn.flux)
    assert tpf.time.dtype.isnative and tpf.quality.dtype.isnative and tpf.cadenceno.dtype.isnative
    np.testing.assert_array_equal(tpf.time, syn.time)
    np.testing.assert_array_equal(tpf.cadenceno, syn.cadenceno)
    np.testing.assert_array_equal(tpf.quality, quality)
    assert tpf.flux_bkg.dtype.isnative
    np.testing.assert_array_equal(tpf.flux_bkg, syn.flux_bkg)
    assert not tpf.cadenceno_synthesised


@pytest.mark.parametrize("mission", MISSIONS)
def test_synthetic_position_time_system_and_aperture(mission):
    """The stamp origin comes from 1CRV5P/2CRV5P of the FLUX column, the time system from the
    mission, and the pipeline aperture is exactly the APERTURE pixels with bit 2 set."""
    aperture = np.ones((5, 6), dtype=np.int32)
    aperture[1:3, 2:4] |= 2
    aperture[4, 5] = 2 | 8  # bit 2 together with other bits still counts
    aperture[0, 0] = 1 | 4 | 8  # other bits without bit 2 do not
    syn = tpf_bytes(mission=mission, aperture=aperture, column=731, row=1042)
    tpf = open_tpf(syn.data)

    assert (tpf.column, tpf.row) == (731, 1042)
    assert tpf.time_system == ("BTJD" if mission == "TESS" else "BKJD")
    assert tpf.bjd_reference == (2457000.0 if mission == "TESS" else 2454833.0)
    np.testing.assert_array_equal(tpf.pipeline_mask, (aperture & 2) != 0)
    assert tpf.pipeline_mask.sum() == 5
    assert tpf.aperture_from_file


@pytest.mark.parametrize("mission", MISSIONS)
def test_synthetic_lightcurve_is_float64_aperture_sum(mission):
    """lightcurve() is FLUX summed over the pipeline aperture per cadence, in float64."""
    aperture = np.ones((7, 8), dtype=np.int32)
    aperture[2:5, 3:6] |= 2
    syn = tpf_bytes(n_cadences=60, shape=(7, 8), mission=mission, aperture=aperture, seed=11)
    tpf = open_tpf(syn.data)
    expected = syn.flux[:, (aperture & 2) != 0].astype(np.float64).sum(axis=1)

    curve = tpf.lightcurve()
    assert curve.dtype == np.float64 and curve.shape == (60,)
    np.testing.assert_allclose(curve, expected, rtol=1e-12)
    np.testing.assert_allclose(tpf.pipeline_lightcurve, expected, rtol=1e-12)


def test_lightcurve_of_a_single_pixel_and_of_a_box():
    """A user-drawn aperture: one pixel gives that pixel's series, a box gives the box sum."""
    syn = tpf_bytes(n_cadences=30, shape=(6, 7), seed=5)
    tpf = open_tpf(syn.data)

    one = np.zeros((6, 7), dtype=bool)
    one[4, 1] = True
    np.testing.assert_allclose(tpf.lightcurve(one), syn.flux[:, 4, 1].astype(np.float64),
                               rtol=1e-12)

    box = np.zeros((6, 7), dtype=bool)
    box[1:4, 2:6] = True
    expected = syn.flux[:, 1:4, 2:6].astype(np.float64).sum(axis=(1, 2))
    np.testing.assert_allclose(tpf.lightcurve(box), expected, rtol=1e-12)


def test_lightcurve_rejects_mask_of_wrong_shape_and_empty_mask_is_nan():
    """A mask that does not fit the stamp is refused; an empty aperture has no flux (NaN)."""
    tpf = open_tpf(tpf_bytes(shape=(5, 6)).data)
    with pytest.raises(DataError, match="does not match"):
        tpf.lightcurve(np.ones((6, 5), dtype=bool))
    assert np.isnan(tpf.lightcurve(np.zeros((5, 6), dtype=bool))).all()


def test_all_nan_cadence_gives_nan_and_partial_nan_skips_pixels():
    """A cadence whose aperture pixels are all NaN is NaN (not a misleading 0); a cadence with
    some NaN pixels sums the rest."""
    aperture = np.ones((5, 6), dtype=np.int32)
    aperture[1:4, 1:4] |= 2
    syn = tpf_bytes(n_cadences=20, shape=(5, 6), aperture=aperture, seed=2)
    flux = syn.flux.copy()
    flux[7] = np.nan
    flux[9, 2, 2] = np.nan
    tpf = open_tpf(rewrite(syn.data, flux=flux))

    curve = tpf.lightcurve()
    mask = (aperture & 2) != 0
    assert np.isnan(curve[7])
    assert np.isfinite(np.delete(curve, 7)).all()
    partial = flux[9][mask].astype(np.float64)
    np.testing.assert_allclose(curve[9], partial[np.isfinite(partial)].sum(), rtol=1e-12)
    np.testing.assert_allclose(curve, reference_sum(flux, mask), rtol=1e-12)


@pytest.mark.parametrize("mission, target, period, field, value", [
    ("Kepler", "KIC 123456789", "Quarter 3", "quarter", 3),
    ("K2", "EPIC 123456789", "Campaign 5", "campaign", 5),
    ("TESS", "TIC 123456789", "Sector 7", "sector", 7),
])
def test_synthetic_labels(mission, target, period, field, value):
    """Mission, target name and observing-period label as the page shows them."""
    tpf = open_tpf(tpf_bytes(mission=mission, target_id=123456789).data)
    assert tpf.mission == mission
    assert tpf.target == target
    assert tpf.target_id == 123456789
    assert getattr(tpf, field) == value
    assert tpf.period == period
    for other in {"quarter", "campaign", "sector"} - {field}:
        assert getattr(tpf, other) is None
    assert tpf.flags is (TESS if mission == "TESS" else KEPLER)


def test_no_pipeline_aperture_gives_threshold_default():
    """Without bit-2 pixels the aperture is the documented threshold mask: the bright region
    connected to the brightest candidate nearest the centre, not a second bright blob."""
    shape = (9, 9)
    syn = tpf_bytes(n_cadences=40, shape=shape, aperture=np.ones(shape, dtype=np.int32), seed=4)
    flux = syn.flux.copy()
    flux[:, 3:5, 4:6] += 20_000.0  # the star, next to the centre (4, 4)
    flux[:, 0, 8] += 20_000.0  # a separate bright pixel in a corner
    tpf = open_tpf(rewrite(syn.data, flux=flux))

    expected = np.zeros(shape, dtype=bool)
    expected[3:5, 4:6] = True
    assert not tpf.aperture_from_file
    np.testing.assert_array_equal(tpf.pipeline_mask, expected)
    np.testing.assert_array_equal(default_aperture(flux), expected)
    np.testing.assert_allclose(tpf.lightcurve(), reference_sum(flux, expected), rtol=1e-12)


def test_no_pipeline_aperture_and_no_star_gives_brightest_pixel():
    """With nothing above the threshold the default aperture is the brightest median pixel."""
    syn = tpf_bytes(n_cadences=40, shape=(5, 6), aperture=np.ones((5, 6), dtype=np.int32))
    tpf = open_tpf(syn.data)
    brightest = np.unravel_index(np.argmax(np.median(syn.flux, axis=0)), (5, 6))
    expected = np.zeros((5, 6), dtype=bool)
    expected[brightest] = True
    assert not tpf.aperture_from_file
    np.testing.assert_array_equal(tpf.pipeline_mask, expected)


def test_all_zero_cadence_numbers_are_synthesised():
    """TESScut writes CADENCENO 0 on every row: frames are numbered 0..n-1 instead."""
    syn = tpf_bytes(n_cadences=25, mission="TESS", cadenceno=np.zeros(25, dtype=np.int32))
    tpf = open_tpf(syn.data)
    np.testing.assert_array_equal(tpf.cadenceno, np.arange(25))
    assert tpf.cadenceno_synthesised
