"""Vetting computations against references computed here with numpy/astropy, never with the
code under test: aperture sums and backgrounds, centroids, quality masks, difference images,
per-pixel curves and aperture editing/encoding."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pytest
from astropy.io import fits

from dashboard.data import DataError, open_tpf
from dashboard.data.demo import TRUTH, asteroid_position, demo_tpf
from dashboard.data.masks import decode_mask, encode_mask, mask_from_selection, toggle_pixel
from dashboard.data.vetting import (
    aperture_lightcurve,
    background_curve,
    centroids,
    difference_image,
    pixel_lightcurves,
    quality_hidden,
)
from tests.synthetic import tpf_bytes

KEPLER_Q4 = "kplr011904151-2010009091648_lpd-targ.fits"
TESS_SIRIUS = "tess2018349182459-s0006-0000000322899250-0126-s_tp.fits"
# lightkurve's documented bitmasks, written out independently of dashboard.data.quality.
KEPLER_MASKS = {"none": 0, "default": 1130799, "hard": 1664431, "hardest": 2096639}
TESS_MASKS = {"none": 0, "default": 175, "hard": 7407, "hardest": 65535}


def reference_sum(flux: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per-cadence loop: NaN pixels skipped, all-NaN cadences NaN."""
    out = np.empty(len(flux))
    for k, image in enumerate(np.asarray(flux, dtype=np.float64)):
        values = image[mask]
        values = values[np.isfinite(values)]
        out[k] = values.sum() if values.size else np.nan
    return out


def reference_file_background(flux, flux_bkg, mask) -> np.ndarray:
    out = np.empty(len(flux))
    for k in range(len(flux)):
        used = mask & np.isfinite(flux[k])
        out[k] = np.asarray(flux_bkg[k], dtype=np.float64)[used].sum()
    return out


def reference_aperture_background(flux, mask, sky) -> np.ndarray:
    out = np.empty(len(flux))
    for k in range(len(flux)):
        values = np.asarray(flux[k], dtype=np.float64)[sky]
        values = values[np.isfinite(values)]
        level = np.median(values) if values.size else np.nan
        out[k] = level * np.count_nonzero(mask & np.isfinite(flux[k]))
    return out


def box(shape, rows, columns) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    mask[rows, columns] = True
    return mask


@pytest.fixture(scope="module")
def synthetic():
    written = tpf_bytes(n_cadences=60, shape=(7, 9), mission="K2", seed=3)
    return written, open_tpf(written.data)


@pytest.fixture(scope="module")
def demo():
    return demo_tpf()


# -- aperture sums -------------------------------------------------------------------------------

@pytest.mark.parametrize("rows, columns", [(3, 4), (0, 0), (6, 8), (slice(1, 4), slice(2, 7)),
                                           (slice(None), slice(None))])
def test_aperture_sum_synthetic(synthetic, rows, columns):
    """Single pixels (corners included), boxes and the whole stamp sum exactly like numpy."""
    written, tpf = synthetic
    mask = box(tpf.shape, rows, columns)
    expected = written.flux[:, mask].astype(np.float64).sum(axis=1)
    result = aperture_lightcurve(tpf, mask)
    assert result.dtype == np.float64
    np.testing.assert_allclose(result, expected, rtol=1e-12)
    np.testing.assert_array_equal(background_curve(tpf, mask, None), 0.0)


def test_file_background_synthetic(synthetic):
    """FLUX_BKG summed over the same pixels is subtracted, and reported as the background."""
    written, tpf = synthetic
    mask = box(tpf.shape, slice(2, 5), slice(3, 6))
    bkg = written.flux_bkg[:, mask].astype(np.float64).sum(axis=1)
    raw = written.flux[:, mask].astype(np.float64).sum(axis=1)
    np.testing.assert_allclose(background_curve(tpf, mask, "file"), bkg, rtol=1e-12)
    np.testing.assert_allclose(aperture_lightcurve(tpf, mask, background="file"), raw - bkg,
                               rtol=1e-10)


