"""The viewer as a user drives it: keys, clicks on the light curve, play and stretch.

Each test opens its own page (fresh browser context) on the shared demo server. Assertions are on
what the page shows: the slider handle's aria-valuenow, the red cursor's data-frame, the
readout's text and the heatmap's decoded pixels (plotly.js keeps those in ``gd._fullData``),
read with the helpers of ``viewer_page.py``. Waits poll real conditions with timeouts.
The ``open_page`` fixture fails a test that logged any page error or console error. Uploads are
in ``test_viewer_uploads.py``.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from dashboard.data.demo import COSMIC_RAY, TRUTH, asteroid_position

from .viewer_page import (
    CURVE_POINT,
    assert_settled,
    blur,
    click_curve,
    heatmap,
    readings,
    slider_value,
    tab,
    wait_frame,
    wait_pixels,
    wait_until,
    zoom_curve,
)

pytestmark = pytest.mark.browser


# --- keys ----------------------------------------------------------------------------------------

def test_keys_step_exactly(page, demo):
    # Nothing pressed yet: the readout shows frame 0, and the red cursor marks it.
    assert_settled(page, wait_frame(page, demo, 0))
    where = page.evaluate(CURVE_POINT, [0, None, None])
    box = page.locator("#cursor").bounding_box()
    assert abs(box["x"] + box["width"] / 2 - where["x"]) <= 2

    blur(page)  # keys anywhere on the page: the body has focus
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert_settled(page, wait_frame(page, demo, 3))

    page.keyboard.press("Shift+ArrowRight")
    assert_settled(page, wait_frame(page, demo, 13))

    page.keyboard.press("ArrowLeft")
    wait_frame(page, demo, 12)

    page.keyboard.press("End")
    wait_frame(page, demo, demo.n_cadences - 1)
    assert page.text_content("#readout-frame-note") == f"0-based, of {demo.n_cadences:,}"

    page.keyboard.press("Home")
    assert_settled(page, wait_frame(page, demo, 0))

    # With the slider's own handle focused, one press is still one cadence (not two).
    page.focus("#cadence [role=slider]")
    assert page.evaluate("() => document.activeElement.getAttribute('role')") == "slider"
    page.keyboard.press("ArrowRight")
    assert_settled(page, wait_frame(page, demo, 1), duration=0.6)
    page.keyboard.press("ArrowRight")
    assert_settled(page, wait_frame(page, demo, 2), duration=0.6)
    page.keyboard.press("ArrowLeft")
    assert_settled(page, wait_frame(page, demo, 1), duration=0.6)


def test_keys_step_after_choosing_a_radio_or_a_checkbox(page, demo):
    """A chosen radio (the scale) or ticked box keeps the focus, but arrow keys still step the
    cadence and do not change the choice; in a text field they are the field's."""
    tab(page, "image")
    page.click("#scale label:has-text('linear')")
    assert page.evaluate("() => document.activeElement.type") == "radio"
    page.keyboard.press("ArrowRight")
    assert_settled(page, wait_frame(page, demo, 1))
    assert page.is_checked("#scale input[value=linear]")  # not moved on to 'log'
    tab(page, "quality")
    page.click("#skip-masked input")
    page.keyboard.press("ArrowRight")
    wait_frame(page, demo, 2)
    tab(page, "image")
    page.click("#difference-n")
    page.keyboard.press("End")
    page.keyboard.press("ArrowLeft")
    assert_settled(page, wait_frame(page, demo, 2))  # the number field took them


# --- clicks on the light curve -------------------------------------------------------------------

def test_click_cosmic_ray_point_shows_its_frame(page, demo):
    frame = TRUTH["cosmic_ray"]["frame"]
    where = page.evaluate(CURVE_POINT, [frame, None, None])
    click_curve(page, where, demo.time[frame])

    assert_settled(page, wait_frame(page, demo, frame))
    drawn = wait_pixels(page, demo.flux[frame])
    row, column = np.unravel_index(np.nanargmax(drawn["z"]), drawn["z"].shape)
    assert (row, column) == (COSMIC_RAY["row"], COSMIC_RAY["column"])

    # The cursor line sits on the clicked point.
    box = page.locator("#cursor").bounding_box()
    assert abs(box["x"] + box["width"] / 2 - where["x"]) <= 2


