"""Reading target pixel files: synthetic files written independently, then the real archive files.

Synthetic files come from ``tests/synthetic.py`` (astropy alone), real files from the shared
folder described in ``/work/shared/data/README.md``; every expected number here is computed by
the test itself with numpy/astropy, never by the reader under test.
"""

from __future__ import annotations

import gzip
import io
import warnings
from datetime import UTC, datetime

import numpy as np
import pytest
from astropy.io import fits
from astropy.time import Time

from dashboard.data import KEPLER, TESS, DataError, default_aperture, flags_for, open_tpf
from tests.synthetic import tpf_bytes

MISSIONS = ("Kepler", "K2", "TESS")


# -- helpers -------------------------------------------------------------------------------------

def reference_sum(flux: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Aperture sum in float64 as a careful person would do it: NaN pixels skipped, a cadence
    whose aperture pixels are all NaN stays NaN."""
    pixels = np.asarray(flux, dtype=np.float64)[:, mask]
    total = np.nansum(pixels, axis=1)
    total[np.isnan(pixels).all(axis=1)] = np.nan
    return total


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


# -- files that are not readable TPFs (synthetic) ------------------------------------------------

def _table_file(columns, name="TARGETTABLES") -> bytes:
    out = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns(columns, name=name)]
                 ).writeto(out)
    return out.getvalue()


def test_zero_row_table_is_refused():
    """A TPF with no cadences says so instead of showing an empty page."""
    data = _table_file([
        fits.Column("TIME", "D", array=np.zeros(0)),
        fits.Column("FLUX", "30E", dim="(6,5)", array=np.zeros((0, 5, 6), dtype=np.float32)),
    ])
    with pytest.raises(DataError, match="no cadences"):
        open_tpf(data)


@pytest.mark.parametrize("name", ["TARGETTABLES", "SOMETABLE"])
def test_table_without_flux_is_refused(name):
    """A pixel table missing FLUX is refused with a message naming the missing column."""
    data = _table_file([fits.Column("TIME", "D", array=np.arange(5.0)),
                        fits.Column("QUALITY", "J", array=np.zeros(5, dtype=np.int32))], name)
    with pytest.raises(DataError, match="FLUX"):
        open_tpf(data)


def test_empty_bytes():
    """Zero bytes: the message says the file is empty."""
    with pytest.raises(DataError, match="empty"):
        open_tpf(b"")


def test_random_junk_bytes():
    """Bytes that are not FITS at all are refused as 'not a FITS file'."""
    junk = np.random.default_rng(7).integers(0, 256, 5000, dtype=np.uint8).tobytes()
    with pytest.raises(DataError, match="not a FITS file"):
        open_tpf(junk)


def test_truncated_gzip():
    """A gzip download that stopped early is reported as a damaged gzip to download again."""
    data = gzip.compress(tpf_bytes().data)
    for cut in (10, len(data) // 2, len(data) - 4):
        with pytest.raises(DataError, match="gzip"):
            open_tpf(data[:cut])


def test_corrupted_gzip_stream():
    """A gzip file with damaged bytes inside the compressed stream is a DataError, like one
    that ends early."""
    data = bytearray(gzip.compress(tpf_bytes().data))
    data[30] ^= 0xFF  # inside the deflate stream, just after the 10-byte gzip header
    with pytest.raises(DataError, match="gzip"):
        open_tpf(bytes(data))


def test_missing_path_and_folder(tmp_path):
    """A path that does not exist, or a folder, gives a DataError naming the problem."""
    with pytest.raises(DataError, match="No such file"):
        open_tpf(tmp_path / "nope_lpd-targ.fits")
    with pytest.raises(DataError, match="folder"):
        open_tpf(tmp_path)


def test_data_error_is_a_value_error():
    """Callers that catch ValueError also catch the reader's refusals."""
    assert issubclass(DataError, ValueError)


# -- the real archive files ----------------------------------------------------------------------

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


# -- real files that must be refused -------------------------------------------------------------

def test_real_tess_lightcurve_file_refused(shared_file):
    """A TESS SPOC light-curve file is not a TPF: the message says it is a light-curve file."""
    with pytest.raises(DataError, match="light-curve"):
        open_tpf(shared_file("tess2018206045859-s0001-0000000358108509-0120-s_lc.fits"))


def test_real_k2sff_lightcurve_refused(shared_file):
    """The K2SFF HLSP light curve (BESTAPER first, FRAW/FCOR) is refused as a light curve."""
    with pytest.raises(DataError, match="light-curve"):
        open_tpf(shared_file("hlsp_k2sff_k2_lightcurve_221312395-c91_kepler_v1_llc.fits"))


def test_real_image_only_file_refused_as_images(shared_file):
    """The K2 file holding one cadence as an IMAGE extension is refused with a message saying
    it holds images (not that it is truncated: re-downloading it would not help)."""
    with pytest.raises(DataError) as info:
        open_tpf(shared_file("ktwo201907706-c01-first-cadence.fits.gz"))
    message = str(info.value)
    assert "images" in message
    assert "truncated" not in message


def test_real_image_only_file_refused(shared_file):
    """Whatever the wording, the image-only K2 file is a DataError, not a crash."""
    with pytest.raises(DataError):
        open_tpf(shared_file("ktwo201907706-c01-first-cadence.fits.gz"))


@pytest.mark.parametrize("name", ["kplr012644769-q12-10cadences_lpd-targ.fits",
                                  "tess2018349182459-s0006-0000000322899250-0126-s_tp.fits",
                                  TESSCUT])
def test_real_truncated_bytes_refused(name, shared_file):
    """A real file cut short (mid-block, and on 2880-byte block boundaries) is refused with a
    message telling the user to download it again."""
    data = shared_file(name).read_bytes()
    blocks = len(data) // 2880
    cuts = {100, 2880, 2 * 2880, len(data) // 2, (blocks // 2) * 2880,
            (blocks - 1) * 2880, len(data) - 1}
    for cut in sorted(cuts):
        with pytest.raises(DataError, match="(?i)download it again"):
            open_tpf(data[:cut], filename=name)


def test_real_truncated_gzip_refused(shared_file):
    """A real .fits.gz cut short is refused as a damaged gzip."""
    data = shared_file("ktwo221312395-c91_lpd-targ.fits.gz").read_bytes()
    for cut in (len(data) // 3, len(data) - 1):
        with pytest.raises(DataError, match="gzip"):
            open_tpf(data[:cut])

