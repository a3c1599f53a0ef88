"""The viewer as a user drives it: keys, clicks on the light curve, play, stretch and uploads.

Each test opens its own page (fresh browser context) on the shared demo server, or on a server of
its own when it uploads. Assertions are on what the page shows: the slider handle's
aria-valuenow, the red cursor's data-frame, the readout's text and the heatmap's decoded pixels
(plotly.js keeps those in ``gd._fullData``). Waits poll real conditions with timeouts.
The ``open_page`` fixture fails a test that logged any page error or console error.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from dashboard.data.demo import COSMIC_RAY, TRUTH, asteroid_position, demo_tpf

from ..conftest import Server

pytestmark = pytest.mark.browser

KEPLER_TPF = "kplr011904151-2010009091648_lpd-targ.fits"
TESS_LIGHT_CURVE = "tess2018206045859-s0001-0000000358108509-0120-s_lc.fits"
UPLOAD_INPUT = "#upload-tpf input[type=file]"

# What the page shows about the selected frame.
SHOWN = """() => {
  const handle = document.querySelector('#cadence [role=slider]');
  const cursor = document.getElementById('cursor');
  const text = id => { const e = document.getElementById(id); return e ? e.textContent : null; };
  return {
    slider: handle ? Number(handle.getAttribute('aria-valuenow')) : null,
    max: handle ? Number(handle.getAttribute('aria-valuemax')) : null,
    cursor: cursor && !cursor.hidden && cursor.dataset.frame !== undefined
            ? Number(cursor.dataset.frame) : null,
    cadence: text('readout-0'), time: text('readout-1'), utc: text('readout-2'),
  };
}"""

# The heatmap as drawn: decoded pixel values and the colour mapping.
HEATMAP = """() => {
  const gd = document.querySelector('#pixels .js-plotly-plot');
  const trace = gd._fullData[0];
  return {
    z: Array.from(trace.z, row => Array.from(row)),
    zmin: trace.zmin, zmax: trace.zmax,
    colorscale: JSON.stringify(trace.colorscale),
    bdata: gd.data[0].z && gd.data[0].z.bdata,
  };
}"""

# Screen position of a light-curve frame (trace 0 holds every frame in order), or of a time/flux.
CURVE_POINT = """([frame, time, flux]) => {
  const gd = document.querySelector('#lightcurve .js-plotly-plot');
  const rect = gd.getBoundingClientRect();
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, trace = gd._fullData[0];
  const t = frame === null ? time : trace.x[frame];
  const f = frame === null ? flux : trace.y[frame];
  return {x: rect.left + xa._offset + xa.l2p(t), y: rect.top + ya._offset + ya.l2p(f),
          left: rect.left + xa._offset, top: rect.top + ya._offset,
          width: xa._length, height: ya._length, range: xa.range.slice(), yrange: ya.range.slice()};
}"""


# Whether plotly.js has taken in a hover at time t (within 1.5 px): a click then reports it.
# (Hover is throttled: a click right after a fast move can report the previous position.)
NO_DOUBLE_CLICK = """() => {
  const gd = document.querySelector('#lightcurve .js-plotly-plot');
  return Date.now() - (gd._mouseDownTime || 0) > gd._context.doubleClickDelay;
}"""
HOVERED_AT = """(t) => {
  const gd = document.querySelector('#lightcurve .js-plotly-plot');
  const xa = gd._fullLayout.xaxis;
  return !!(gd._hoverXVals && gd._hoverXVals.length
            && Math.abs(gd._hoverXVals[0] - t) <= 1.5 / Math.abs(xa._m));
}"""


@pytest.fixture(scope="module")
def demo():
    return demo_tpf()


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05, message: str = ""):
    """Poll ``predicate()`` until it returns something truthy; return that, or fail."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    if callable(message):
        message = message()
    raise AssertionError(f"{message or 'condition not met'} within {timeout} s (last: {last!r})")


def readings(read, duration: float = 0.5, interval: float = 0.05) -> list:
    """``read()`` repeatedly over ``duration`` seconds."""
    out = [read()]
    deadline = time.monotonic() + duration
    while time.monotonic() < deadline:
        time.sleep(interval)
        out.append(read())
    return out