def test_zoomed_clicks_on_a_point_and_on_empty_area(page, demo):
    frame = TRUTH["asteroid"]["first_frame"] + 10  # the asteroid is well away from the star
    # Zoom the time axis so that neighbouring cadences are several pixels apart on screen.
    zoomed = zoom_curve(page, frame - 20, frame + 20)
    step = (page.evaluate(CURVE_POINT, [frame + 1, None, None])["x"]
            - page.evaluate(CURVE_POINT, [frame, None, None])["x"])
    assert step >= 8, f"zoom too shallow: {step:.1f} px between cadences"

    # Click the point of a cadence during the asteroid's crossing: the image shows the asteroid.
    where = page.evaluate(CURVE_POINT, [frame, None, None])
    click_curve(page, where, demo.time[frame])
    assert_settled(page, wait_frame(page, demo, frame))
    drawn = wait_pixels(page, demo.flux[frame])
    row, column = asteroid_position(frame)
    star = TRUTH["star"]
    z = drawn["z"].copy()
    rr, cc = np.mgrid[:z.shape[0], :z.shape[1]]
    z[(rr - star["row"]) ** 2 + (cc - star["column"]) ** 2 < 3.5 ** 2] = np.nan
    peak = np.unravel_index(np.nanargmax(z), z.shape)  # the brightest thing away from the star
    assert abs(peak[0] - row) <= 1 and abs(peak[1] - column) <= 1, (peak, (row, column))
    box = page.locator("#cursor").bounding_box()
    assert abs(box["x"] + box["width"] / 2 - where["x"]) <= 2

    # Click empty area 30% of the way from one cadence's time to the next, high above the
    # curve: the nearest cadence in time.
    other = frame + 5
    t = demo.time[other] + 0.3 * (demo.time[other + 1] - demo.time[other])
    flux_high = zoomed["yrange"][0] + 0.75 * (zoomed["yrange"][1] - zoomed["yrange"][0])
    nearby = demo.pipeline_lightcurve[frame - 25:frame + 26]  # no point near that spot
    assert np.abs(nearby - flux_high).min() > 0.1 * (zoomed["yrange"][1] - zoomed["yrange"][0])
    click_curve(page, page.evaluate(CURVE_POINT, [None, t, flux_high]), t)
    assert_settled(page, wait_frame(page, demo, other))
    wait_pixels(page, demo.flux[other])

    # And 70% of the way: the next cadence.
    t = demo.time[other] + 0.7 * (demo.time[other + 1] - demo.time[other])
    click_curve(page, page.evaluate(CURVE_POINT, [None, t, flux_high]), t)
    assert_settled(page, wait_frame(page, demo, other + 1))
    wait_pixels(page, demo.flux[other + 1])
    assert page.evaluate(CURVE_POINT, [frame, None, None])["range"] == zoomed["range"]


# --- playback ------------------------------------------------------------------------------------

def wait_paused(page) -> int:
    """Once paused, the cadence stays put: the value read over 0.5 s never changes."""
    def still():
        seen = readings(lambda: slider_value(page), 0.5)
        return seen[0] if len(set(seen)) == 1 else None
    value = wait_until(lambda: (lambda v: v + 1 if v is not None else None)(still()),
                       timeout=3, message="cadence to stop advancing") - 1
    return value


def test_play_advances_and_pause_stops(page, demo):
    start = slider_value(page)
    page.click("#play")
    wait_until(lambda: page.text_content("#play").startswith("❚❚"))
    began = time.monotonic()
    wait_until(lambda: slider_value(page) >= start + 5, timeout=5,
               message="playback to advance several frames")
    time.sleep(max(0.0, 1.0 - (time.monotonic() - began)))  # let it play for about a second
    page.click("#play")
    wait_until(lambda: page.text_content("#play").startswith("▶"))
    stopped = wait_paused(page)
    assert start + 5 <= stopped < start + 40
    # What is shown is the stopped frame, cursor and readout included.
    assert_settled(page, wait_frame(page, demo, stopped))


