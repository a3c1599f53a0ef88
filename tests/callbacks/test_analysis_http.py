"""The aperture and re-extraction callbacks over HTTP, as the Dash renderer calls them.

``aperture-edits`` -> ``aperture``: the browser appends every click and selection to a list
and the server replays the whole list; the masks that come back are decoded and compared with
masks built here. ``aperture`` (+ background choice) -> the light curve: the Patch of trace 0's
y is decoded and compared with sums computed here from ``demo_tpf()``'s FLUX and FLUX_BKG.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import requests
from astropy.io import fits

from dashboard.data.demo import COSMIC_RAY, demo_bytes, demo_tpf
from dashboard.data.masks import decode_mask, encode_mask

from .test_http import UPDATE, call, decode_typed_array, find_callback, patch_assignments, walk


@pytest.fixture(scope="module")
def demo():
    return demo_tpf()


@pytest.fixture(scope="module")
def pipeline():
    """Bit 2 of the demo file's APERTURE extension, read with astropy."""
    with fits.open(io.BytesIO(demo_bytes())) as hdus:
        return (hdus["APERTURE"].data & 2) != 0




# --- aperture edits ------------------------------------------------------------------------------

def replay(demo_server, dependencies, layout, edits: list) -> dict:
    """POST the replay as the renderer does for a one-output callback (``outputs`` is then
    one object, not a list), with the session as the page first has it."""
    callback = find_callback(dependencies, "aperture-edits.data", "aperture.data")
    assert callback["output"] == "aperture.data"
    assert [f"{s['id']}.{s['property']}" for s in callback["state"]] == ["session.data"]
    session = next(c for c in walk(layout) if c["props"].get("id") == "session")["props"]["data"]
    payload = {
        "output": callback["output"], "outputs": {"id": "aperture", "property": "data"},
        "inputs": [{"id": "aperture-edits", "property": "data", "value": edits}],
        "changedPropIds": ["aperture-edits.data"],
        "state": [{"id": "session", "property": "data", "value": session}],
    }
    response = requests.post(demo_server.url + UPDATE, json=payload, timeout=60)
    assert response.status_code == 200, response.text
    stored = response.json()["response"]["aperture"]["data"]
    assert set(stored) == {"target", "background"}
    return {which: decode_mask(code, (15, 15)) for which, code in stored.items()}


def pixel(row: int, column: int, which: str = "target") -> dict:
    """A click on stamp pixel (row, column), as the browser records it (CCD x/y)."""
    return {"op": "toggle", "which": which, "x": 612 + column, "y": 408 + row}


def only(*pixels) -> np.ndarray:
    mask = np.zeros((15, 15), dtype=bool)
    for row, column in pixels:
        mask[row, column] = True
    return mask


def test_no_edits_is_the_pipeline_aperture(demo_server, dependencies, layout, pipeline):
    masks = replay(demo_server, dependencies, layout, [])
    assert np.array_equal(masks["target"], pipeline)
    assert not masks["background"].any()
    assert pipeline.sum() == 16


def test_clicks_toggle_pixels_of_the_pipeline_aperture(demo_server, dependencies, layout,
                                                       pipeline):
    assert pipeline[8, 7] and not pipeline[0, 0]
    masks = replay(demo_server, dependencies, layout, [pixel(8, 7), pixel(0, 0)])
    want = pipeline.copy()
    want[8, 7], want[0, 0] = False, True
    assert np.array_equal(masks["target"], want)
    # A second click on a pixel undoes the first; a click off the stamp changes nothing.
    masks = replay(demo_server, dependencies, layout, [pixel(8, 7), pixel(0, 0), pixel(8, 7),
                                                      {"op": "toggle", "which": "target",
                                                       "x": 612 + 15, "y": 408 + 3},
                                                      {"op": "toggle", "which": "target",
                                                       "x": 611, "y": 408}])
    want[8, 7] = True
    assert np.array_equal(masks["target"], want)


