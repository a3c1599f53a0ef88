"""A catalogue CSV of the test's own placed on a stamp, and the light each source puts in the
aperture, against computations done here with astropy and numpy alone.

Reference positions: linear proper motion from each row's epoch to the file's mid-time (as a
Julian year computed here), then a WCS built directly from the stamp's keywords. Reference
fractions: the Gaussian PSF sampled on a 60 x 60 grid inside every pixel and summed.
"""

from __future__ import annotations

import json

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord

from dashboard.data.errors import DataError
from dashboard.data.sky import (
    ApertureFlux,
    CsvCatalogue,
    SkyField,
    catalogue_field,
    field_summary,
    psf_image,
    read_catalogue_csv,
    stamp_cone,
    target_source,
)
from dashboard.data.tpf import open_tpf
from tests.data.sky_stamps import KEPLER10, kepler10_stamp, reference_wcs, with_sky
from tests.synthetic import tpf_bytes

J2000_JD = 2451545.0


@pytest.fixture
def kepler10():
    return open_tpf(kepler10_stamp(), "kepler10-synthetic.fits")


def _epoch(tpf) -> float:
    middle = (np.nanmin(tpf.time) + np.nanmax(tpf.time)) / 2 + 2454833.0
    return 2000.0 + (middle - J2000_JD) / 365.25


def _sky_at(x, y):
    return (float(v) for v in reference_wcs(KEPLER10).pixel_to_world_values(x, y))


def _moved(ra, dec, pmra, pmdec, years):
    """Linear proper motion (mas/yr, pmra times cos dec) over ``years``."""
    middle_dec = np.radians(dec + pmdec * years / 2 / 3.6e6)
    return ra + pmra * years / 3.6e6 / np.cos(middle_dec), dec + pmdec * years / 3.6e6


def _catalogue(tpf) -> tuple[str, dict]:
    """CSV text and, per id, where the source must land (stamp x, y) at the file's epoch."""
    epoch = _epoch(tpf)
    rows, expected = [], {}
    wanted = {  # id: (stamp x, y at the file's epoch, pmra, pmdec, ref_epoch or None, mag)
        "KIC 11904151": (3.98, 3.24, 0.0, 0.0, 2000.0, 10.96),
        "barnard-like": (2.0, 6.5, -800.0, 10000.0, 2016.0, 9.5),  # 10 arcsec/yr
        "default-epoch": (5.3, 1.2, 40.0, -25.0, None, 14.2),
        "no-motion": (0.4, 7.6, None, None, 2000.0, 15.0),
        "no-magnitude": (6.2, 8.1, None, None, None, None),
        "just-outside": (-1.7, 4.0, None, None, None, 13.0),  # within the 2 px margin
    }
    for name, (x, y, pmra, pmdec, ref, mag) in wanted.items():
        ra, dec = _sky_at(x, y)
        years = (2016.0 if ref is None else ref) - epoch
        ra, dec = _moved(ra, dec, pmra or 0.0, pmdec or 0.0, years)  # back to the row's epoch
        rows.append(",".join(["" if v is None else str(v) for v in (
            name, f"{ra:.10f}", f"{dec:.10f}", pmra, pmdec, ref, mag)]))
        expected[name] = (x, y)
    far_ra, far_dec = _sky_at(30.0, 30.0)
    rows.append(f"far-away,{far_ra:.10f},{far_dec:.10f},,,,12.0")
    return "id,ra,dec,pmra,pmdec,ref_epoch,mag\n" + "\n".join(rows) + "\n", expected