def test_background_aperture_synthetic(synthetic):
    """A background aperture subtracts its per-cadence median times the aperture's pixel count."""
    written, tpf = synthetic
    mask = box(tpf.shape, slice(2, 4), slice(3, 5))
    sky = box(tpf.shape, 0, slice(None))
    level = np.median(written.flux[:, 0, :].astype(np.float64), axis=1)
    raw = written.flux[:, mask].astype(np.float64).sum(axis=1)
    np.testing.assert_allclose(background_curve(tpf, mask, sky), 4 * level, rtol=1e-12)
    np.testing.assert_allclose(aperture_lightcurve(tpf, mask, background=sky), raw - 4 * level,
                               rtol=1e-10)


@pytest.mark.parametrize("kind", ["pixel", "box", "pipeline"])
def test_aperture_sums_on_real_kepler_file(shared_file, kind):
    """Kepler-10 Q4 (NaN cadences included): sums, FLUX_BKG and a background aperture agree
    with the same quantities read with astropy directly."""
    path = shared_file(KEPLER_Q4)
    with fits.open(path) as hdul:
        flux = np.asarray(hdul[1].data["FLUX"], dtype=np.float64)
        flux_bkg = np.asarray(hdul[1].data["FLUX_BKG"], dtype=np.float64)
        pipeline = (hdul[2].data & 2) != 0
    tpf = open_tpf(path)
    shape = flux.shape[1:]
    mask = {"pixel": box(shape, 4, 3), "box": box(shape, slice(2, 7), slice(1, 5)),
            "pipeline": pipeline}[kind]
    sky = box(shape, slice(None), 0) | box(shape, slice(None), shape[1] - 1)
    expected = reference_sum(flux, mask)
    assert np.isnan(expected).any()  # the file has cadences without data
    np.testing.assert_allclose(aperture_lightcurve(tpf, mask), expected, rtol=1e-9)
    file_bkg = reference_file_background(flux, flux_bkg, mask)
    np.testing.assert_allclose(aperture_lightcurve(tpf, mask, background="file"),
                               expected - file_bkg, rtol=1e-9, atol=1e-6)
    sky_bkg = reference_aperture_background(flux, mask, sky)
    np.testing.assert_allclose(aperture_lightcurve(tpf, mask, background=sky),
                               expected - sky_bkg, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(background_curve(tpf, mask, sky), sky_bkg, rtol=1e-9)


def test_aperture_sum_on_real_tess_file(shared_file):
    """The 1287x11 Sirius stamp: a box and its FLUX_BKG, against astropy."""
    path = shared_file(TESS_SIRIUS)
    with fits.open(path) as hdul:
        flux = np.asarray(hdul[1].data["FLUX"], dtype=np.float64)
        flux_bkg = np.asarray(hdul[1].data["FLUX_BKG"], dtype=np.float64)
    tpf = open_tpf(path)
    mask = box(flux.shape[1:], slice(600, 700), slice(2, 9))
    expected = reference_sum(flux, mask) - reference_file_background(flux, flux_bkg, mask)
    np.testing.assert_allclose(aperture_lightcurve(tpf, mask, background="file"), expected,
                               rtol=1e-9)


def test_nan_pixels_are_skipped_and_all_nan_is_nan(synthetic):
    _, tpf = synthetic
    flux = tpf.flux.copy()
    flux[5, 1, 1] = np.nan
    flux[9, 1:3, 1:3] = np.nan
    nan_tpf = dataclasses.replace(tpf, flux=flux)
    mask = box(tpf.shape, slice(1, 3), slice(1, 3))
    result = aperture_lightcurve(nan_tpf, mask, background="file")
    assert np.isnan(result[9]) and np.isfinite(np.delete(result, 9)).all()
    window = flux[5, 1:3, 1:3]
    expected5 = (window.astype(np.float64)[mask[1:3, 1:3] & np.isfinite(window)]
                 .sum() - tpf.flux_bkg[5, 1:3, 1:3].astype(np.float64).ravel()[1:].sum())
    assert result[5] == pytest.approx(expected5, rel=1e-10)


def test_empty_aperture_and_missing_background_are_clear_errors(synthetic):
    _, tpf = synthetic
    with pytest.raises(DataError, match="The aperture is empty: click pixels"):
        aperture_lightcurve(tpf, np.zeros(tpf.shape, dtype=bool))
    with pytest.raises(DataError, match="does not match"):
        aperture_lightcurve(tpf, np.ones((2, 2), dtype=bool))
    mask = box(tpf.shape, 1, 1)
    with pytest.raises(DataError, match="background aperture is empty"):
        aperture_lightcurve(tpf, mask, background=np.zeros(tpf.shape, dtype=bool))
    with pytest.raises(DataError, match="FLUX_BKG"):
        aperture_lightcurve(dataclasses.replace(tpf, flux_bkg=None), mask, background="file")


# -- centroids -----------------------------------------------------------------------------------

def moving_star_tpf(n=80, shape=(15, 13), sigma=1.1):
    """A TPF whose Gaussian star follows a known path; written with astropy, then opened."""
    written = tpf_bytes(n_cadences=n, shape=shape, mission="Kepler", column=300, row=500)
    t = np.linspace(0, 1, n)
    path_row = 7.0 + 2.0 * np.sin(2 * np.pi * t)
    path_column = 4.5 + 3.0 * t
    r = np.arange(shape[0])[None, :, None] - path_row[:, None, None]
    c = np.arange(shape[1])[None, None, :] - path_column[:, None, None]
    star = 5e4 * np.exp(-(r**2 + c**2) / (2 * sigma**2)) / (2 * np.pi * sigma**2)
    with fits.open(io.BytesIO(written.data)) as hdul:
        hdul[1].data["FLUX"][:] = star.astype(np.float32)
        buffer = io.BytesIO()
        hdul.writeto(buffer)
    return open_tpf(buffer.getvalue()), path_column + 300, path_row + 500


def test_centroids_recover_a_moving_star():
    """Flux-weighted centroids track the star's known path to within 0.05 px, in CCD pixels."""
    tpf, column, row = moving_star_tpf()
    found_column, found_row = centroids(tpf, np.ones(tpf.shape, dtype=bool))
    assert np.max(np.abs(found_column - column)) < 0.05
    assert np.max(np.abs(found_row - row)) < 0.05


def test_centroids_are_nan_safe():
    """A NaN pixel carries no weight; an all-NaN cadence gives NaN, not a warning or a crash."""
    tpf, _, _ = moving_star_tpf(n=10)
    flux = tpf.flux.copy()
    flux[3, 0, 0] = np.nan
    flux[4] = np.nan
    tpf = dataclasses.replace(tpf, flux=flux)
    mask = np.ones(tpf.shape, dtype=bool)
    column, row = centroids(tpf, mask)
    assert np.isnan(column[4]) and np.isnan(row[4])
    weights = np.nan_to_num(flux[3].astype(np.float64))
    jj = np.arange(tpf.shape[1])[None, :] + tpf.column
    assert column[3] == pytest.approx((weights * jj).sum() / weights.sum(), abs=1e-9)


# -- quality -------------------------------------------------------------------------------------

@pytest.mark.parametrize("choice", list(KEPLER_MASKS))
def test_quality_masks_on_real_kepler_file(shared_file, choice):
    path = shared_file(KEPLER_Q4)
    with fits.open(path) as hdul:
        quality = np.asarray(hdul[1].data["QUALITY"], dtype=np.int64)
    hidden = quality_hidden(open_tpf(path), choice)
    np.testing.assert_array_equal(hidden, (quality & KEPLER_MASKS[choice]) != 0)
    if choice == "hardest":
        assert hidden.sum() == np.count_nonzero(quality)


def test_quality_tables_differ_by_mission():
    """Bit 16 (Kepler zero crossing / TESS argabrightening) and bit 128 (Kepler cosmic ray /
    TESS manual exclude) are hidden according to each mission's own default table."""
    quality = np.array([0, 16, 128, 64, 1, 2048, 1048576, 0], dtype=np.int32)
    kepler = open_tpf(tpf_bytes(n_cadences=8, mission="Kepler", quality=quality).data)
    tess = open_tpf(tpf_bytes(n_cadences=8, mission="TESS", quality=quality).data)
    for choice in KEPLER_MASKS:
        np.testing.assert_array_equal(quality_hidden(kepler, choice),
                                      (quality & KEPLER_MASKS[choice]) != 0)
        np.testing.assert_array_equal(quality_hidden(tess, choice),
                                      (quality & TESS_MASKS[choice]) != 0)
    assert list(np.flatnonzero(quality_hidden(kepler, "default"))) == [4, 6]
    assert list(np.flatnonzero(quality_hidden(tess, "default"))) == [2, 4]
    # individual bits, as a checklist sends them
    assert list(np.flatnonzero(quality_hidden(tess, [16, "2048"]))) == [1, 5]
    assert list(np.flatnonzero(quality_hidden(kepler, 128))) == [2]
    with pytest.raises(DataError):
        quality_hidden(kepler, [3])


def test_quality_none_on_real_tess_file(shared_file):
    tpf = open_tpf(shared_file(TESS_SIRIUS))
    assert not quality_hidden(tpf, "hardest").any()


def test_difference_image_is_frame_minus_median_of_visible_neighbours(synthetic):
    written, tpf = synthetic
    hidden = np.zeros(tpf.n_cadences, dtype=bool)
    hidden[[18, 22, 23]] = True
    diff = difference_image(tpf, 20, 3, hidden)
    neighbours = [16, 17, 19, 21, 24, 25]
    expected = written.flux[20] - np.median(written.flux[neighbours], axis=0)
    assert diff.dtype == np.float32 and diff.shape == tpf.shape
    np.testing.assert_allclose(diff, expected, atol=1e-3)
    # at the start of the file only the later side exists
    np.testing.assert_allclose(difference_image(tpf, 0, 2),
                               written.flux[0] - np.median(written.flux[[1, 2]], axis=0),
                               atol=1e-3)


# Crossing frames half-way between thruster firings (frame % 12 == 6): there the K2 roll has the
# star at its median position, so the star cancels; near a firing its drift residual is brighter
# than the faint asteroid, which is the demo's physics, not a flaw of the difference image.
@pytest.mark.parametrize("frame", [606, 618, 642, 654])
@pytest.mark.parametrize("n", [3, 6])
def test_difference_image_shows_the_demo_asteroid(demo, frame, n):
    """On crossing frames the brightest difference pixel is where the asteroid is."""
    diff = difference_image(demo, frame, n, quality_hidden(demo, "default"))
    peak = np.unravel_index(np.nanargmax(diff), diff.shape)
    row, column = asteroid_position(frame)
    assert abs(peak[0] - row) <= 0.5 + 1e-9 and abs(peak[1] - column) <= 0.5 + 1e-9


def test_difference_image_shows_the_demo_cosmic_ray(demo):
    ray = TRUTH["cosmic_ray"]
    diff = difference_image(demo, ray["frame"], 5, quality_hidden(demo, "default"))
    assert np.unravel_index(np.nanargmax(diff), diff.shape) == (ray["row"], ray["column"])
    assert diff[ray["row"], ray["column"]] == pytest.approx(ray["flux"], rel=0.1)
    before = difference_image(demo, ray["frame"] - 1, 5)
    assert before[ray["row"], ray["column"]] < 0.1 * ray["flux"]


def test_difference_image_skips_empty_frames_and_handles_one_frame(synthetic):
    written, tpf = synthetic
    flux = tpf.flux.copy()
    flux[11] = np.nan
    nan_tpf = dataclasses.replace(tpf, flux=flux)
    expected = written.flux[10] - np.median(written.flux[[9, 12]], axis=0)
    np.testing.assert_allclose(difference_image(nan_tpf, 10, 1), expected, atol=1e-3)
    single = dataclasses.replace(tpf, flux=tpf.flux[:1].copy())
    assert np.isnan(difference_image(single, 0, 3)).all()


# -- per-pixel curves ----------------------------------------------------------------------------

def test_pixel_curves_keep_extremes_and_map_points_to_frames(demo):
    curves = pixel_lightcurves(demo)
    assert not curves.limited and curves.shape == demo.shape
    ray = TRUTH["cosmic_ray"]
    i, j = ray["row"], ray["column"]
    k = np.argmax(curves.values[:, i, j])
    assert curves.frame_at(i, j, k) == ray["frame"]
    points, rows, columns = curves.values.shape
    for (p, a, b) in [(0, 0, 0), (points - 1, rows - 1, columns - 1), (37, 4, 9)]:
        assert curves.values[p, a, b] == demo.flux[curves.frames[p, a, b], a, b]
    assert np.all(np.diff(curves.frames[:, 3, 3]) >= 0)  # time order kept


def test_pixel_curves_window_large_stamps():
    written = tpf_bytes(n_cadences=12, shape=(50, 40), aperture=None)
    tpf = open_tpf(written.data)
    aperture = box(tpf.shape, slice(40, 44), slice(30, 33))
    curves = pixel_lightcurves(tpf, mask=aperture)
    assert curves.limited and curves.shape == (20, 20)
    window = box(tpf.shape, slice(curves.row_start, curves.row_start + 20),
                 slice(curves.column_start, curves.column_start + 20))
    assert (window & aperture).sum() == aperture.sum()
    tall = open_tpf(tpf_bytes(n_cadences=4, shape=(300, 11)).data)
    curves = pixel_lightcurves(tall)
    assert curves.limited and curves.shape == (36, 11)


# -- aperture editing and encoding ---------------------------------------------------------------

def test_toggle_pixel():
    mask = np.zeros((4, 5), dtype=bool)
    once = toggle_pixel(mask, 2, 3)
    assert once[2, 3] and once.sum() == 1 and not mask.any()  # a copy, input untouched
    assert not toggle_pixel(once, 2, 3).any()
    np.testing.assert_array_equal(toggle_pixel(once, 9, 0), once)


def test_mask_from_selection_points_box_and_lasso():
    shape, column, row = (6, 8), 100, 200
    points = {"points": [{"x": 101, "y": 202}, {"x": 107, "y": 205}, {"x": 99, "y": 200}]}
    expected = np.zeros(shape, dtype=bool)
    expected[2, 1] = expected[5, 7] = True
    np.testing.assert_array_equal(mask_from_selection(shape, points, column=column, row=row),
                                  expected)
    box_selection = {"points": [], "range": {"x": [103.6, 101.4], "y": [200.7, 202.2]}}
    np.testing.assert_array_equal(mask_from_selection(shape, box_selection, column=column, row=row),
                                  box(shape, slice(1, 3), slice(2, 4)))
    triangle = {"lassoPoints": {"x": [99.4, 105.8, 99.4], "y": [199.4, 199.4, 205.8]}}
    jj, ii = np.meshgrid(np.arange(8), np.arange(6))
    np.testing.assert_array_equal(mask_from_selection(shape, triangle, column=column, row=row),
                                  (ii + jj < 6))
    assert not mask_from_selection(shape, None).any()


@pytest.mark.parametrize("shape", [(1, 1), (8, 1), (1, 8), (15, 15), (9, 7), (50, 50),
                                   (1287, 11), (3, 13)])
def test_mask_codes_round_trip(shape):
    rng = np.random.default_rng(sum(shape))
    for density in (0.0, 0.02, 0.5, 1.0):
        mask = rng.random(shape) < density
        code = encode_mask(mask)
        assert all(ch.isalnum() or ch in "._-" for ch in code)
        np.testing.assert_array_equal(decode_mask(code, shape), mask)
    assert len(encode_mask(box((1287, 11), slice(600, 610), slice(3, 8)))) < 100


def test_bad_mask_codes_are_data_errors():
    code = encode_mask(np.eye(4, dtype=bool))
    for bad in ("", "hello", "4x4.", code[:-3] + "!!!", "4x5" + code[3:], "4x4z" + code[4:]):
        with pytest.raises(DataError):
            decode_mask(bad)
    with pytest.raises(DataError, match="not 5x5"):
        decode_mask(code, (5, 5))
