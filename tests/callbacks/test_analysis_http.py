"""The aperture and re-extraction over HTTP, as the Dash renderer calls them.

``aperture-edits`` -> the view's owner: the browser appends every click and selection to a
list and the owner replays the whole list; the view's masks that come back are decoded and
compared with masks built here. A view (its aperture and background choice) -> the light
curve: the Patch of trace 0's y is decoded and compared with sums computed here from
``demo_tpf()``'s FLUX and FLUX_BKG; the readout's flux comes from the view's frame batches.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import requests
from astropy.io import fits

from dashboard.data.demo import COSMIC_RAY, demo_bytes, demo_tpf
from dashboard.data.masks import decode_mask, encode_mask
from dashboard.figures.frame_batch import decode_batch

from .test_http import call, decode_typed_array, default_view, find_callback, patch_assignments


@pytest.fixture(scope="module")
def demo():
    return demo_tpf()


@pytest.fixture(scope="module")
def pipeline():
    """Bit 2 of the demo file's APERTURE extension, read with astropy."""
    with fits.open(io.BytesIO(demo_bytes())) as hdus:
        return (hdus["APERTURE"].data & 2) != 0




# --- aperture edits ------------------------------------------------------------------------------

def replay(demo_server, dependencies, layout, ops: list) -> dict:
    """The masks of the view the owner makes of these edits (as the page first has it)."""
    callback = find_callback(dependencies, "aperture-edits.data", "view.data")
    view = default_view(layout)
    response = call(demo_server, callback, layout,
                    {"aperture-edits.data": {"epoch": view["epoch"], "ops": ops}})
    assert response.status_code == 200, response.text
    body = response.json()["response"]
    state = body["view"]["data"]["state"] if "view" in body else view["state"]
    own = demo_tpf().pipeline_mask  # a view naming no aperture uses the file's own
    return {"target": decode_mask(state["aperture"], (15, 15)) if state["aperture"] else own,
            "background": decode_mask(state["sky"], (15, 15)) if state["sky"]
            else np.zeros((15, 15), bool), "named": state["aperture"] is not None}


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
    assert not masks["named"]  # the view names no aperture: the file's own (a short link)
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

def view_with(layout, **state) -> dict:
    view = default_view(layout)
    return {**view, "state": {**view["state"], **state}}


def extract(demo_server, dependencies, layout, background: str, aperture=None, sky=None,
            **state) -> dict:
    """What the page gets for a view with this aperture (None: the file's own) and background:
    the light curve's patch, the frame source and the readout of the cosmic ray's frame from
    its batch, the heatmap's patch and the notes."""
    view = view_with(layout, aperture=aperture, sky=sky, background=background, **state)
    out = {}
    # What the page last drew: the same file, so changes come as Patches.
    drawn = {"lightcurve-drawn.data": {"file": view["state"]["file"]},
             "pixels-drawn.data": {"file": view["state"]["file"], "frame": 0}}
    for output in ("lightcurve.figure", "frame-source.data", "analysis-notes.children",
                   "pixels.figure"):
        callback = find_callback(dependencies, "view.data", output)
        response = call(demo_server, callback, layout, {"view.data": view}, drawn)
        assert response.status_code in (200, 204), response.text
        if response.status_code == 200:
            out.update(response.json()["response"])
    source = out["frame-source"]["data"]
    batch = requests.get(f"{demo_server.url}/{source['url']}&start={COSMIC_RAY['frame']}"
                         "&count=1", timeout=30)
    out["readout"] = decode_batch(batch.content)[0]["readouts"][0]
    return out


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


def readout_value(body) -> float:
    return float(body["readout"][3].split()[0].replace(",", ""))


def shapes(body) -> list:
    return patch_assignments(body["pixels"]["figure"])[("layout", "shapes")]


@pytest.mark.parametrize("background", ["none", "file"])
def test_three_pixels_with_and_without_flux_bkg(demo_server, dependencies, layout, demo,
                                                background):
    mask = only((7, 7), (8, 7), (7, 8))
    body = extract(demo_server, dependencies, layout, background, encode_mask(mask))
    want = sums(demo, mask)
    if background == "file":
        want = want - sums(demo, mask, demo.flux_bkg)
    assert_curve(body, want)
    note = body["frame-source"]["data"]["aperture"]
    assert note.startswith("your aperture, 3 px")
    assert ("FLUX_BKG subtracted" in note) == (background == "file")
    assert readout_value(body) == pytest.approx(want[COSMIC_RAY["frame"]], abs=0.051)
    # The outline patched into the image is that aperture's.
    assert len(shapes(body)) == 1 and shapes(body)[0]["line"].get("dash") is None


def test_background_pixels_subtract_their_median(demo_server, dependencies, layout, demo,
                                                 pipeline):
    sky = only((0, 0), (0, 14), (14, 0))
    body = extract(demo_server, dependencies, layout, "aperture", None, encode_mask(sky))
    level = np.median(demo.flux[:, [0, 0, 14], [0, 14, 0]].astype(np.float64), axis=1)
    assert_curve(body, sums(demo, pipeline) - pipeline.sum() * level)
    assert body["frame-source"]["data"]["aperture"] == \
        "pipeline aperture, 16 px, background of 3 px subtracted"
    assert [s["line"].get("dash") for s in shapes(body)] == [None, "dash"]


def test_pipeline_aperture_by_default_and_an_empty_one(demo_server, dependencies, layout, demo,
                                                       pipeline):
    body = extract(demo_server, dependencies, layout, "none")
    assert_curve(body, sums(demo, pipeline))
    assert body["frame-source"]["data"]["aperture"] == "pipeline aperture, 16 px"

    empty = np.zeros((15, 15), dtype=bool)
    body = extract(demo_server, dependencies, layout, "none", encode_mask(empty))
    assert np.isnan(trace0(body)).all()
    assert "aperture is empty" in str(body["analysis-notes"]["children"])
    assert body["readout"][3] == "no data"

    # Background pixels chosen but none selected: a notice, not an error.
    body = extract(demo_server, dependencies, layout, "aperture")
    assert np.isnan(trace0(body)).all()
    assert "background aperture is empty" in str(body["analysis-notes"]["children"])


def test_an_aperture_change_sends_the_pixel_grid_only_once(demo_server, dependencies, layout):
    """With the per-pixel grid shown, the first drawing builds it for the file; later aperture
    changes send only its highlighted cells (one per aperture pixel), not the grid."""
    mask = only((7, 7), (8, 7), (7, 8))
    callback = find_callback(dependencies, "view.data", "pixel-grid.figure")
    view = view_with(layout, aperture=encode_mask(mask), panels=["pixels"])
    first = call(demo_server, callback, layout, {"view.data": view}).json()["response"]
    drawn = first["diagnostics-drawn"]["data"]
    assert drawn["grid"] == view["state"]["file"]
    assert first["pixel-grid"]["figure"]["data"], "the first time, the whole grid"
    assert first["pixel-grid-wrap"]["hidden"] is False

    other = only((7, 7), (8, 7))
    view = view_with(layout, aperture=encode_mask(other), panels=["pixels"])
    again = call(demo_server, callback, layout, {"view.data": view},
                 {"diagnostics-drawn.data": drawn}).json()["response"]
    ops = patch_assignments(again["pixel-grid"]["figure"])
    assert set(ops) == {("layout", "shapes")}
    assert len(ops[("layout", "shapes")]) == other.sum()
