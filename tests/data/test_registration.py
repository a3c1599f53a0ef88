"""Registration of custom light-curve points onto TPF frames.

Expected frames are computed here independently: by brute force over every frame for the
synthetic cases, and straight from both real files with astropy for the K2 campaign 9 case.
"""

from __future__ import annotations

import time as clock

import numpy as np
import pytest
from astropy.io import fits

from dashboard.data import open_tpf
from dashboard.data.lightcurves import read_lightcurve, to_mission_time
from dashboard.data.registration import register

CADENCE = 0.0204


def brute_force_frames(custom: np.ndarray, tpf: np.ndarray, half: float) -> np.ndarray:
    """Nearest finite frame by an explicit loop, -1 beyond half a cadence; ties to the earlier."""
    frames = []
    for t in custom:
        best, best_distance = -1, np.inf
        for index, frame_time in enumerate(tpf):
            if np.isfinite(frame_time) and abs(frame_time - t) < best_distance:
                best, best_distance = index, abs(frame_time - t)
        frames.append(best if best_distance <= half else -1)
    return np.array(frames)


@pytest.fixture
def tpf_time() -> np.ndarray:
    times = 1000.0 + CADENCE * np.arange(300)
    times[[40, 41, 42, 150]] = np.nan  # frames without a time never match
    return times


def test_points_within_half_a_cadence_land_on_their_frame(tpf_time):
    rng = np.random.default_rng(1)
    finite = np.flatnonzero(np.isfinite(tpf_time))
    targets = rng.choice(finite, 500)
    offsets = rng.uniform(-0.49, 0.49, targets.size) * CADENCE
    result = register(tpf_time[targets] + offsets, tpf_time, cadence_days=CADENCE)
    np.testing.assert_array_equal(result.frames, targets)
    assert result.frames.dtype == np.int64
    assert (result.method, result.matched, result.unmatched) == ("time", 500, 0)
    assert result.overlaps


def test_points_beyond_half_a_cadence_land_on_none(tpf_time):
    nominal = 1000.0 + CADENCE * np.arange(300)
    custom = np.array([
        nominal[41],  # inside a run of NaN-time frames: a whole cadence from any timed frame
        nominal[150],  # a single NaN frame: neighbours are one cadence away
        nominal[0] - 0.51 * CADENCE,  # before the first frame
        nominal[-1] + 0.6 * CADENCE,  # after the last
        nominal[40] + 0.1 * CADENCE,  # 0.6 cadence past frame 39
        nominal[10] + 0.3 * CADENCE,  # a normal point, for contrast
        np.nan,  # a point without a time
    ])
    result = register(custom, tpf_time, cadence_days=CADENCE)
    expected = brute_force_frames(custom, tpf_time, CADENCE / 2)
    np.testing.assert_array_equal(expected, [-1, -1, -1, -1, -1, 10, -1])
    np.testing.assert_array_equal(result.frames, expected)
    assert (result.matched, result.unmatched) == (1, 6)


def test_random_points_agree_with_brute_force(tpf_time):
    rng = np.random.default_rng(7)
    custom = rng.uniform(999.9, 1000.0 + CADENCE * 301, 400)
    for cadence_days in (CADENCE, None, 0.01):
        half = (cadence_days or CADENCE) / 2  # None: half the median TPF step, 0.0204 here
        result = register(custom, tpf_time, cadence_days=cadence_days)
        np.testing.assert_array_equal(result.frames, brute_force_frames(custom, tpf_time, half))


def test_unsorted_tpf_times_still_map_to_file_positions():
    tpf = np.array([5.0, 1.0, 3.0, np.nan, 2.0])
    result = register(np.array([2.9, 1.1, 5.2, 4.0]), tpf, cadence_days=0.5)
    np.testing.assert_array_equal(result.frames, [2, 1, 0, -1])


def test_match_on_cadence_numbers():
    tpf_cadenceno = np.arange(5000, 5100)
    tpf_time = 1000.0 + CADENCE * np.arange(100)
    custom_cadenceno = np.array([5099, 5000, 5050, 4999, 5100, 5050])
    # times deliberately wrong: cadence numbers decide, not times
    result = register(np.zeros(6), tpf_time, cadence_days=CADENCE,
                      custom_cadenceno=custom_cadenceno, tpf_cadenceno=tpf_cadenceno)
    np.testing.assert_array_equal(result.frames, [99, 0, 50, -1, -1, 50])
    assert (result.method, result.matched, result.unmatched) == ("cadenceno", 4, 2)


