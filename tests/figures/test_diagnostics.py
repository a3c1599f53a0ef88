"""Vetting figures: diagnostics panels, the per-pixel grid, difference colours, apertures."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest
from plotly.colors import unlabel_rgb

from dashboard.data.demo import TRUTH, demo_tpf
from dashboard.data.vetting import pixel_lightcurves
from dashboard.figures.diagnostics import (
    diagnostics_figure,
    diagnostics_range_patch,
    difference_levels,
    grid_highlight_patch,
    grid_point_frame,
    pixel_grid_figure,
)
from dashboard.figures.pixels import aperture_outline, aperture_shapes
from dashboard.figures.stretch import DIFFERENCE_COLORMAPS, difference_colorscale
from tests.figures.test_pixels import decode


def operations(patch) -> dict:
    return {tuple(op["location"]): op["params"].get("value")
            for op in patch.to_plotly_json()["operations"]}


@pytest.fixture(scope="module")
def demo():
    return demo_tpf()


# -- diagnostics ---------------------------------------------------------------------------------

def test_diagnostics_panels_share_x_and_point_index_is_frame():
    n = 500
    time = 1000 + 0.02 * np.arange(n)
    time[[10, 11]] = np.nan
    panels = {"Background (e⁻/s)": np.linspace(100, 200, n),
              "Centroid column": np.full(n, 612.25), "Centroid row": np.arange(n) * 0.01}
    figure = diagnostics_figure(time, panels, time_system="BKJD", x_range=[1001.0, 1003.0])
    go.Figure(figure)  # valid against Plotly's schema
    assert len(figure["data"]) == 3
    assert figure["layout"]["meta"] == list(panels)
    for k, (trace, (name, series)) in enumerate(zip(figure["data"], panels.items(), strict=True)):
        assert trace["type"] == "scattergl" and trace["name"] == name
        assert trace["xaxis"] == "x" and trace["yaxis"] == ("y" if k == 0 else f"y{k + 1}")
        x, y = decode(trace["x"]), decode(trace["y"])
        assert len(x) == len(y) == n  # every frame, in file order: pointIndex == frame
        np.testing.assert_array_equal(x, time)
        np.testing.assert_allclose(y, series, rtol=1e-6)
    layout = figure["layout"]
    assert layout["xaxis"]["range"] == [1001.0, 1003.0]
    assert layout["xaxis"]["anchor"] == "y3"  # the time axis sits under the bottom panel
    domains = [layout[key]["domain"] for key in ("yaxis", "yaxis2", "yaxis3")]
    assert domains[0][1] == 1.0 and domains[-1][0] == 0.0
    assert all(upper[0] > lower[1] for upper, lower in zip(domains, domains[1:], strict=False))
    assert layout["clickanywhere"] and layout["clickmode"] == "event"


def test_single_panel_and_autorange():
    figure = diagnostics_figure(np.arange(5.0), {"Background": np.ones(5)}, time_system="BTJD")
    go.Figure(figure)
    assert figure["layout"]["xaxis"]["autorange"] is True
    assert figure["layout"]["xaxis"]["anchor"] == "y"


def test_range_patch_follows_the_light_curve():
    assert operations(diagnostics_range_patch([3, 4.5])) == {
        ("layout", "xaxis", "range"): [3.0, 4.5], ("layout", "xaxis", "autorange"): False}
    assert operations(diagnostics_range_patch(None)) == {("layout", "xaxis", "autorange"): True}


# -- per-pixel grid ------------------------------------------------------------------------------

def test_pixel_grid_is_one_trace_per_row_with_gaps_and_maps_clicks_to_frames(demo):
    curves = pixel_lightcurves(demo)
    sky = np.zeros(demo.shape, dtype=bool)
    sky[0, :] = True
    figure = pixel_grid_figure(curves, target_mask=demo.pipeline_mask, background_mask=sky,
                               column=demo.column, row=demo.row)
    go.Figure(figure)
    points, rows, columns = curves.values.shape
    cell = points + 1
    assert len(figure["data"]) == rows
    for trace in figure["data"]:
        y = decode(trace["y"])
        assert "x" not in trace and trace["dx"] == 1 and len(y) == columns * cell
        assert np.isnan(y[cell - 1::cell]).all()  # a gap closes every cell
    # a click on the cosmic ray's spike in its pixel gives the cosmic ray's frame
    ray = TRUTH["cosmic_ray"]
    i, j = ray["row"], ray["column"]
    y = decode(figure["data"][i]["y"])[j * cell:(j + 1) * cell - 1]
    spike = int(np.argmax(curves.values[:, i, j]))
    assert y[spike] == pytest.approx(i + 0.9)  # drawn at the top of its cell
    assert np.nanmin(y) >= i and np.nanmax(y) <= i + 1  # every curve stays in its cell
    assert grid_point_frame(curves, i, j * cell + spike) == ray["frame"]
    assert grid_point_frame(curves, i, j * cell + points) is None  # the gap
    assert grid_point_frame(curves, rows, 0) is None
    ticks = figure["layout"]["xaxis"]["ticktext"]
    assert ticks[0] == str(demo.column) and len(ticks) == columns
    shapes = figure["layout"]["shapes"]
    assert len(shapes) == demo.pipeline_mask.sum() + sky.sum()
    assert sum(s["line"].get("dash") == "dash" for s in shapes) == sky.sum()
    patch = operations(grid_highlight_patch(curves, demo.pipeline_mask))
    assert list(patch) == [("layout", "shapes")]
    assert len(patch["layout", "shapes"]) == demo.pipeline_mask.sum()


# -- difference image ----------------------------------------------------------------------------

def test_difference_levels_are_symmetric_and_robust():
    rng = np.random.default_rng(0)
    diff = rng.normal(0, 10, (50, 50)).astype(np.float32)
    diff[3, 3] = 1e6  # one cosmic ray must not set the scale
    low, high = difference_levels(diff)
    assert low == -high
    assert high == pytest.approx(np.percentile(np.abs(diff), 99.5))
    assert high < 100
    assert difference_levels(np.zeros((3, 3))) == (-1.0, 1.0)
    assert difference_levels(np.full((3, 3), np.nan)) == (-1.0, 1.0)


@pytest.mark.parametrize("name", sorted(DIFFERENCE_COLORMAPS))
def test_difference_colour_maps_diverge_from_white_or_near_white_zero(name):
    """Every difference map is diverging: its two ends differ in hue and zero (the middle)
    is the palest colour, so 'no change' reads as background."""
    scale = difference_colorscale(name)
    assert scale[0][0] == 0 and scale[-1][0] == 1
    colours = [np.array(unlabel_rgb(c), float) for _, c in scale]
    lightness = [c.sum() for c in colours]
    middle = min(range(len(scale)), key=lambda k: abs(scale[k][0] - 0.5))
    assert lightness[middle] >= 0.95 * max(lightness)
    assert np.abs(colours[0] - colours[-1]).sum() > 60  # two different hues at the ends


def test_the_default_difference_map_is_blue_for_fainter_red_for_brighter():
    scale = difference_colorscale("rdbu")
    low, high = unlabel_rgb(scale[0][1]), unlabel_rgb(scale[-1][1])
    assert low[2] > low[0] and high[0] > high[2]  # negative blue, positive red


# -- aperture outlines ---------------------------------------------------------------------------

def test_aperture_shapes_styles():
    target = np.zeros((5, 5), dtype=bool)
    target[1:3, 1:3] = True
    sky = np.zeros((5, 5), dtype=bool)
    sky[4, :] = True
    shapes = aperture_shapes(target, sky, 100, 200)
    assert [s["path"] for s in shapes] == [aperture_outline(target, 100, 200),
                                           aperture_outline(sky, 100, 200)]
    assert "dash" not in shapes[0]["line"] and shapes[0]["line"]["color"] == "#ff4b4b"
    assert shapes[1]["line"]["dash"] == "dash" and shapes[1]["line"]["color"] != "#ff4b4b"
    assert len(aperture_shapes(target, None, 0, 0)) == 1
    assert aperture_shapes(np.zeros((5, 5), bool), np.zeros((5, 5), bool), 0, 0) == []
    go.Figure({"data": [], "layout": {"shapes": shapes}})
