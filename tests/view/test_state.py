"""The view state: one validated object with its defaults in one place, and its link. Every
field round-trips; bad or stale values fall back to the default with a notice; the page's
controls start from these defaults and read back into the same state."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from dashboard.data.masks import encode_mask
from dashboard.view.controls import CONTROLS, control_values, state_values
from dashboard.view.state import (
    DEFAULT,
    ViewState,
    decode_query,
    encode_query,
    fit_to_file,
    parse,
)

FILE_ID = "0123456789abcdef0123"
TARGET = np.zeros((15, 15), dtype=bool)
TARGET[6:9, 5:10] = True
SKY = np.zeros((15, 15), dtype=bool)
SKY[0, :] = True

FULL = ViewState(file=FILE_ID, frame=1234, aperture=encode_mask(TARGET), sky=encode_mask(SKY),
                 low=2.5, high=99.0, scale="asinh", cmap="inferno", dcmap="puor",
                 quality="hard", bits=(1, 1048576), masked="hide", skip=True,
                 image="difference", n=7, background="aperture",
                 panels=("background", "pixels"), normalise=True)


def test_every_field_differs_from_its_default_in_the_test_state():
    """So the round trips below exercise every field."""
    assert all(getattr(FULL, f.name) != getattr(DEFAULT, f.name) for f in fields(ViewState))


def test_every_field_round_trips():
    query = encode_query(FULL)
    assert query.startswith("?file=" + FILE_ID + "&frame=1234")
    state, given, notices = decode_query(query)
    assert notices == [] and state == FULL and given == {f.name for f in fields(ViewState)}


@pytest.mark.parametrize("key", [f.name for f in fields(ViewState)])
def test_each_field_alone_round_trips(key):
    alone = DEFAULT.but(**{key: getattr(FULL, key)})
    state, given, notices = decode_query(encode_query(alone))
    assert notices == [] and state == alone and given == {key}


def test_defaults_are_left_out_of_the_link():
    assert encode_query(DEFAULT.but(file=FILE_ID)) == f"?file={FILE_ID}"
    assert encode_query(DEFAULT) == ""
    assert decode_query("")[0] == DEFAULT and decode_query(None)[2] == []


def test_the_store_form_round_trips_and_is_validated_again():
    state, notices = parse(FULL.to_dict())
    assert state == FULL and notices == []
    state, notices = parse({**FULL.to_dict(), "n": 999, "scale": "cubic"})
    assert (state.n, state.scale) == (DEFAULT.n, DEFAULT.scale) and len(notices) == 2


def test_the_controls_show_the_state_and_read_back_into_it():
    """Every control of the page maps to a field, and reading the controls that show a state
    gives that state back (the page's defaults are the state's defaults)."""
    assert {name for names in CONTROLS.values() for name in names} <= \
        {f.name for f in fields(ViewState)}
    for state in (DEFAULT, FULL):
        values = control_values(state)
        assert set(values) == set(CONTROLS)
        back, notices = parse(state_values(values))
        kept = {name for names in CONTROLS.values() for name in names}
        assert notices == [] and {k: getattr(back, k) for k in kept} == \
            {k: getattr(state, k) for k in kept}


@pytest.mark.parametrize("query, key", [
    ("file=../../etc/passwd", "file"), ("file=ABCDEF", "file"), ("frame=-3", "frame"),
    ("frame=1e3", "frame"), ("frame=99999999999", "frame"), ("aperture=garbage", "aperture"),
    ("aperture=15x15.%21%21", "aperture"), ("sky=3x3.A", "sky"), ("low=abc", "low"),
    ("high=101", "high"), ("scale=cubic", "scale"), ("quality=strict", "quality"),
    ("bits=3", "bits"), ("bits=one", "bits"), ("masked=blur", "masked"),
    ("image=rgb", "image"), ("n=0", "n"), ("n=x", "n"), ("background=sky", "background"),
    ("cmap=jet", "cmap"), ("dcmap=viridis", "dcmap"), ("skip=maybe", "skip"),
    ("panels=sky", "panels"), ("normalise=2", "normalise"), ("colour=red", "colour"),
])
def test_bad_values_are_dropped_with_a_notice(query, key):
    link = f"?frame=10&{query}" if key != "frame" else f"?{query}"
    state, given, notices = decode_query(link)
    assert key not in given
    assert len(notices) == 1 and key in notices[0]
    if key != "frame":
        assert state == DEFAULT.but(frame=10) and given == {"frame"}  # the rest still applies


def test_a_stretch_upside_down_is_dropped():
    state, given, notices = decode_query("low=90&high=10&scale=sqrt")
    assert state == DEFAULT.but(scale="sqrt") and given == {"scale"} and len(notices) == 1


def test_junk_never_raises():
    for query in ("&&&", "=", "?a", "%zz=%%", "frame=" + "9" * 5000, "x=1&" * 200, "\x00=\x01"):
        state, given, notices = decode_query(query)
        assert isinstance(state, ViewState) and isinstance(notices, list)


def test_values_that_do_not_fit_the_file_are_dropped():
    fitted, notices = fit_to_file(FULL, 2000, (15, 15), {1: "a", 1048576: "b"}, True)
    assert fitted == FULL and notices == []
    fitted, notices = fit_to_file(FULL, 100, (11, 11), {1: "a"}, False)
    assert (fitted.frame, fitted.aperture, fitted.sky, fitted.bits) == (0, None, None, (1,))
    assert len(notices) == 4
    no_bkg, notices = fit_to_file(DEFAULT.but(background="file"), 10, (3, 3), {}, False)
    assert no_bkg.background == "none" and "FLUX_BKG" in notices[0]