def shown(page) -> dict:
    return page.evaluate(SHOWN)


def expected(demo, frame: int) -> dict:
    """What the page should show once ``frame`` is selected."""
    return {"slider": frame, "max": demo.n_cadences - 1, "cursor": frame,
            "cadence": str(demo.cadenceno[frame]),
            "time": f"{demo.time[frame]:.5f} {demo.time_system}",
            "utc": demo.utc(frame)}


def wait_frame(page, demo, frame: int, timeout: float = 10.0) -> dict:
    want = expected(demo, frame)
    seen = []

    def showing():
        seen.append(shown(page))
        return seen[-1] == want
    wait_until(showing, timeout, message=lambda: f"page to show {want}; it shows {seen[-1]}")
    return want


def assert_settled(page, want: dict, duration: float = 0.5):
    """The page keeps showing ``want`` (no late extra step)."""
    seen = readings(lambda: shown(page), duration)
    assert all(s == want for s in seen), f"expected {want} to stay, saw {seen}"


def heatmap(page) -> dict:
    data = page.evaluate(HEATMAP)
    data["z"] = np.array(data["z"], dtype=np.float32)
    return data


def wait_pixels(page, frame_flux: np.ndarray, timeout: float = 10.0) -> dict:
    """Wait until the heatmap draws exactly ``frame_flux``."""
    want = np.asarray(frame_flux, dtype=np.float32)

    def drawn():
        h = heatmap(page)
        return h if h["z"].shape == want.shape and np.array_equal(h["z"], want,
                                                                  equal_nan=True) else None
    return wait_until(drawn, timeout, message="heatmap to draw the frame's pixels")


def slider_value(page) -> int:
    return int(page.get_attribute("#cadence [role=slider]", "aria-valuenow"))


def click_curve(page, where: dict, t: float):
    """Move the mouse to ``where`` like a user, let plotly register the hover, then click.

    A press within plotly's double-click delay of the previous one (a zoom drag's, say) would
    make a double click, which resets the zoom: wait that out first, as a person would.
    """
    page.wait_for_function(NO_DOUBLE_CLICK, timeout=10_000)
    page.mouse.move(where["x"], where["y"], steps=3)
    page.wait_for_function(HOVERED_AT, arg=float(t), timeout=10_000)
    page.mouse.click(where["x"], where["y"])


def zoom_curve(page, first: int, last: int) -> dict:
    """Zoom the light curve's time axis to frames first..last with a flat drag (x only)."""
    a = page.evaluate(CURVE_POINT, [first, None, None])
    b = page.evaluate(CURVE_POINT, [last, None, None])
    y = a["top"] + 0.25 * a["height"]
    page.mouse.move(a["x"], y)
    page.mouse.down()
    page.mouse.move((a["x"] + b["x"]) / 2, y, steps=4)
    page.mouse.move(b["x"], y, steps=4)
    page.mouse.up()
    return wait_until(lambda: (lambda p: p if p["range"] != a["range"] else None)(
        page.evaluate(CURVE_POINT, [first, None, None])), message="light curve to zoom")


def blur(page):
    page.evaluate("() => document.activeElement && document.activeElement.blur()")


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
    assert page.text_content("#readout-note-0") == f"frame {demo.n_cadences} of {demo.n_cadences}"

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

def test_scale_and_stretch_recolour_without_changing_pixels(page, demo):
    before = heatmap(page)
    assert np.array_equal(before["z"], demo.flux[0])

    page.click("#scale label:has-text('linear')")
    after = wait_until(lambda: (lambda h: h if h["colorscale"] != before["colorscale"] else None)(
        heatmap(page)), message="colour scale to change")
    assert page.is_checked("#scale input[value=linear]")
    assert np.array_equal(after["z"], before["z"], equal_nan=True)
    assert after["bdata"] == before["bdata"]  # the pixels were not resent
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
    assert after["bdata"] == before["bdata"]
    assert slider_value(page) == 0


