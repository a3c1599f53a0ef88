"""The blip report names a known asteroid: SkyBoT's object on the fitted track of a
moving-object hypothesis, with its distance, and no name for an object elsewhere."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.data.blips import explain
from dashboard.data.demo import TRUTH, asteroid_position, demo_tpf
from dashboard.view.blips import name_known_object

ASTEROID = TRUTH["asteroid"]
FRAME = (ASTEROID["first_frame"] + ASTEROID["last_frame"]) // 2


def skybot_answer(offset_px: float) -> dict:
    """SkyBoT's answer as the page keeps it (KnownObjects.to_dict), for an object moving as
    the demo's asteroid does, ``offset_px`` stamp pixels to the side of it."""
    first, last = ASTEROID["first_frame"], ASTEROID["last_frame"]
    row, column = asteroid_position(FRAME)
    steps = last - first
    return {"frame": FRAME, "jd_utc": 2457000.0, "utc": "2015-01-01T00:00:00",
            "observatory": "250", "from_cache": False, "objects": [{
                "name": "2015 AB1", "number": 123456, "kind": "MB>Inner", "ra": 0.0,
                "dec": 0.0, "v_mag": 19.5, "ra_rate": 30.0, "dec_rate": 10.0,
                "position_error_arcsec": 0.1, "x": column + offset_px, "y": row,
                "dx": (ASTEROID["column"][1] - ASTEROID["column"][0]) / steps,
                "dy": (ASTEROID["row"][1] - ASTEROID["row"][0]) / steps,
                "frame": FRAME, "jd_utc": 2457000.0}]}


@pytest.fixture(scope="module")
def report():
    return explain(demo_tpf(), FRAME).to_dict()


def moving(report: dict) -> dict:
    return next(h for h in report["hypotheses"] if h["kind"] == "moving_object")


def test_the_asteroid_on_the_track_is_named_with_its_distance(report):
    found = {**report, "hypotheses": [dict(h, numbers=dict(h["numbers"]))
                                      for h in report["hypotheses"]]}
    name_known_object(found, skybot_answer(0.4))
    hypothesis = moving(found)
    assert "(123456) 2015 AB1" in hypothesis["summary"]
    assert hypothesis["numbers"]["known_object"] == "(123456) 2015 AB1"
    # The distance is the RMS, over the track's frames, from the fitted track to where the
    # object is on its straight line.
    known = skybot_answer(0.4)["objects"][0]
    frames, rows, columns = np.array(hypothesis["overlay"]["track"]).T
    x = known["x"] + known["dx"] * (frames - known["frame"])
    y = known["y"] + known["dy"] * (frames - known["frame"])
    rms = np.sqrt(np.mean((columns - x) ** 2 + (rows - y) ** 2))
    assert hypothesis["numbers"]["known_object_px"] == pytest.approx(rms, abs=0.006)
    assert rms < 1.5  # and the track is the asteroid's: within a pixel or so of its path


def test_an_object_far_from_the_track_is_not_named(report):
    found = {**report, "hypotheses": [dict(h, numbers=dict(h["numbers"]))
                                      for h in report["hypotheses"]]}
    name_known_object(found, skybot_answer(6.0))
    assert "known_object" not in moving(found)["numbers"]
    assert "2015 AB1" not in moving(found)["summary"]