def test_csv_sources_land_where_astropy_puts_them_within_five_hundredths_of_a_pixel(kepler10):
    text, wanted = _catalogue(kepler10)
    sky = catalogue_field(kepler10, CsvCatalogue(text, "mine.csv"), mag_range=None)
    wcs = reference_wcs(KEPLER10)
    epoch = _epoch(kepler10)
    assert sky.epoch == pytest.approx(epoch, abs=1e-6)
    placed = {s.id: (x, y) for s, x, y in zip(sky.sources, sky.x, sky.y, strict=True)}
    assert set(placed) == set(wanted)  # "far-away" is 26 px off the stamp
    for source in read_catalogue_csv(text, "mine.csv"):
        if source.id == "far-away":
            continue
        ra, dec = _moved(source.ra, source.dec, source.pmra or 0.0, source.pmdec or 0.0,
                         epoch - source.ref_epoch)
        x, y = wcs.world_to_pixel_values(ra, dec)
        assert placed[source.id] == pytest.approx((float(x), float(y)), abs=0.05), source.id
        assert placed[source.id] == pytest.approx(wanted[source.id], abs=0.05), source.id
    barnard = next(s for s in sky.sources if s.id == "barnard-like")
    start = wcs.world_to_pixel_values(barnard.ra, barnard.dec)
    assert np.hypot(*(np.subtract(start, placed["barnard-like"]))) > 10  # it really moved


def test_target_separations_match_astropy(kepler10):
    text, _ = _catalogue(kepler10)
    sky = catalogue_field(kepler10, CsvCatalogue(text), mag_range=None)
    assert sky.sources[sky.target].id == "KIC 11904151"  # matched by the file's target name
    target = SkyCoord(sky.ra[sky.target] * u.deg, sky.dec[sky.target] * u.deg)
    others = SkyCoord(sky.ra * u.deg, sky.dec * u.deg)
    np.testing.assert_allclose(sky.separation_arcsec, target.separation(others).arcsec,
                               atol=1e-6)
    np.testing.assert_allclose(sky.separation_px, np.hypot(sky.x - sky.x[sky.target],
                                                           sky.y - sky.y[sky.target]))
    assert sky.separation_arcsec[1] / sky.separation_px[1] == pytest.approx(3.98, abs=0.03)


def test_sources_fainter_than_target_plus_range_are_left_out_unknown_magnitudes_stay(kepler10):
    text, _ = _catalogue(kepler10)
    sky = catalogue_field(kepler10, CsvCatalogue(text), mag_range=4.0)
    ids = {s.id for s in sky.sources}
    assert sky.mag_limit == pytest.approx(14.96)
    assert "no-motion" not in ids and "default-epoch" in ids  # 15.0 > 14.96 >= 14.2
    assert "no-magnitude" in ids and sky.dropped_faint == 1
    assert "1 source(s) fainter than 15.0 mag" in " ".join(sky.notes)


def test_without_the_targets_name_the_brightest_source_within_a_pixel_is_the_target(kepler10):
    x, y = 3.98, 3.24  # where RA_OBJ/DEC_OBJ falls
    rows = ["id,ra,dec,mag"]
    for name, dx, mag in (("faint-close", 0.1, 15.0), ("bright", 0.6, 11.0), ("far", 1.6, 9.0)):
        ra, dec = _sky_at(x + dx, y)
        rows.append(f"{name},{ra:.9f},{dec:.9f},{mag}")
    sky = catalogue_field(kepler10, CsvCatalogue("\n".join(rows)), mag_range=None)
    assert sky.sources[sky.target].id == "bright"
    rows[2] = rows[2].replace("bright", "gone").replace(",11.0", ",")  # no magnitude
    sky = catalogue_field(kepler10, CsvCatalogue("\n".join(rows[:2] + rows[3:])), mag_range=None)
    assert sky.sources[sky.target].id == "faint-close"


def test_a_field_without_the_target_measures_from_the_header_position(kepler10):
    ra, dec = _sky_at(6.0, 8.0)
    sky = catalogue_field(kepler10, CsvCatalogue(f"id,ra,dec\nlonely,{ra},{dec}\n"))
    assert sky.target is None
    assert (sky.target_x, sky.target_y) == pytest.approx((3.98113, 3.23864), abs=1e-4)
    assert sky.separation_px[0] == pytest.approx(np.hypot(6 - 3.98113, 8 - 3.23864), abs=1e-4)
    assert "not in" in " ".join(sky.notes)
    assert "the target is not among them" in field_summary(sky)


