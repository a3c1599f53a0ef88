"""The simulated demo: deterministic, and each artifact is where TRUTH says it is."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.data import open_tpf
from dashboard.data.demo import TRUTH, asteroid_position, demo_bytes, demo_tpf

THRUSTER_FIRING = 1048576


@pytest.fixture(scope="module")
def demo():
    return demo_tpf()


def test_demo_is_deterministic():
    """The same seed gives the same bytes every time (rebuilt, not just cached)."""
    first = demo_bytes()
    demo_bytes.cache_clear()
    assert demo_bytes() == first
    assert demo_bytes(7) != first


def test_demo_opens_as_simulated_k2(demo):
    """The demo reads back through open_tpf as a K2 file marked simulated, with a pipeline
    aperture, BKJD times and K2 thruster flags decoded with the Kepler table."""
    assert demo.mission == "K2"
    assert demo.simulated
    assert demo.time_system == "BKJD"
    assert demo.aperture_from_file and demo.pipeline_mask.any()
    assert demo.shape == (15, 15) and demo.n_cadences == 2000
    reopened = open_tpf(demo_bytes())
    np.testing.assert_array_equal(reopened.flux, demo.flux)


def test_cosmic_ray_is_the_brightest_outlier_of_its_pixel(demo):
    """On TRUTH's cosmic-ray frame, that pixel departs from its median more than on any
    other frame, by far."""
    ray = TRUTH["cosmic_ray"]
    series = demo.flux[:, ray["row"], ray["column"]].astype(np.float64)
    deviation = np.abs(series - np.median(series))
    assert np.argmax(deviation) == ray["frame"]
    assert deviation[ray["frame"]] > 5 * np.sort(deviation)[-2]


def test_cosmic_ray_is_a_single_pixel(demo):
    """Only one pixel of that frame jumps: it is a cosmic ray, not a frame-wide glitch."""
    ray = TRUTH["cosmic_ray"]
    frame = ray["frame"]
    every = TRUTH["thruster_every"]
    neighbours = [frame - every, frame + every]  # same roll phase, no ray
    residual = demo.flux[frame] - np.mean(demo.flux[neighbours], axis=0)
    peak = np.unravel_index(np.argmax(np.abs(residual)), residual.shape)
    assert peak == (ray["row"], ray["column"])
    residual[peak] = 0
    assert np.abs(residual).max() < 0.2 * ray["flux"]


def test_asteroid_follows_its_track(demo):
    """On each frame of the crossing where the asteroid is on the stamp, the residual against
    frames outside the crossing peaks within about a pixel of asteroid_position(frame).

    The reference is the median of frames outside the crossing at the same roll phase (frame
    modulo the thruster period): the simulated roll moves the star by ~0.35 px, and against a
    median of all phases the star's own residual would rival the asteroid's peak.
    """
    asteroid = TRUTH["asteroid"]
    every = TRUTH["thruster_every"]
    flux = demo.flux.astype(np.float64)
    frames = np.arange(demo.n_cadences)
    outside = (frames < asteroid["first_frame"]) | (frames > asteroid["last_frame"])
    checked = 0
    for frame in range(asteroid["first_frame"], asteroid["last_frame"] + 1):
        row, column = asteroid_position(frame)
        if not (0 <= row <= 14 and 0 <= column <= 14):
            continue
        reference = np.median(flux[outside & (frames % every == frame % every)], axis=0)
        residual = flux[frame] - reference
        peak = np.unravel_index(np.argmax(residual), residual.shape)
        assert np.hypot(peak[0] - row, peak[1] - column) <= 1.0, (frame, peak, row, column)
        checked += 1
    assert checked > 40


def test_asteroid_position_outside_crossing_is_none():
    """Before and after the crossing there is no asteroid."""
    asteroid = TRUTH["asteroid"]
    assert asteroid_position(asteroid["first_frame"] - 1) is None
    assert asteroid_position(asteroid["last_frame"] + 1) is None
    assert asteroid_position(asteroid["first_frame"]) == (asteroid["row"][0],
                                                          asteroid["column"][0])
    assert asteroid_position(asteroid["last_frame"]) == (asteroid["row"][1],
                                                         asteroid["column"][1])


def test_thruster_firings_are_flagged_every_n_frames(demo):
    """QUALITY bit 1048576 is set on exactly every thruster_every-th frame, and nothing else
    is flagged."""
    every = TRUTH["thruster_every"]
    fired = np.flatnonzero(demo.quality & THRUSTER_FIRING)
    np.testing.assert_array_equal(fired, np.arange(0, demo.n_cadences, every))
    np.testing.assert_array_equal(np.flatnonzero(demo.quality), fired)
    assert demo.quality_names(fired[0]) == ["Thruster firing"]


def test_transits_have_the_stated_depth(demo):
    """Every transit predicted by TRUTH's epoch and period shows in the aperture light curve
    as a dip of about the stated depth; out of transit nothing dips that far."""
    transit = TRUTH["transit"]
    time, curve = demo.time, demo.lightcurve()
    first = np.ceil((time[0] - transit["epoch"]) / transit["period"])
    last = np.floor((time[-1] - transit["epoch"]) / transit["period"])
    centres = transit["epoch"] + np.arange(first, last + 1) * transit["period"]
    assert len(centres) >= 10
    for centre in centres:
        offset = np.abs(time - centre)
        inside = offset < 0.4 * transit["duration"]
        around = (offset > transit["duration"]) & (offset < 4 * transit["duration"])
        depth = 1 - np.median(curve[inside]) / np.median(curve[around])
        assert depth == pytest.approx(transit["depth"], rel=0.25), centre
    # Far from every transit no cadence dips by even half the transit depth.
    phase = ((time - transit["epoch"]) / transit["period"] + 0.5) % 1 - 0.5
    quiet = np.abs(phase * transit["period"]) > transit["duration"]
    relative = curve[quiet] / np.median(curve[quiet]) - 1
    assert relative.min() > -transit["depth"] / 2
