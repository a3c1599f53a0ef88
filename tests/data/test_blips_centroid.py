"""centroid_test(): a repeating dip on the target stays on it, a background eclipsing binary's
dip points at the neighbour that was put there, odd and even depths are told apart, and Kepler-10b
(a real planet, known ephemeris) is on its star."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from dashboard.data import DataError, open_tpf
from dashboard.data.blips import centroid_test, centroid_test_frames
from tests.blip_injection import gaussian
from tests.synthetic import star_tpf_bytes, tpf_bytes

KEPLER10 = "kplr011904151-2010009091648_lpd-targ.fits"
PERIOD, EPOCH, DURATION = 1.3, 2000.5, 0.1  # days, BKJD (the synthetic file's times)


@pytest.fixture(scope="module")
def star():
    return open_tpf(star_tpf_bytes(600, (13, 13), "K2", star_flux=40_000, seed=6).data)


def _events(tpf):
    phase = (tpf.time - EPOCH + PERIOD / 2) % PERIOD - PERIOD / 2
    number = np.round((tpf.time - EPOCH) / PERIOD).astype(int)
    return np.abs(phase) <= DURATION / 2, number


def test_dip_on_the_target_is_on_the_target(star):
    inside, _ = _events(star)
    flux = star.flux.astype(np.float64)
    target = gaussian(star.shape, 6.0, 6.0, 1.0) * 40_000
    flux[inside] -= 0.01 * target  # 1% of the star's light
    tpf = dataclasses.replace(star, flux=flux.astype(np.float32))
    result = centroid_test(tpf, PERIOD, EPOCH, DURATION)
    expected_depth = -0.01 * target[tpf.pipeline_mask].sum()
    assert result.all.depth == pytest.approx(expected_depth, rel=0.1)
    assert result.all.significance < 3 and result.all.offset_px < 0.2
    assert result.all.n_events == len(result.events) >= 8
    assert "is on the target" in result.summary
    assert set(result.overlay) == {"centroid", "target", "odd", "even"}


def test_background_binary_points_at_the_neighbour(star):
    inside, number = _events(star)
    neighbour = (8.3, 7.0)  # 2.3 rows and 1 column from the star
    psf = gaussian(star.shape, *neighbour, 1.0)
    flux = star.flux.astype(np.float64) + 6_000 * psf
    flux[inside] -= 0.4 * 6_000 * psf
    tpf = dataclasses.replace(star, flux=flux.astype(np.float32))
    result = centroid_test(tpf, PERIOD, EPOCH, DURATION)
    offset = np.array([result.all.offset_row, result.all.offset_column])
    true_offset = np.array(neighbour) - np.array(result.all.target)
    assert np.hypot(*(offset - true_offset)) < 0.3
    assert result.all.significance > 5 and result.all.pixel == (8, 7)
    assert result.all.offset_arcsec == pytest.approx(result.all.offset_px * 3.98)
    assert "NOT on the target" in result.summary


def test_odd_and_even_depths_are_told_apart(star):
    inside, number = _events(star)
    target = gaussian(star.shape, 6.0, 6.0, 1.0) * 40_000
    flux = star.flux.astype(np.float64)
    odd = inside & (number % 2 == 1)
    flux[odd] -= 0.02 * target
    flux[inside & ~odd] -= 0.005 * target
    tpf = dataclasses.replace(star, flux=flux.astype(np.float32))
    result = centroid_test(tpf, PERIOD, EPOCH, DURATION)
    aperture_flux = target[tpf.pipeline_mask].sum()
    assert result.odd.depth == pytest.approx(-0.02 * aperture_flux, rel=0.15)
    assert result.even.depth == pytest.approx(-0.005 * aperture_flux, rel=0.3)
    assert result.odd_even_depth_significance > 5


def test_explicit_event_ranges_give_the_same_answer(star):
    inside, number = _events(star)
    flux = star.flux.astype(np.float64)
    flux[inside] -= 0.01 * gaussian(star.shape, 6.0, 6.0, 1.0) * 40_000
    tpf = dataclasses.replace(star, flux=flux.astype(np.float32))
    by_period = centroid_test(tpf, PERIOD, EPOCH, DURATION)
    by_frames = centroid_test_frames(tpf, by_period.events)
    assert by_frames.all.depth == pytest.approx(by_period.all.depth)
    assert by_frames.all.n_events == by_period.all.n_events


def test_kepler10b_is_on_its_star(shared_file):
    tpf = open_tpf(shared_file(KEPLER10))
    # Kepler-10b: P = 0.8374907 d, T0 = BJD 2454964.57375 (BKJD 131.57375), 1.81 h long
    result = centroid_test(tpf, 0.8374907, 131.57375, 0.0754)
    level = np.nanmedian(np.nansum(tpf.flux[:, tpf.pipeline_mask], axis=1))
    assert result.all.n_events >= 20
    assert -result.all.depth / level == pytest.approx(152e-6, rel=0.35)  # published depth
    assert result.all.depth / result.all.depth_sigma < -3
    assert result.all.significance < 3


def test_what_cannot_be_tested_is_a_data_error(star):
    with pytest.raises(DataError, match="No event"):
        centroid_test(star, 100.0, EPOCH + 50, DURATION)  # one every 100 d: none here
    with pytest.raises(DataError, match="empty"):
        centroid_test(star, PERIOD, EPOCH, DURATION, np.zeros(star.shape, bool))
    strip = open_tpf(tpf_bytes(n_cadences=100, shape=(8, 1)).data)
    with pytest.raises(DataError, match="narrow"):
        centroid_test_frames(strip, [(40, 42)])