def test_a_field_is_plain_json_and_comes_back_whole(kepler10):
    text, _ = _catalogue(kepler10)
    sky = catalogue_field(kepler10, CsvCatalogue(text, "mine.csv"))
    data = json.loads(json.dumps(sky.to_dict(), allow_nan=False))
    again = SkyField.from_dict(data)
    assert [s.to_dict() for s in again.sources] == [s.to_dict() for s in sky.sources]
    np.testing.assert_array_equal(again.x, sky.x)
    assert (again.target, again.epoch, again.catalogue) == (sky.target, sky.epoch, "mine.csv")


def test_the_cone_holds_every_corner_of_the_stamp(kepler10):
    ra, dec, radius = stamp_cone(kepler10, margin_px=0.0)
    corners = [_sky_at(x, y) for x in (-0.5, 6.5) for y in (-0.5, 8.5)]
    centre = SkyCoord(ra * u.deg, dec * u.deg)
    reach = max(centre.separation(SkyCoord(a * u.deg, d * u.deg)).deg for a, d in corners)
    assert radius == pytest.approx(reach, rel=1e-6)
    assert stamp_cone(kepler10, margin_px=2.0, years=10)[2] == pytest.approx(
        reach + 2 * 3.98 / 3600 + 30 / 3600, rel=1e-2)


# -- the CSV's messages -----------------------------------------------------------------------
@pytest.mark.parametrize("text, message", [
    ("", "mine.csv is empty"),
    ("# only a comment\n", "mine.csv is empty"),
    ("id,ra\nx,1\n", "mine.csv has no 'dec' column"),
    ("name,ra,dec\nx,1,2\n", "mine.csv has no 'id' column"),
    ("id,ra,dec\n", "mine.csv has a header row but no sources"),
    ("id,ra,dec\nx,1,2\ny,abc,2\n", "mine.csv, line 3: ra 'abc' is not a number"),
    ("id,ra,dec\nx,400,2\n", r"mine.csv, line 2: ra 400 is outside 0..360 degrees"),
    ("id,ra,dec\nx,10,-91\n", r"mine.csv, line 2: dec -91 is outside -90..\+90 degrees"),
    ("id,ra,dec\n,10,20\n", "mine.csv, line 2: the id value is empty"),
    ("id,ra,dec\nx,10,\n", "mine.csv, line 2: the dec value is empty"),
    ("id,ra,dec,pmra\nx,10,20,nan\n", "mine.csv, line 2: pmra 'nan' is not a finite number"),
    ("id,ra,dec,ref_epoch\nx,10,20,57000\n", "ref_epoch 57000 is not a Julian year"),
    (b"id,ra,dec\n\xff\xfe,1,2\n", "mine.csv is not a text CSV file"),
])
def test_bad_csv_files_get_a_clear_message(text, message):
    with pytest.raises(DataError, match=message):
        read_catalogue_csv(text, "mine.csv")


def test_csv_headers_ignore_case_spaces_and_comments():
    (source,) = read_catalogue_csv("# mine\n ID , RA , Dec , PMRA , Mag \nA, 10.5, -3.25, 12, 9\n")
    assert (source.id, source.ra, source.dec, source.pmra, source.pmdec, source.ref_epoch,
            source.mag) == ("A", 10.5, -3.25, 12.0, None, 2016.0, 9.0)


# -- light in the aperture --------------------------------------------------------------------
def _sampled(x, y, shape, sigma, samples=60):
    """The Gaussian's light per pixel by sampling it on a fine grid inside every pixel."""
    rows, columns = shape
    offsets = (np.arange(samples) + 0.5) / samples - 0.5
    fine_x = (np.arange(columns)[:, None] + offsets).ravel()
    fine_y = (np.arange(rows)[:, None] + offsets).ravel()
    density = np.exp(-((fine_y[:, None] - y) ** 2 + (fine_x[None, :] - x) ** 2) / (2 * sigma**2))
    density /= 2 * np.pi * sigma**2 * samples**2
    return density.reshape(rows, samples, columns, samples).sum(axis=(1, 3))


