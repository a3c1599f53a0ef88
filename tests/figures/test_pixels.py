"""The pixel frame figure: typed arrays, CCD axes, the aperture outline and the patches."""

from __future__ import annotations

import base64
import re
from collections import Counter

import numpy as np
import pytest

from dashboard.figures.encoding import typed_array
from dashboard.figures.pixels import (
    Look,
    aperture_outline,
    aperture_shapes,
    image_patch,
    look_patch,
    outline_patch,
    pixel_figure,
)
from dashboard.figures.stretch import stretched_colorscale

NUMPY_DTYPE = {"f4": "<f4", "f8": "<f8", "i4": "<i4", "i2": "<i2", "i1": "i1",
               "u4": "<u4", "u2": "<u2", "u1": "u1"}


def decode(spec: dict) -> np.ndarray:
    """A typed-array spec back to numpy, as plotly.js would read it (little-endian)."""
    values = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=NUMPY_DTYPE[spec["dtype"]])
    if "shape" in spec:
        values = values.reshape([int(n) for n in spec["shape"].split(",")])
    return values


# -- typed arrays --------------------------------------------------------------------------------

def test_typed_array_round_trip_2d():
    """A 2-D float32 frame decodes to the same values; shape is the string 'rows, cols'."""
    frame = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    spec = typed_array(frame)
    assert spec["dtype"] == "f4"
    assert spec["shape"] == "3, 4"
    assert isinstance(spec["bdata"], str)
    np.testing.assert_array_equal(decode(spec), frame)


def test_typed_array_1d_has_no_shape():
    """1-D arrays carry no shape (plotly.js takes their length from the bytes)."""
    spec = typed_array(np.arange(5, dtype=np.float64))
    assert "shape" not in spec and spec["dtype"] == "f8"
    np.testing.assert_array_equal(decode(spec), np.arange(5.0))


@pytest.mark.parametrize("dtype, code", [(">f4", "f4"), (">f8", "f8"), (">i4", "i4"),
                                         (">i2", "i2"), (">u2", "u2")])
def test_big_endian_input_becomes_little_endian(dtype, code):
    """FITS data is big-endian; the bytes sent are little-endian with the same values."""
    values = np.array([[1.5, -2.0, 3.0], [4.0, 100.0, 0.0]]).astype(dtype)
    spec = typed_array(values)
    assert spec["dtype"] == code
    raw = base64.b64decode(spec["bdata"])
    assert raw == values.astype(values.dtype.newbyteorder("<")).tobytes()
    np.testing.assert_array_equal(decode(spec), values)


def test_int64_is_sent_as_int32():
    """plotly.js has no int64 typed array: cadence numbers travel as int32."""
    spec = typed_array(np.array([5000, 5001, 2**31 - 1], dtype=np.int64))
    assert spec["dtype"] == "i4"
    np.testing.assert_array_equal(decode(spec), [5000, 5001, 2**31 - 1])


def test_nan_survives_the_round_trip():
    """Missing pixels stay NaN (drawn as gaps)."""
    frame = np.array([[np.nan, 1.0], [2.0, np.inf]], dtype=np.float32)
    np.testing.assert_array_equal(decode(typed_array(frame)), frame)


# -- the figure ----------------------------------------------------------------------------------

LOOK = Look(1.0, 9.0, stretched_colorscale("linear"))


def figure(frame=None, aperture=None, column=655, row=242, index=3, background=None):
    frame = np.arange(12, dtype=np.float32).reshape(3, 4) if frame is None else frame
    aperture = np.zeros(frame.shape, dtype=bool) if aperture is None else aperture
    return pixel_figure(frame, LOOK, column=column, row=row, target=aperture,
                        background=background, file="0123456789abcdef0123", frame=index)


def test_pixel_figure_axes_are_ccd_columns_and_rows():
    """Pixel (i, j) is drawn at CCD (column + j, row + i); pixels are square."""
    frame = np.arange(12, dtype=np.float32).reshape(3, 4).astype(">f4")
    fig = figure(frame)
    heatmap = fig["data"][0]
    assert heatmap["type"] == "heatmap"
    assert (heatmap["x0"], heatmap["y0"], heatmap["dx"], heatmap["dy"]) == (655, 242, 1, 1)
    np.testing.assert_array_equal(decode(heatmap["z"]), frame)
    assert heatmap["z"]["shape"] == "3, 4"
    assert (heatmap["zmin"], heatmap["zmax"]) == (1.0, 9.0)
    assert heatmap["colorscale"] == stretched_colorscale("linear")
    assert heatmap["meta"] == {"file": "0123456789abcdef0123", "frame": 3}  # what z holds
    layout = fig["layout"]
    assert layout["yaxis"]["scaleanchor"] == "x" and layout["yaxis"]["scaleratio"] == 1
    assert layout["xaxis"]["range"] == [654.5, 658.5]
    assert layout["yaxis"]["range"] == [241.5, 244.5]
    # The browser restores these on a new file (plotly.js keeps the last stamp's otherwise).
    assert layout["meta"]["ranges"] == {"x": [654.5, 658.5], "y": [241.5, 244.5]}
    assert layout["uirevision"] == "0123456789abcdef0123"


