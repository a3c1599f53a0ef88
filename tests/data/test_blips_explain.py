"""explain(): the demo's own artifacts are named, the numbers behind each verdict are the file's
(checked against numpy here), the JSON is plain, and a file that cannot support a check says so.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from astropy.io import fits

from dashboard.data import DataError, open_tpf
from dashboard.data.blips import KINDS, explain
from dashboard.data.demo import TRUTH, asteroid_position, demo_tpf
from tests.synthetic import star_tpf_bytes, tpf_bytes

STRIP = "ktwo200006994-c04-strip8x1_lpd-targ.fits.gz"
THRUSTER_FIRING = 1048576


@pytest.fixture(scope="module")
def demo():
    return demo_tpf()


@pytest.fixture(scope="module")
def star():
    return open_tpf(star_tpf_bytes(200, (11, 11), "K2", star_flux=50_000, seed=4).data)


def test_cosmic_ray_of_the_demo_is_named_with_its_pixel_and_size(demo):
    frame, row, col = (TRUTH["cosmic_ray"][k] for k in ("frame", "row", "column"))
    report = explain(demo, frame)
    top = report.top
    assert top.kind == "cosmic_ray" and top.score > 0.8
    assert top.pixels == [(row, col)] and top.frames == [frame]
    assert top.overlay == {"pixels": [[float(row), float(col)]]}
    # the jump, measured here: the pixel minus its median over the reference frames used
    first, last = report.numbers["reference_first"], report.numbers["reference_last"]
    around = [f for f in range(first, last + 1) if abs(f - frame) > 2]
    expected = demo.flux[frame, row, col] - np.median(demo.flux[around, row, col])
    assert top.numbers["amplitude"] == pytest.approx(expected, rel=0.02)
    assert abs(top.numbers["amplitude"] - TRUTH["cosmic_ray"]["flux"]) < 300
    assert f"row {row}, column {col}" in top.summary and str(frame) in top.summary


@pytest.mark.parametrize("frame", [615, 645])
def test_asteroid_is_a_moving_object_with_the_simulated_speed_and_direction(demo, frame):
    asteroid = TRUTH["asteroid"]
    span = asteroid["last_frame"] - asteroid["first_frame"]
    velocity = np.array([np.diff(asteroid["row"])[0], np.diff(asteroid["column"])[0]]) / span
    report = explain(demo, frame)
    top = report.top
    assert top.kind == "moving_object", report.hypotheses[:3]
    assert top.numbers["speed_px_per_cadence"] == pytest.approx(np.hypot(*velocity), rel=0.2)
    truth_direction = math.degrees(math.atan2(velocity[0], velocity[1]))
    assert abs(top.numbers["direction_deg"] - truth_direction) < 10
    # the track it draws follows the simulated path
    for f, r, c in top.overlay["track"]:
        true_r, true_c = asteroid_position(f)
        assert math.hypot(r - true_r, c - true_c) < 1.0
    assert frame in top.frames or min(abs(f - frame) for f in top.frames) <= 3


def test_thruster_firing_is_flagged_with_the_missions_name(demo):
    frame = 1200
    assert demo.quality[frame] & THRUSTER_FIRING
    top = explain(demo, frame).top
    assert top.kind == "flagged"
    assert "Thruster firing" in top.numbers["names"] and top.numbers["bits"] == THRUSTER_FIRING
    assert "Thruster firing" in top.summary and top.frames == [frame]


C9 = "ktwo221312395-c91_lpd-targ.fits.gz"


def test_a_frame_the_pipeline_wrote_no_data_for_is_flagged_first(shared_file, star):
    """Frame 311 of the real C9 file: QUALITY 98304 (No fine point, No data) and no TIME. Its
    pixels differ from its neighbours' by a smooth -1,000 e-/s, which the background and
    scattered-light models explain (0.98), but the pipeline says it holds no data: flagged
    comes first, at 1, and says why."""
    with fits.open(shared_file(C9)) as hdus:
        quality, time = hdus[1].data["QUALITY"], hdus[1].data["TIME"]
    assert quality[311] == 98304 and not np.isfinite(time[311])
    report = explain(open_tpf(shared_file(C9)), 311)
    top = report.top
    assert (top.kind, top.score) == ("flagged", 1.0)
    assert top.numbers["no_data_frames"] == 1
    assert "the No data bit and no valid time" in top.summary and "No data" in top.summary
    # A frame with no valid time and no QUALITY bit (TESS marks no such bit) is flagged too.
    time = star.time.copy()
    time[60] = np.nan
    report = explain(dataclasses.replace(star, time=time), 60)
    assert (report.top.kind, report.top.score) == ("flagged", 1.0)
    assert "no valid time" in report.top.summary and report.top.numbers["bits"] == 0
    # Its neighbour, with data, is not.
    assert explain(dataclasses.replace(star, time=time), 61).top.kind != "flagged"


def test_a_transit_of_the_demo_is_on_target(demo):
    transit = TRUTH["transit"]
    centre = transit["epoch"] + 4 * transit["period"]
    inside = np.flatnonzero(np.abs(demo.time - centre) < transit["duration"] / 2)
    report = explain(demo, int(inside[0]), last=int(inside[-1]))
    top = report.top
    assert top.kind == "on_target"
    assert top.numbers["fractional_change"] == pytest.approx(-transit["depth"], rel=0.3)
    assert top.numbers["offset_significance"] < 3
    assert set(top.overlay) == {"centroid", "target"}
    star = TRUTH["star"]
    assert top.overlay["target"] == pytest.approx([star["row"], star["column"]], abs=0.3)


def test_a_quiet_cadence_is_noise(star):
    report = explain(star, 100)
    assert report.top.kind == "noise"
    assert all(h.score < 0.3 for h in report.hypotheses if h.kind != "noise")


def test_every_kind_is_reported_best_first_and_scores_are_their_factors(demo):
    report = explain(demo, TRUTH["cosmic_ray"]["frame"])
    kinds = [h.kind for h in report.hypotheses]
    assert sorted(kinds) == sorted(KINDS)
    scores = [h.score for h in report.hypotheses]
    assert scores == sorted(scores, reverse=True)
    for h in report.hypotheses:
        assert 0 <= h.score <= 1 and h.summary and h.summary.endswith(".")
        factors = h.numbers.get("factors")
        if factors:
            assert h.score == pytest.approx(math.prod(factors.values()), abs=1e-9)


def test_json_has_the_issue_shape_and_is_plain(demo):
    report = explain(demo, 630, last=632)
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["frame"] == 630 and data["first"] == 630 and data["last"] == 632
    assert data["cadenceno"] == int(demo.cadenceno[630])
    assert data["time"] == pytest.approx(float(demo.time[630]))
    for h in data["hypotheses"]:
        assert {"kind", "score", "summary", "numbers", "frames", "pixels", "overlay"} <= set(h)
    assert [h["kind"] for h in data["hypotheses"]] == [h.kind for h in report.hypotheses]


def test_hidden_cadences_stay_out_of_the_reference(star):
    """Frames a quality mask hides must not shape the reference: put a huge flat offset on
    the frames around frame 100, hide them, and the report still sees a quiet cadence."""
    flux = star.flux.copy()
    around = np.r_[80:98, 103:120]
    flux[around] += 500.0
    changed = dataclasses.replace(star, flux=flux)
    hidden = np.zeros(star.n_cadences, bool)
    hidden[around] = True
    report = explain(changed, 100, hidden=hidden)
    assert report.top.kind == "noise"
    assert report.numbers["reference_first"] < 80 and report.numbers["reference_last"] >= 120
    assert explain(changed, 100).top.kind == "background"  # without hiding: it is there


# -- honest limits -------------------------------------------------------------------------------

def _skipped(report) -> dict:
    return {s.check: s.reason for s in report.skipped}


def test_one_cadence_file_skips_every_pixel_check():
    tpf = open_tpf(tpf_bytes(n_cadences=1).data)
    report = explain(tpf, 0)
    assert [h.kind for h in report.hypotheses] == ["flagged"]
    assert "one cadence" in _skipped(report)["cosmic_ray"]
    assert set(_skipped(report)) >= {"cosmic_ray", "moving_object", "on_target", "noise"}


def test_narrow_strip_skips_shape_checks(shared_file):
    tpf = open_tpf(shared_file(STRIP))
    report = explain(tpf, 1119)
    skipped = _skipped(report)
    for kind in ("moving_object", "pointing", "off_target", "on_target"):
        assert "8x1" in skipped[kind]
    assert {h.kind for h in report.hypotheses} >= {"flagged", "cosmic_ray", "background"}


def test_all_nan_frame_says_it_has_no_data(star):
    flux = star.flux.copy()
    flux[50] = np.nan
    report = explain(dataclasses.replace(star, flux=flux), 50)
    assert "no data" in _skipped(report)["on_target"]


def test_empty_aperture_skips_target_checks(star):
    report = explain(star, 100, np.zeros(star.shape, bool))
    skipped = _skipped(report)
    assert "empty" in skipped["aperture"] and "target" in skipped["on_target"]
    assert "off_target" in skipped and report.hypothesis("background") is not None


def test_bad_frames_and_apertures_are_data_errors(star):
    with pytest.raises(DataError, match="outside"):
        explain(star, star.n_cadences)
    with pytest.raises(DataError, match="before"):
        explain(star, 10, last=5)
    with pytest.raises(DataError, match="shape"):
        explain(star, 10, np.ones((3, 3), bool))