@pytest.mark.parametrize("x, y, sigma", [(3.3, 2.7, 0.7), (-1.2, 4.0, 0.7), (5.5, 6.5, 1.4)])
def test_psf_image_is_the_gaussian_integrated_over_each_pixel(x, y, sigma):
    np.testing.assert_allclose(psf_image(x, y, (9, 7), sigma), _sampled(x, y, (9, 7), sigma),
                               atol=2e-5)


def test_fractions_and_contamination_match_a_sampled_gaussian_for_any_aperture(kepler10):
    text, _ = _catalogue(kepler10)
    sky = catalogue_field(kepler10, CsvCatalogue(text), mag_range=None)
    flux = ApertureFlux.for_field(sky, kepler10.mission, kepler10.shape)
    assert flux.sigma == 0.7
    small = np.zeros(kepler10.shape, dtype=bool)
    small[2:5, 3:5] = True
    for aperture in (small, np.ones(kepler10.shape, dtype=bool)):
        expected = np.array([_sampled(x, y, kepler10.shape, 0.7)[aperture].sum()
                             for x, y in zip(sky.x, sky.y, strict=True)])
        np.testing.assert_allclose(flux.fractions(aperture), expected, atol=2e-5)
        mags = sky.mags
        light = 10 ** (-0.4 * (mags - mags[sky.target])) * expected
        neighbours = np.isfinite(light) & (np.arange(len(sky)) != sky.target)
        ratio = light[neighbours].sum() / expected[sky.target]
        result = flux.contamination(aperture)
        assert result.ratio == pytest.approx(ratio, rel=1e-3)  # the sampling's own accuracy
        assert result.target_fraction == pytest.approx(expected[sky.target], abs=2e-5)
        top_id, top_share = result.contributors[0]
        top = int(np.nanargmax(np.where(neighbours, light, np.nan)))
        assert top_id == sky.sources[top].id
        assert top_share == pytest.approx(light[top] / light[neighbours].sum(), rel=1e-3)
    assert result.without_mag == 1  # "no-magnitude" puts light in the whole-stamp aperture


def test_contamination_says_why_it_is_unknown():
    flux = ApertureFlux([1.0, 2.0], [1.0, 1.0], (3, 4), 0.7, mags=[np.nan, 12.0], target=0)
    assert flux.contamination(np.ones((3, 4), bool)).reason == "the target's magnitude is unknown"
    flux = ApertureFlux([1.0], [1.0], (3, 4), 0.7, mags=[12.0], target=None)
    assert flux.contamination(np.ones((3, 4), bool)).ratio is None
    flux = ApertureFlux([1.0], [1.0], (3, 4), 0.7, mags=[12.0], target=0)
    assert flux.contamination(np.zeros((3, 4), bool)).reason.startswith("the aperture holds none")


# -- the file's own target --------------------------------------------------------------------
def test_header_proper_motions_are_arcsec_per_year_for_kepler_and_mas_for_tess(shared_file):
    sirius = target_source(open_tpf(shared_file(
        "tess2018349182459-s0006-0000000322899250-0126-s_tp.fits")))
    assert (sirius.pmra, sirius.pmdec, sirius.band) == (-546.0, -1223.0, "T")
    assert sirius.mag == pytest.approx(-0.891, abs=1e-3) and sirius.ref_epoch == 2000.0
    kepler = open_tpf(with_sky(tpf_bytes(mission="Kepler").data, KEPLER10,
                               {"RA_OBJ": 285.68, "DEC_OBJ": 50.24, "PMRA": 0.25,
                                "PMDEC": -0.125, "KEPMAG": 12.5}))
    assert (target_source(kepler).pmra, target_source(kepler).pmdec) == (250.0, -125.0)
    assert (target_source(kepler).mag, target_source(kepler).band) == (12.5, "Kp")


def test_tesscut_writes_zero_for_an_unknown_magnitude(shared_file):
    cutout = open_tpf(shared_file("tess-s0001-4-2_84.291190_-80.469170_6x6_astrocut.fits"))
    assert cutout.header["TESSMAG"] == 0.0
    assert target_source(cutout).mag is None