def test_space_bar_toggles_play(page, demo):
    blur(page)
    start = slider_value(page)
    page.keyboard.press(" ")
    wait_until(lambda: page.text_content("#play").startswith("❚❚"))
    wait_until(lambda: slider_value(page) >= start + 3, timeout=5)
    page.keyboard.press(" ")
    wait_until(lambda: page.text_content("#play").startswith("▶"))
    stopped = wait_paused(page)
    wait_frame(page, demo, stopped)

    # Play with the button, then pause with the space bar while the button has focus.
    page.click("#play")
    wait_until(lambda: slider_value(page) >= stopped + 3, timeout=5)
    page.keyboard.press(" ")
    wait_until(lambda: page.text_content("#play").startswith("▶"))
    wait_frame(page, demo, wait_paused(page))


# --- stretch -------------------------------------------------------------------------------------

def callback_bodies(page) -> list[str]:
    """The text of every Dash callback response from now on (read with ``.copy()``)."""
    bodies = []
    page.on("response", lambda r: bodies.append(r.text())
            if "_dash-update-component" in r.url and r.status == 200 else None)
    return bodies


def test_scale_and_stretch_recolour_without_changing_pixels(page, demo):
    before = heatmap(page)
    assert np.array_equal(before["z"], demo.flux[0])
    tab(page, "image")
    bodies = callback_bodies(page)

    page.click("#scale label:has-text('linear')")
    after = wait_until(lambda: (lambda h: h if h["colorscale"] != before["colorscale"] else None)(
        heatmap(page)), message="colour scale to change")
    assert page.is_checked("#scale input[value=linear]")
    assert np.array_equal(after["z"], before["z"], equal_nan=True)
    assert (after["zmin"], after["zmax"]) == (before["zmin"], before["zmax"])

    # Drag the upper percentile handle of the stretch to the left.
    before = after
    thumb = page.locator("#stretch [role=slider]").nth(1)
    assert thumb.get_attribute("aria-valuenow") == "95"
    box = thumb.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 60, y, steps=4)
    page.mouse.move(x - 120, y, steps=4)
    page.mouse.up()
    upper = wait_until(lambda: (lambda v: v if v < 95 else None)(
        float(thumb.get_attribute("aria-valuenow"))), message="stretch handle to move")
    after = wait_until(lambda: (lambda h: h if h["zmax"] != before["zmax"] else None)(
        heatmap(page)), message="heatmap zmax to change")
    assert after["zmax"] < before["zmax"]
    assert after["zmin"] == before["zmin"]
    assert after["colorscale"] == before["colorscale"]  # still linear
    # zmax is the chosen percentile of the whole cube (the app may estimate it from a sample).
    assert np.percentile(demo.flux, upper - 1) <= after["zmax"] <= np.percentile(demo.flux,
                                                                                  upper + 1)
    assert np.array_equal(after["z"], before["z"], equal_nan=True)
    assert slider_value(page) == 0
    # Neither change resent the pixels: no response carried the heatmap's z.
    time.sleep(0.5)
    texts = list(bodies)
    assert any('"colorscale"' in t for t in texts), "no recolouring response was seen"
    assert not any('"z"' in t for t in texts), [t[:200] for t in texts if '"z"' in t]


def test_stretch_handle_takes_arrow_keys(page, demo):
    """A focused stretch handle moves the stretch, not the cadence."""
    before = heatmap(page)
    tab(page, "image")
    lower = page.locator("#stretch [role=slider]").nth(0)
    lower.focus()
    page.keyboard.press("ArrowRight")
    wait_until(lambda: lower.get_attribute("aria-valuenow") == "1.5", timeout=2,
               message="lower stretch handle to move to 1.5 %")
    after = wait_until(lambda: (lambda h: h if h["zmin"] != before["zmin"] else None)(
        heatmap(page)), timeout=2, message="heatmap zmin to change")
    assert after["zmin"] > before["zmin"]
    assert slider_value(page) == 0
