"""The vetting tools that decide what the light curve sums, as a user drives them on the demo:
aperture clicks and box selection, background subtraction and the quality mask.

Every test opens its own page on the shared demo server (a page's aperture, mask and panels live
in that page). Expected numbers are computed here from ``demo_tpf()``'s FLUX, FLUX_BKG and
QUALITY, not with the app's own vetting functions; what is compared is what plotly.js holds
(``gd._fullData``, ``gd._fullLayout``) and what the readout says, read with the helpers of
``vetting_page.py``. The diagnostics panels, the difference image and the per-pixel grid are in
``test_vetting_panels.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.data.demo import COSMIC_RAY, TRUTH

from .vetting_page import (
    GRAPH_POINT,
    NO_DOUBLE_CLICK,
    SHAPES,
    aperture_sum,
    boundary,
    choose_dropdown,
    choose_radio,
    click_pixel,
    curve_y,
    go_to,
    outline_edges,
    press,
    steady,
    text,
    tick,
    trace,
    wait_curve,
    wait_outline,
    wait_readout_flux,
    wait_text,
)
from .viewer_page import blur, wait_frame, wait_until

pytestmark = pytest.mark.browser


# --- aperture ------------------------------------------------------------------------------------

def test_clear_then_click_three_pixels(page, demo):
    press(page, "#aperture-clear")
    # An empty aperture: a clear notice and no curve, not a broken plot.
    wait_text(page, "#analysis-notes", "aperture is empty")
    wait_until(lambda: np.isnan(curve_y(page)).all(), message="empty aperture to blank the curve")
    wait_until(lambda: page.evaluate(SHAPES) == [], message="outline to go")
    assert text(page, "#readout-flux-note") == "your aperture, 0 px"

    chosen = {(7, 7), (8, 7), (7, 8)}  # (8, 7) has the cosmic ray at frame 1234
    for row, column in sorted(chosen):
        click_pixel(page, demo, row, column)
    wait_outline(page, demo, chosen)
    wait_text(page, "#readout-flux-note", r"^your aperture, 3 px$")
    want = aperture_sum(demo, chosen)
    wait_curve(page, want)
    assert "aperture is empty" not in text(page, "#analysis-notes")
    # The readout's flux is the same sum, at the selected cadence, and follows a step.
    wait_readout_flux(page, want[0])
    go_to(page, demo, COSMIC_RAY["frame"])
    wait_readout_flux(page, want[COSMIC_RAY["frame"]])
    assert want[COSMIC_RAY["frame"]] - np.median(want) > 0.8 * COSMIC_RAY["flux"]

    # A second click on a chosen pixel takes it out again.
    click_pixel(page, demo, 7, 8)
    chosen.discard((7, 8))
    wait_outline(page, demo, chosen)
    wait_curve(page, aperture_sum(demo, chosen))
    wait_text(page, "#readout-flux-note", r"^your aperture, 2 px$")
    wait_readout_flux(page, aperture_sum(demo, chosen)[COSMIC_RAY["frame"]])


MODEBAR = """(id) => Array.from(document.querySelectorAll('#' + id + ' .modebar-btn'))
  .map(b => b.getAttribute('data-title'))"""


def test_the_toolbars_offer_selection_on_the_image_and_send_nothing_out(page):
    """Box and lasso select on the image's toolbar (they set the aperture); no button on
    either graph sends the figure to an outside service."""
    for graph in ("pixels", "lightcurve"):
        page.hover(f"#{graph} .js-plotly-plot")
        page.wait_for_function(f"() => document.querySelectorAll('#{graph} .modebar-btn').length")
        titles = page.evaluate(MODEBAR, graph)
        assert not [t for t in titles if "Share" in t or "Chart Studio" in t or "Cloud" in t]
        if graph == "pixels":
            assert "Box Select" in titles and "Lasso Select" in titles, titles


def select_with_the_toolbar(page, tool: str) -> None:
    page.hover("#pixels .js-plotly-plot")
    page.click(f"#pixels .modebar-btn[data-title='{tool}']")
    mode = "select" if tool == "Box Select" else "lasso"
    page.wait_for_function("() => document.querySelector('#pixels .js-plotly-plot')"
                           f"._fullLayout.dragmode === '{mode}'")


def test_box_select_takes_the_pixels_whose_centres_are_inside(page, demo, pipeline):
    select_with_the_toolbar(page, "Box Select")
    # A box from column 2.5 to 5.5 and row 9.5 to 11.5 (stamp pixels): centres of columns 3-5,
    # rows 10-11 are inside, and every centre is half a pixel from the box's edges.
    x0, x1 = demo.column + 2.5, demo.column + 5.5
    y0, y1 = demo.row + 9.5, demo.row + 11.5
    steady(page, "pixels")
    a = page.evaluate(GRAPH_POINT, ["pixels", x0, y0, 0])
    b = page.evaluate(GRAPH_POINT, ["pixels", x1, y1, 0])
    page.wait_for_function(NO_DOUBLE_CLICK, arg="pixels")
    page.mouse.move(a["x"], a["y"])
    page.mouse.down()
    page.mouse.move((a["x"] + b["x"]) / 2, (a["y"] + b["y"]) / 2, steps=4)
    page.mouse.move(b["x"], b["y"], steps=4)
    page.mouse.up()

    chosen = {(i, j) for i in range(demo.shape[0]) for j in range(demo.shape[1])
              if x0 <= demo.column + j <= x1 and y0 <= demo.row + i <= y1}
    assert chosen == {(i, j) for i in (10, 11) for j in (3, 4, 5)}
    wait_outline(page, demo, chosen)
    wait_text(page, "#readout-flux-note", r"^your aperture, 6 px$")
    want = aperture_sum(demo, chosen)
    wait_curve(page, want)
    wait_readout_flux(page, want[0])
    # The finished selection box is cleared from the image (the outline shows the result).
    wait_until(lambda: page.evaluate(
        "() => document.querySelector('#pixels .js-plotly-plot')._fullLayout.selections.length"
    ) == 0, message="the selection box to be cleared")

    # "Pipeline aperture" brings the pipeline's back.
    press(page, "#aperture-reset")
    wait_outline(page, demo, pipeline)
    wait_text(page, "#readout-flux-note", r"^pipeline aperture, 16 px$")
    wait_curve(page, aperture_sum(demo, pipeline))


# --- background ----------------------------------------------------------------------------------

def test_background_from_flux_bkg_and_from_background_pixels(page, demo, pipeline):
    wait_outline(page, demo, pipeline)
    raw = aperture_sum(demo, pipeline)
    wait_curve(page, raw)

    choose_radio(page, "background", "file")
    rows, columns = zip(*sorted(pipeline), strict=True)
    bkg = demo.flux_bkg[:, list(rows), list(columns)].astype(np.float64).sum(axis=1)
    want = raw - bkg
    assert np.all(bkg > 100 * len(pipeline))  # the sky is really there to subtract
    wait_curve(page, want)
    wait_text(page, "#readout-flux-note", "FLUX_BKG subtracted")
    wait_readout_flux(page, want[0])

    # Background pixels: two corners of the stamp, outlined dashed as a second shape.
    choose_radio(page, "select-mode", "background")
    sky = {(0, 0), (0, 14)}  # bottom corners (the toolbar sits over the top right one)
    for row, column in sorted(sky):
        click_pixel(page, demo, row, column)
    shapes = wait_outline(page, demo, sky, index=1)
    assert len(shapes) == 2
    assert shapes[1]["dash"] == "dash" and shapes[0]["dash"] == "solid"
    assert shapes[1]["color"] != shapes[0]["color"]
    assert outline_edges(shapes[0]["path"]) == boundary(pipeline, demo.column, demo.row)
    # Still FLUX_BKG until the background choice says otherwise.
    wait_curve(page, want)

    choose_radio(page, "background", "aperture")
    level = np.median(demo.flux[:, [0, 0], [0, 14]].astype(np.float64), axis=1)
    want = raw - len(pipeline) * level
    wait_curve(page, want)
    wait_text(page, "#readout-flux-note",
              r"pipeline aperture, 16 px, background of 2 px subtracted")
    wait_readout_flux(page, want[0])


# --- quality mask --------------------------------------------------------------------------------

def marks_count(page) -> int:
    return page.evaluate(
        "() => document.querySelector('#lightcurve .js-plotly-plot')._fullData[1].x.length")


def test_quality_mask_skip_and_hide(page, demo, pipeline):
    firing = (demo.quality & 1048576) != 0
    assert np.array_equal(np.flatnonzero(firing),
                          np.arange(0, demo.n_cadences, TRUTH["thruster_every"]))
    assert marks_count(page) == firing.sum()  # 'default' marks the firings

    tick(page, "skip-masked", "skip")
    # The box is part of the view (callbacks/view.py): stepping skips once the server's answer
    # (frame-source) reaches the page's owner, one round trip after the tick. Under a loaded CI
    # a key pressed before then was taken as an ordinary step.
    wait_until(lambda: page.evaluate("() => window.tpf.view.owner().state.skip"),
               message="the view's owner to skip masked cadences")
    go_to(page, demo, 23)
    blur(page)
    page.keyboard.press("ArrowRight")
    wait_frame(page, demo, 25)  # 24 is a thruster firing: skipped
    page.keyboard.press("ArrowLeft")
    wait_frame(page, demo, 23)
    page.click("#next")
    wait_frame(page, demo, 25)
    page.keyboard.press("Shift+ArrowLeft")  # ten shown cadences back: 24 is not counted
    wait_frame(page, demo, 14)
    page.keyboard.press("ArrowLeft")
    wait_frame(page, demo, 13)
    page.keyboard.press("ArrowLeft")
    wait_frame(page, demo, 11)  # over 12

    choose_dropdown(page, "quality-mask", "none")
    wait_until(lambda: marks_count(page) == 0, message="no masked marks with 'none'")
    go_to(page, demo, 23)
    blur(page)
    page.keyboard.press("ArrowRight")
    wait_frame(page, demo, 24)
    page.keyboard.press("ArrowRight")
    wait_frame(page, demo, 25)

    choose_dropdown(page, "quality-mask", "default")
    wait_until(lambda: marks_count(page) == firing.sum())
    choose_radio(page, "masked-display", "hide")
    raw = aperture_sum(demo, pipeline)
    want = np.where(firing, np.nan, raw)
    wait_curve(page, want)
    assert marks_count(page) == 0
    assert trace(page, "lightcurve", 1)["y"].size == 0

    choose_radio(page, "masked-display", "mark")
    wait_curve(page, raw)
    marks = trace(page, "lightcurve", 1)
    assert np.allclose(marks["x"], demo.time[firing])
    assert [c[0] for c in marks["customdata"]] == np.flatnonzero(firing).tolist()