def test_one_invisible_marker_makes_the_image_selectable():
    """Box and lasso select need a selectable trace (Plotly offers none on a heatmap alone):
    trace 1 is one invisible marker on the first pixel's centre, whatever the stamp's size
    (a marker per pixel slowed every heatmap redraw)."""
    for shape in ((3, 4), (1287, 11)):
        markers = pixel_figure(np.zeros(shape, np.float32), LOOK, column=655, row=242,
                               target=np.ones(shape, bool))["data"][1]
        assert markers["type"] == "scatter" and markers["mode"] == "markers"
        assert (markers["x"], markers["y"]) == ([655], [242])
        assert markers["marker"]["opacity"] == 0 and markers["hoverinfo"] == "skip"


def test_pixel_figure_without_aperture_has_no_outline():
    """An empty aperture draws no shape at all."""
    assert figure()["layout"]["shapes"] == []


# -- the aperture outline ------------------------------------------------------------------------

_SEGMENT = re.compile(r"M(-?[\d.]+),(-?[\d.]+)([HV])(-?[\d.]+)")


def edges(path: str) -> list[frozenset]:
    """The unit edges of an outline path, each as the set of its two end points."""
    assert _SEGMENT.sub("", path) == "", f"unexpected path syntax: {path!r}"
    result = []
    for x, y, kind, end in _SEGMENT.findall(path):
        x, y, end = float(x), float(y), float(end)
        result.append(frozenset({(x, y), (end, y) if kind == "H" else (x, end)}))
    return result


def boundary(mask: np.ndarray, column: int, row: int) -> set[frozenset]:
    """Boundary edges computed here: sides of aperture pixels facing a non-aperture pixel."""
    found = set()
    rows, cols = mask.shape
    for i, j in zip(*np.nonzero(mask), strict=True):
        x, y = column + j, row + i
        for di, dj, edge in (
            (-1, 0, {(x - .5, y - .5), (x + .5, y - .5)}),
            (1, 0, {(x - .5, y + .5), (x + .5, y + .5)}),
            (0, -1, {(x - .5, y - .5), (x - .5, y + .5)}),
            (0, 1, {(x + .5, y - .5), (x + .5, y + .5)}),
        ):
            ii, jj = i + di, j + dj
            if not (0 <= ii < rows and 0 <= jj < cols and mask[ii, jj]):
                found.add(frozenset(edge))
    return found


def perimeter(mask: np.ndarray) -> int:
    """Edge count of the outline: 4 per pixel minus 2 per pair of touching pixels."""
    mask = mask.astype(int)
    touching = (mask[1:, :] & mask[:-1, :]).sum() + (mask[:, 1:] & mask[:, :-1]).sum()
    return 4 * mask.sum() - 2 * touching


def test_single_pixel_outline_is_its_square():
    """One aperture pixel at (1, 2) is outlined by the four sides of its square on CCD axes."""
    mask = np.zeros((3, 4), dtype=bool)
    mask[1, 2] = True
    found = edges(aperture_outline(mask, 655, 242))
    x, y = 657, 243
    assert sorted(found, key=sorted) == sorted([
        frozenset({(x - .5, y - .5), (x + .5, y - .5)}),
        frozenset({(x - .5, y + .5), (x + .5, y + .5)}),
        frozenset({(x - .5, y - .5), (x - .5, y + .5)}),
        frozenset({(x + .5, y - .5), (x + .5, y + .5)}),
    ], key=sorted)


