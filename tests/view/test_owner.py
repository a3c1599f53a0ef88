"""The view's one owner, as rules: what a link, a new file, an aperture edit or a control does
to the view, and what the page must be told. Checked against masks built here with numpy."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.data import DataError
from dashboard.data.demo import demo_tpf
from dashboard.data.masks import decode_mask, encode_mask
from dashboard.view.controls import control_values
from dashboard.view.owner import MISSING_FILE, ViewRecord, next_view, replay
from dashboard.view.state import DEFAULT
from tests.synthetic import tpf_bytes

DEMO_ID = "aaaaaaaaaaaaaaaaaaaa"
OTHER_ID = "bbbbbbbbbbbbbbbbbbbb"


@pytest.fixture(scope="module")
def files():
    from dashboard.data.tpf import open_tpf

    return {DEMO_ID: demo_tpf(), OTHER_ID: open_tpf(tpf_bytes(mission="TESS", shape=(7, 9),
                                                                n_cadences=50).data)}


@pytest.fixture
def open_file(files):
    def get(fid):
        if fid not in files:
            raise DataError("That file is no longer in the server's cache; open it again.")
        return files[fid]
    return get


@pytest.fixture
def start():
    return ViewRecord(DEFAULT.but(file=DEMO_ID))


def test_a_link_sets_the_whole_view_and_asks_for_its_frame(start, open_file, files):
    aperture = np.zeros(files[DEMO_ID].shape, bool)
    aperture[6:9, 6:9] = True
    link = f"?file={DEMO_ID}&frame=1234&aperture={encode_mask(aperture)}&scale=linear&cmap=gray"
    out = next_view(start, "initial", link=link, open_file=open_file)
    state = out.record.state
    assert (state.frame, state.scale, state.cmap) == (1234, "linear", "gray")
    assert np.array_equal(decode_mask(state.aperture), aperture)
    assert out.record.goto == 1234 and out.record.seq == start.seq + 1
    assert out.record.epoch == start.epoch + 1 and out.record.base == (state.aperture, None)
    assert out.set_controls and not out.file_changed and out.notices == []
    # The link the page shows again leaves the frame to the browser.
    assert out.record.to_store()["query"] == \
        f"?file={DEMO_ID}&aperture={encode_mask(aperture)}&scale=linear&cmap=gray"


def test_a_link_to_another_file_opens_it_and_fits_the_rest_to_it(start, open_file):
    out = next_view(start, "link", link=f"?file={OTHER_ID}&frame=9999&bits=1048576",
                    open_file=open_file)
    assert out.file_changed and out.record.state.file == OTHER_ID
    assert out.record.goto == 0  # frame 9999 is past the end of a 50-frame file
    assert out.record.state.bits == ()  # 1048576 is not a TESS quality bit
    assert len(out.notices) == 2


def test_a_link_to_a_file_no_longer_cached_keeps_the_view_and_says_so(start, open_file):
    out = next_view(start, "initial", link="?file=cccccccccccccccccccc&frame=3",
                    open_file=open_file)
    assert not out.changed and out.record == start and out.notices == [MISSING_FILE]


def test_no_link_changes_nothing(start, open_file):
    for link in (None, "", "?"):
        assert not next_view(start, "initial", link=link, open_file=open_file).changed


def test_a_new_file_keeps_the_display_choices_but_not_the_apertures(start, open_file, files):
    chosen = start.state.but(scale="sqrt", cmap="inferno", aperture=encode_mask(
        np.ones(files[DEMO_ID].shape, bool)), bits=(1048576,), background="file")
    out = next_view(ViewRecord(chosen, epoch=3, seq=5), "opened", opened=OTHER_ID,
                    open_file=open_file)
    state = out.record.state
    assert state.file == OTHER_ID and (state.scale, state.cmap) == ("sqrt", "inferno")
    assert state.aperture is None and state.sky is None
    assert state.bits == ()  # 1048576 is not a TESS bit
    assert state.background == "file"  # the synthetic file has a FLUX_BKG
    assert out.record.epoch == 4 and out.record.goto == 0 and out.record.seq == 6
    assert out.file_changed and out.set_controls  # the bits must be shown reset


def test_an_unreadable_new_file_changes_nothing(start, open_file):
    out = next_view(start, "opened", opened="dddddddddddddddddddd", open_file=open_file)
    assert not out.changed and "no longer" in out.notices[0]


def test_edits_replay_on_the_epochs_apertures(start, open_file, files):
    tpf = files[DEMO_ID]
    pipeline = tpf.pipeline_mask
    edits = {"epoch": start.epoch, "ops": [
        {"op": "clear", "which": "target"},
        {"op": "toggle", "which": "target", "x": tpf.column + 3, "y": tpf.row + 2},
        {"op": "toggle", "which": "background", "x": tpf.column, "y": tpf.row},
    ]}
    out = next_view(start, "edits", edits=edits, open_file=open_file)
    target = np.zeros(tpf.shape, bool)
    target[2, 3] = True
    sky = np.zeros(tpf.shape, bool)
    sky[0, 0] = True
    assert np.array_equal(decode_mask(out.record.state.aperture), target)
    assert np.array_equal(decode_mask(out.record.state.sky), sky)
    # Edits of an epoch that is over (a new file or link since) are ignored.
    stale = next_view(start, "edits", edits={**edits, "epoch": start.epoch - 1},
                      open_file=open_file)
    assert not stale.changed
    # Toggling the pipeline's own pixels back gives "the file's aperture" again (None).
    flip = {"op": "toggle", "which": "target", "x": tpf.column + int(np.argwhere(pipeline)[0][1]),
            "y": tpf.row + int(np.argwhere(pipeline)[0][0])}
    twice = next_view(start, "edits", edits={"epoch": start.epoch, "ops": [flip, flip]},
                      open_file=open_file)
    assert twice.record.state.aperture is None


def test_replay_selections_and_reset(files):
    tpf = files[DEMO_ID]
    box = {"range": {"x": [tpf.column + 1.6, tpf.column + 3.4], "y": [tpf.row - 1, tpf.row + 0.5]}}
    target, _ = replay(tpf, (None, None), [{"op": "select", "which": "target", "selection": box}])
    expected = np.zeros(tpf.shape, bool)
    expected[0, 2:4] = True  # centres at columns +2, +3 of row 0 lie inside the box
    assert np.array_equal(target, expected)
    target, _ = replay(tpf, (encode_mask(expected), None), [{"op": "reset"}])
    assert np.array_equal(target, tpf.pipeline_mask)
    target, _ = replay(tpf, (None, None), [{"op": "toggle", "x": "junk"}, 7, {"op": "?"}])
    assert np.array_equal(target, tpf.pipeline_mask)  # malformed edits change nothing


def test_controls_set_the_view_and_what_the_file_cannot_use_is_put_back(start, open_file):
    values = control_values(start.state.but(scale="asinh", background="file", bits=(1,)))
    out = next_view(start, "controls", controls=values, open_file=open_file)
    assert out.record.state.scale == "asinh" and out.record.state.bits == (1,)
    assert not out.set_controls and out.notices == []  # the demo has a FLUX_BKG
    junk = {**values, "difference-n": 500, "scale": "cubic"}
    out = next_view(start, "controls", controls=junk, open_file=open_file)
    assert (out.record.state.n, out.record.state.scale) == (DEFAULT.n, DEFAULT.scale)
    assert out.set_controls and len(out.notices) == 2


def test_the_store_is_not_trusted(start):
    data = start.to_store()
    data["state"]["scale"] = "<script>"
    data["base"] = ["not a code", None]
    data["goto"] = {"frame": "x"}
    back = ViewRecord.from_store(data)
    assert back.state.scale == DEFAULT.scale and back.base == (None, None)
    assert ViewRecord.from_store(None).state == DEFAULT


def test_a_tools_request_shows_its_frame_and_kind_of_image(start, open_file):
    out = next_view(start, "request", request={"frame": 630, "image": "difference"},
                    open_file=open_file)
    assert out.record.goto == 630 and out.record.seq == start.seq + 1
    assert out.record.state.image == "difference" and out.set_controls
    same = next_view(start, "request", request={"frame": 7}, open_file=open_file)
    assert same.record.state == start.state and not same.set_controls and same.record.goto == 7
    for bad in ({"frame": -1}, {"frame": 10**6}, {"frame": "630"}, {"frame": True}, {}):
        assert not next_view(start, "request", request=bad, open_file=open_file).changed