def test_clear_then_clicks_and_clicks_near_a_centre(demo_server, dependencies, layout):
    # Clicks report the pixel's centre, but any position within half a pixel is that pixel.
    edits = [{"op": "clear", "which": "target"}, pixel(7, 7), pixel(8, 7),
             {"op": "toggle", "which": "target", "x": 612 + 8 + 0.4, "y": 408 + 7 - 0.4}]
    masks = replay(demo_server, dependencies, layout, edits)
    assert np.array_equal(masks["target"], only((7, 7), (8, 7), (7, 8)))
    masks = replay(demo_server, dependencies, layout, [{"op": "clear", "which": "target"}])
    assert not masks["target"].any()


def test_box_and_lasso_selections(demo_server, dependencies, layout):
    box = {"op": "select", "which": "target",
           "selection": {"range": {"x": [612 + 5.3, 612 + 2.7], "y": [408 + 9.6, 408 + 11.8]}}}
    masks = replay(demo_server, dependencies, layout, [box])
    assert np.array_equal(masks["target"],
                          only(*[(i, j) for i in (10, 11) for j in (3, 4, 5)]))

    # A lasso triangle (no pixel centre on its edges): the centres inside it.
    corners = [(1.5, 1.5), (7, 1.5), (1.5, 7)]  # (column, row) in stamp pixels
    lasso = {"op": "select", "which": "target", "selection": {"lassoPoints": {
        "x": [612 + c for c, _ in corners], "y": [408 + r for _, r in corners]}}}
    masks = replay(demo_server, dependencies, layout, [box, lasso])
    want = only(*[(i, j) for i in range(15) for j in range(15)
                  if j >= 2 and i >= 2 and i + j <= 8])
    assert want.sum() == 15
    assert np.array_equal(masks["target"], want)
    # A selection then a click: the click edits the selected region.
    masks = replay(demo_server, dependencies, layout, [box, pixel(10, 3), pixel(0, 14)])
    assert np.array_equal(masks["target"],
                          only(*[(i, j) for i in (10, 11) for j in (3, 4, 5)
                                 if (i, j) != (10, 3)], (0, 14)))


def test_background_edits_leave_the_target_alone(demo_server, dependencies, layout, pipeline):
    edits = [pixel(0, 0, "background"), pixel(0, 14, "background"), pixel(14, 0, "background"),
             pixel(14, 0, "background")]
    masks = replay(demo_server, dependencies, layout, edits)
    assert np.array_equal(masks["target"], pipeline)
    assert np.array_equal(masks["background"], only((0, 0), (0, 14)))
    masks = replay(demo_server, dependencies, layout,
                   edits + [{"op": "clear", "which": "background"}, pixel(3, 3)])
    assert not masks["background"].any()
    want = pipeline.copy()
    want[3, 3] = True
    assert np.array_equal(masks["target"], want)


# --- re-extraction -------------------------------------------------------------------------------

def extract(demo_server, dependencies, layout, aperture: dict, background: str, **inputs):
    callback = find_callback(dependencies, "aperture.data", "lightcurve.figure")
    state = {"background.value": background, "cadence.value": COSMIC_RAY["frame"], **inputs}
    response = call(demo_server, callback, layout, {"aperture.data": aperture}, state)
    assert response.status_code == 200, response.text
    return response.json()["response"]


def trace0(body: dict) -> np.ndarray:
    ops = patch_assignments(body["lightcurve"]["figure"])
    return decode_typed_array(ops[("data", 0, "y")])


def sums(demo, mask: np.ndarray, cube=None) -> np.ndarray:
    rows, columns = np.nonzero(mask)
    cube = demo.flux if cube is None else cube
    return np.asarray(cube)[:, rows, columns].astype(np.float64).sum(axis=1)


def assert_curve(body, want: np.ndarray):
    y = trace0(body)
    assert y.dtype == np.float32 and y.shape == want.shape
    np.testing.assert_allclose(y, want.astype(np.float32), rtol=1e-6)


def readout_text(body) -> str:
    """The readout's flux for the current frame, as it travels with the heatmap's patch."""
    ops = patch_assignments(body["pixels"]["figure"])
    return ops[("data", 0, "meta")]["readout"][3]