def test_stretch_handle_takes_arrow_keys(page, demo):
    """A focused stretch handle moves the stretch, not the cadence."""
    before = heatmap(page)
    lower = page.locator("#stretch [role=slider]").nth(0)
    lower.focus()
    page.keyboard.press("ArrowRight")
    wait_until(lambda: lower.get_attribute("aria-valuenow") == "1.5", timeout=2,
               message="lower stretch handle to move to 1.5 %")
    after = wait_until(lambda: (lambda h: h if h["zmin"] != before["zmin"] else None)(
        heatmap(page)), timeout=2, message="heatmap zmin to change")
    assert after["zmin"] > before["zmin"]
    assert slider_value(page) == 0


# --- uploads -------------------------------------------------------------------------------------

def test_upload_tpf_then_light_curve(open_page, fresh_server, shared_file):
    tpf_path = shared_file(KEPLER_TPF)
    lc_path = shared_file(TESS_LIGHT_CURVE)
    page = open_page(fresh_server().url)

    page.set_input_files(UPLOAD_INPUT, str(tpf_path))
    wait_until(lambda: "KIC 11904151" in (page.text_content("#target-name") or ""),
               message="header to show the uploaded target")
    assert "Kepler" in page.text_content("#header")
    wait_until(lambda: shown(page)["max"] == 1020, message="slider max to become 1020")
    wait_until(lambda: "frame 1 of 1021" in page.text_content("#readout"))
    wait_until(lambda: page.evaluate(
        "() => document.querySelector('#pixels .js-plotly-plot')._fullData[0].z.length") == 9)
    assert page.locator("#upload-error").count() == 0
    assert page.locator("#demo-badge").count() == 0

    blur(page)
    page.keyboard.press("End")
    wait_until(lambda: (lambda s: s["slider"] == 1020 and s["cursor"] == 1020)(shown(page)))
    wait_until(lambda: "frame 1021 of 1021" in page.text_content("#readout"))

    page.set_input_files(UPLOAD_INPUT, str(lc_path))
    wait_until(lambda: "light-curve file" in page.text_content("#message"),
               message="the light-curve message")
    assert page.locator("#message .error").count() == 1
    assert lc_path.name in page.text_content("#message")
    # The view stays on the TPF that was open.
    assert "KIC 11904151" in page.text_content("#target-name")
    state = shown(page)
    assert (state["max"], state["slider"], state["cursor"]) == (1020, 1020, 1020)


@pytest.fixture(scope="module")
def capped_server(tmp_path_factory):
    """A dashboard of these tests' own whose TPF upload cap is 1 MB (read from its environment)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TPF_DASHBOARD_MAX_UPLOAD_MB", "1")
        server = Server(tmp_path_factory.mktemp("capped-server"))
    yield server
    server.stop()


def over_cap_message(page) -> str:
    return wait_until(lambda: (lambda t: t if "over the upload limit" in t else None)(
        page.text_content("#message") or ""), timeout=10,
        message=lambda: f"the over-cap message; #message shows {page.text_content('#message')!r}")


def test_upload_over_the_cap_says_so(open_page, capped_server, shared_file):
    page = open_page(capped_server.url)
    # A real 1.7 MB TPF against the 1 MB cap.
    page.set_input_files(UPLOAD_INPUT, str(shared_file(KEPLER_TPF)))
    text = over_cap_message(page)
    assert KEPLER_TPF in text and "1.7 MB" in text and "limit of 1 MB" in text
    assert page.locator("#demo-badge").count() == 1  # the demo is still shown


def test_upload_well_over_the_cap_says_so(open_page, capped_server):
    """Even a body Flask refuses unread (far over the cap) ends in a message, not silence."""
    page = open_page(capped_server.url)
    page.set_input_files(UPLOAD_INPUT, files=[{
        "name": "huge.fits", "mimeType": "application/fits",
        "buffer": b"SIMPLE  =                    T" + bytes(3_000_000)}])
    text = over_cap_message(page)
    assert "limit of 1 MB" in text
    assert page.locator("#demo-badge").count() == 1