def test_repeated_tpf_cadence_numbers_give_the_first_frame():
    result = register(np.zeros(2), np.arange(4.0), cadence_days=1.0,
                      custom_cadenceno=np.array([7, 8]), tpf_cadenceno=np.array([8, 7, 7, 8]))
    np.testing.assert_array_equal(result.frames, [1, 0])


def test_one_side_without_cadence_numbers_matches_on_time(tpf_time):
    result = register(tpf_time[[5, 6]], tpf_time, cadence_days=CADENCE,
                      custom_cadenceno=np.array([1, 2]))
    assert result.method == "time"
    np.testing.assert_array_equal(result.frames, [5, 6])


def test_times_that_do_not_overlap_say_so(tpf_time):
    result = register(tpf_time[np.isfinite(tpf_time)] + 500.0, tpf_time, cadence_days=CADENCE)
    assert not result.overlaps
    assert result.matched == 0 and (result.frames == -1).all()
    assert "None of the light curve's times" in result.summary()
    empty = register(np.array([]), tpf_time, cadence_days=CADENCE)
    assert (empty.matched, empty.unmatched, empty.overlaps) == (0, 0, False)
    no_times = register(np.array([1.0]), np.array([np.nan, np.nan]), cadence_days=None)
    assert (no_times.frames.tolist(), no_times.overlaps) == ([-1], False)


def test_points_by_frame_and_summary(tpf_time):
    result = register(tpf_time[[3, 3, 7]] + [0, 0.001, 0], tpf_time, cadence_days=CADENCE)
    points = result.points_by_frame(tpf_time.size)
    assert points[3] == 0 and points[7] == 2
    assert np.count_nonzero(points >= 0) == 2
    assert result.summary().startswith("3 of 3 points matched a cadence by time")


def test_twenty_thousand_points_are_fast():
    tpf = 1300.0 + (2 / 1440) * np.arange(20_000)
    custom = tpf[::-1] + 1e-5
    start = clock.perf_counter()
    result = register(custom, tpf, cadence_days=2 / 1440)
    elapsed = clock.perf_counter() - start
    np.testing.assert_array_equal(result.frames, np.arange(20_000)[::-1])
    assert elapsed < 1.0  # vectorised: milliseconds; a per-point loop would take far longer


# -- the real K2 campaign 9 files ---------------------------------------------------------------

K2SFF = "hlsp_k2sff_k2_lightcurve_221312395-c91_kepler_v1_llc.fits"
C9_TPF = "ktwo221312395-c91_lpd-targ.fits.gz"


def test_k2sff_registers_onto_the_c9_tpf(shared_file):
    with fits.open(shared_file(K2SFF)) as hdul:
        sff_time = np.array(hdul["BESTAPER"].data["T"], dtype=float)
        sff_cadenceno = np.array(hdul["BESTAPER"].data["CADENCENO"], dtype=int)
    with fits.open(shared_file(C9_TPF)) as hdul:
        tpf_time = np.array(hdul[1].data["TIME"], dtype=float)
        tpf_cadenceno = np.array(hdul[1].data["CADENCENO"], dtype=int)
    position = {cadence: index for index, cadence in enumerate(tpf_cadenceno)}
    expected = np.array([position[c] for c in sff_cadenceno])[np.argsort(sff_time)]
    assert np.array_equal(tpf_time[expected], np.sort(sff_time))  # same instants in both files

    lc = read_lightcurve(shared_file(K2SFF).read_bytes(), K2SFF)
    tpf = open_tpf(shared_file(C9_TPF))
    assert lc.time_system == tpf.time_system == "BKJD"
    times = to_mission_time(lc, tpf.time_system, tpf.bjd_reference)
    by_cadence = register(times, tpf.time, cadence_days=tpf.cadence_days,
                          custom_cadenceno=lc.cadenceno, tpf_cadenceno=tpf.cadenceno)
    by_time = register(times, tpf.time, cadence_days=tpf.cadence_days)
    for result in (by_cadence, by_time):
        np.testing.assert_array_equal(result.frames, expected)
        assert (result.matched, result.unmatched, result.overlaps) == (1119, 0, True)
    assert by_cadence.method == "cadenceno" and by_time.method == "time"
