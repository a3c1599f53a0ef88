"""A TESS 20-second-sized file (120,000 cadences, 13 x 13) through the app: it opens from its
path, the page names it, and the frame batches the browser steps through hold the right frames
from the first to the last (each frame of the test file holds its own index)."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.app import create_app
from dashboard.figures.frame_batch import decode_batch
from tests.data.test_tpf_stream import write_big

N, SHAPE = 120_000, (13, 13)


def _store_data(node, store_id):
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == store_id:
            return node["props"]["data"]
        children = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = _store_data(child, store_id)
        if found is not None:
            return found
    return None


@pytest.fixture(scope="module")
def big_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("big")
    path = folder / "tess20s.fits"
    flux = write_big(path, N, SHAPE)
    app = create_app({"source": str(path), "cache_dir": str(folder / "cache")})
    return app, flux


def test_the_page_opens_on_the_big_file(big_app):
    app, _ = big_app
    client = app.server.test_client()
    layout = client.get("/_dash-layout").get_json()
    source = _store_data(layout, "frame-source")
    assert source["frames"] == N and source["shape"] == list(SHAPE)
    assert "120,000 cadences" in str(layout)


@pytest.mark.parametrize("start", [0, 256, N // 2, N - 1])
def test_frame_batches_hold_the_right_frames(big_app, start):
    app, flux = big_app
    client = app.server.test_client()
    source = _store_data(client.get("/_dash-layout").get_json(), "frame-source")
    first = start - start % source["batch"]
    answer = client.get(f"/{source['url']}&start={first}&count={source['batch']}")
    assert answer.status_code == 200
    header, frames = decode_batch(answer.data)
    count = min(source["batch"], N - first)
    assert header["first"] == first and header["count"] == count
    np.testing.assert_array_equal(frames, flux[first:first + count])
    # Cadence numbers (the file's, 7 + frame) in each frame's readout.
    assert [r[0] for r in header["readouts"]] == [str(7 + f) for f in range(first, first + count)]


def test_reopening_the_big_file_uses_the_arrays_already_written(big_app, tmp_path):
    app, flux = big_app
    store = app.store
    tpf = store.get(app.default_file)
    assert isinstance(tpf.flux.base, np.memmap)
    np.testing.assert_array_equal(tpf.flux[N - 1], flux[N - 1])
