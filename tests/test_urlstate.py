"""The view's link: every field round-trips; bad or stale values are dropped with a notice."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.data.masks import encode_mask
from dashboard.figures.stretch import DEFAULT_PERCENTILES, DEFAULT_SCALE
from dashboard.layout_tools import DEFAULT_DIFFERENCE_N, DEFAULT_QUALITY
from dashboard.urlstate import DEFAULTS, decode_state, encode_state, fits_file

FILE_ID = "0123456789abcdef0123"
TARGET = np.zeros((15, 15), dtype=bool)
TARGET[6:9, 5:10] = True
SKY = np.zeros((15, 15), dtype=bool)
SKY[0, :] = True

FULL = {"file": FILE_ID, "frame": 1234, "aperture": encode_mask(TARGET),
        "sky": encode_mask(SKY), "low": 2.5, "high": 99.0, "scale": "asinh",
        "quality": "hard", "bits": [1, 1048576], "masked": "hide", "image": "difference",
        "n": 7, "background": "aperture"}


def test_every_field_round_trips():
    query = encode_state(FULL)
    assert query.startswith("?file=" + FILE_ID + "&frame=1234")
    state, notices = decode_state(query)
    assert notices == [] and state == FULL


@pytest.mark.parametrize("key", sorted(FULL))
def test_each_field_alone_round_trips(key):
    state, notices = decode_state(encode_state({key: FULL[key]}))
    assert notices == [] and state == {key: FULL[key]}


def test_defaults_are_left_out_and_match_the_page():
    assert (DEFAULTS["low"], DEFAULTS["high"]) == DEFAULT_PERCENTILES
    assert DEFAULTS["scale"] == DEFAULT_SCALE and DEFAULTS["quality"] == DEFAULT_QUALITY
    assert DEFAULTS["n"] == DEFAULT_DIFFERENCE_N
    assert encode_state({"file": FILE_ID, **DEFAULTS}) == f"?file={FILE_ID}"
    assert encode_state({}) == ""
    assert decode_state("") == ({}, []) and decode_state(None) == ({}, [])


@pytest.mark.parametrize("query, key", [
    ("file=../../etc/passwd", "file"), ("file=ABCDEF", "file"), ("frame=-3", "frame"),
    ("frame=1e3", "frame"), ("frame=99999999999", "frame"), ("aperture=garbage", "aperture"),
    ("aperture=15x15.%21%21", "aperture"), ("sky=3x3.A", "sky"), ("low=abc", "low"),
    ("high=101", "high"), ("scale=cubic", "scale"), ("quality=strict", "quality"),
    ("bits=3", "bits"), ("bits=one", "bits"), ("masked=blur", "masked"),
    ("image=rgb", "image"), ("n=0", "n"), ("n=x", "n"), ("background=sky", "background"),
    ("colour=red", "colour"),
])
def test_bad_values_are_dropped_with_a_notice(query, key):
    state, notices = decode_state(f"?frame=10&{query}" if key != "frame" else f"?{query}")
    assert key not in state
    assert len(notices) == 1 and key in notices[0]
    if key != "frame":
        assert state == {"frame": 10}  # the rest of the link still applies


def test_a_stretch_upside_down_is_dropped():
    state, notices = decode_state("low=90&high=10&scale=sqrt")
    assert state == {"scale": "sqrt"} and len(notices) == 1


def test_junk_never_raises():
    for query in ("&&&", "=", "?a", "%zz=%%", "frame=" + "9" * 5000, "x=1&" * 200, "\x00=\x01"):
        state, notices = decode_state(query)
        assert isinstance(state, dict) and isinstance(notices, list)


def test_values_that_do_not_fit_the_file_are_dropped():
    state, _ = decode_state(encode_state(FULL))
    fitted, notices = fits_file(state, n_frames=2000, shape=(15, 15))
    assert fitted == state and notices == []
    fitted, notices = fits_file(state, n_frames=100, shape=(11, 11))
    assert "frame" not in fitted and "aperture" not in fitted and "sky" not in fitted
    assert len(notices) == 3