def readout_value(body) -> float:
    return float(readout_text(body).split()[0].replace(",", ""))


@pytest.mark.parametrize("background", ["none", "file"])
def test_three_pixels_with_and_without_flux_bkg(demo_server, dependencies, layout, demo,
                                                background):
    mask = only((7, 7), (8, 7), (7, 8))
    body = extract(demo_server, dependencies, layout, {"target": encode_mask(mask)}, background)
    want = sums(demo, mask)
    if background == "file":
        want = want - sums(demo, mask, demo.flux_bkg)
    assert_curve(body, want)
    note = body["readout-note-3"]["children"]
    assert note.startswith("custom aperture, 3 px")
    assert ("FLUX_BKG subtracted" in note) == (background == "file")
    assert readout_value(body) == pytest.approx(want[COSMIC_RAY["frame"]], abs=0.051)
    # The outline patched into the image is that aperture's.
    shapes = patch_assignments(body["pixels"]["figure"])[("layout", "shapes")]
    assert len(shapes) == 1 and shapes[0]["line"].get("dash") is None


def test_background_pixels_subtract_their_median(demo_server, dependencies, layout, demo,
                                                 pipeline):
    sky = only((0, 0), (0, 14), (14, 0))
    body = extract(demo_server, dependencies, layout,
                   {"target": encode_mask(pipeline), "background": encode_mask(sky)}, "aperture")
    level = np.median(demo.flux[:, [0, 0, 14], [0, 14, 0]].astype(np.float64), axis=1)
    assert_curve(body, sums(demo, pipeline) - pipeline.sum() * level)
    assert body["readout-note-3"]["children"] == ("pipeline aperture, 16 px, background of 3 px "
                                                 "subtracted")
    shapes = patch_assignments(body["pixels"]["figure"])[("layout", "shapes")]
    assert [s["line"].get("dash") for s in shapes] == [None, "dash"]


def test_pipeline_aperture_by_default_and_an_empty_one(demo_server, dependencies, layout, demo,
                                                       pipeline):
    body = extract(demo_server, dependencies, layout, {}, "none")
    assert_curve(body, sums(demo, pipeline))
    assert body["readout-note-3"]["children"] == "pipeline aperture, 16 px"

    empty = np.zeros((15, 15), dtype=bool)
    body = extract(demo_server, dependencies, layout, {"target": encode_mask(empty)}, "none")
    assert np.isnan(trace0(body)).all()
    assert "aperture is empty" in str(body["analysis-notes"]["children"])
    assert readout_text(body) == "no data"

    # Background pixels chosen but none selected: a notice, not an error.
    body = extract(demo_server, dependencies, layout, {"target": encode_mask(pipeline)},
                   "aperture")
    assert np.isnan(trace0(body)).all()
    assert "background aperture is empty" in str(body["analysis-notes"]["children"])


def test_an_aperture_change_sends_the_pixel_grid_only_once(demo_server, dependencies, layout):
    """With the per-pixel grid shown, the first re-extraction builds it for the file; later
    aperture changes send only its highlighted cells (one per aperture pixel), not the grid."""
    session = next(c["props"]["data"] for c in walk(layout) if c["props"].get("id") == "session")
    mask = only((7, 7), (8, 7), (7, 8))
    first = extract(demo_server, dependencies, layout, {"target": encode_mask(mask)}, "none",
                    **{"diagnostic-panels.value": ["pixels"], "grid-file.data": None})
    assert first["grid-file"]["data"] == session["file"]
    assert first["pixel-grid"]["figure"]["data"], "the first time, the whole grid"

    again = extract(demo_server, dependencies, layout, {"target": encode_mask(mask)}, "none",
                    **{"diagnostic-panels.value": ["pixels"],
                       "grid-file.data": session["file"]})
    assert "grid-file" not in again  # unchanged: the grid on the page is still this file's
    ops = patch_assignments(again["pixel-grid"]["figure"])
    assert set(ops) == {("layout", "shapes")}
    assert len(ops[("layout", "shapes")]) == mask.sum()