def test_l_shape_outline():
    """An L of three pixels has 8 outline edges and none between its own pixels."""
    mask = np.zeros((3, 3), dtype=bool)
    mask[0, 0] = mask[1, 0] = mask[1, 1] = True
    found = edges(aperture_outline(mask, 0, 0))
    assert len(found) == 8 == len(set(found))
    assert set(found) == {
        frozenset({(-.5, -.5), (.5, -.5)}),  # top of (0,0)
        frozenset({(-.5, -.5), (-.5, .5)}),  # left of (0,0)
        frozenset({(.5, -.5), (.5, .5)}),  # right of (0,0)
        frozenset({(-.5, .5), (-.5, 1.5)}),  # left of (1,0)
        frozenset({(-.5, 1.5), (.5, 1.5)}),  # bottom of (1,0)
        frozenset({(.5, 1.5), (1.5, 1.5)}),  # bottom of (1,1)
        frozenset({(1.5, .5), (1.5, 1.5)}),  # right of (1,1)
        frozenset({(.5, .5), (1.5, .5)}),  # top of (1,1)
    }
    assert frozenset({(-.5, .5), (.5, .5)}) not in found  # shared side of (0,0) and (1,0)


@pytest.mark.parametrize("seed", range(5))
def test_outline_traces_exactly_the_boundary(seed):
    """For irregular apertures touching the stamp edge, the outline is exactly the boundary:
    one segment per perimeter edge, no duplicates, and every corner joins an even number of
    edges (closed loops)."""
    mask = np.random.default_rng(seed).random((6, 7)) < 0.45
    mask[0, 0] = mask[5, 6] = True
    found = edges(aperture_outline(mask, 100, 200))
    assert len(found) == perimeter(mask) == len(set(found))
    assert set(found) == boundary(mask, 100, 200)
    corners = Counter(point for edge in found for point in edge)
    assert all(count % 2 == 0 for count in corners.values())


def test_outline_in_the_figure():
    """The figure's aperture shape is the outline path, drawn above the pixels."""
    mask = np.zeros((3, 4), dtype=bool)
    mask[1, 1:3] = True
    fig = figure(aperture=mask)
    (shape,) = fig["layout"]["shapes"]
    assert shape["type"] == "path" and shape["layer"] == "above"
    assert set(edges(shape["path"])) == boundary(mask, 655, 242)


# -- patches -------------------------------------------------------------------------------------

def operations(patch) -> list[dict]:
    return patch.to_plotly_json()["operations"]


def test_image_patch_changes_only_z_and_what_it_holds():
    """Stepping a cadence sends only the new pixel values and which file and frame they are."""
    frame = np.random.default_rng(1).normal(size=(5, 3)).astype(">f4")
    ops = operations(image_patch(frame, "0123456789abcdef0123", 17))
    by_location = {tuple(op["location"]): op for op in ops}
    assert set(by_location) == {("data", 0, "z"), ("data", 0, "meta")}
    assert all(op["operation"] == "Assign" for op in ops)
    z = by_location["data", 0, "z"]["params"]["value"]
    assert z["shape"] == "5, 3"
    np.testing.assert_array_equal(decode(z), frame)
    assert by_location["data", 0, "meta"]["params"]["value"] == {
        "file": "0123456789abcdef0123", "frame": 17}


def test_look_patch_changes_only_the_colour_mapping():
    """A stretch or colour-map change sends zmin, zmax, the colour scale and the bar's unit,
    never the pixels."""
    look = Look(10.0, 250.0, stretched_colorscale("sqrt", "gray"), "Δ e⁻/s")
    ops = operations(look_patch(look))
    by_location = {tuple(op["location"]): op for op in ops}
    assert set(by_location) == {("data", 0, "zmin"), ("data", 0, "zmax"),
                                ("data", 0, "colorscale"),
                                ("data", 0, "colorbar", "title", "text")}
    assert by_location["data", 0, "zmin"]["params"]["value"] == 10.0
    assert by_location["data", 0, "zmax"]["params"]["value"] == 250.0
    scale = by_location["data", 0, "colorscale"]["params"]["value"]
    assert scale[0] == [0.0, "rgb(0, 0, 0)"] and scale[-1][0] == 1.0  # gray: black to white
    assert by_location["data", 0, "colorbar", "title", "text"]["params"]["value"] == "Δ e⁻/s"


def test_outline_patch_moves_the_outlines_and_clears_the_selection():
    target = np.zeros((3, 4), bool)
    target[1, 1] = True
    sky = np.zeros((3, 4), bool)
    sky[0, :] = True
    ops = {tuple(op["location"]): op["params"]["value"]
           for op in operations(outline_patch(target, sky, 655, 242))}
    assert ops["layout", "shapes"] == aperture_shapes(target, sky, 655, 242)
    assert ops["layout", "selections"] == [] and ops["data", 1, "selectedpoints"] is None
    solid, dashed = ops["layout", "shapes"]
    assert set(edges(solid["path"])) == boundary(target, 655, 242)
    assert set(edges(dashed["path"])) == boundary(sky, 655, 242)
    assert dashed["line"]["dash"] == "dash"
