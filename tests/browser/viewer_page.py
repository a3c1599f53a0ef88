"""Reading and driving the viewer page, shared by the browser tests.

What the page shows about the selected frame (the slider handle's aria-valuenow, the red
cursor's data-frame, the readout's text), the heatmap's decoded pixels (plotly.js keeps those in
``gd._fullData``), clicks and zooms on the light curve, and waits that poll real conditions with
timeouts.
"""

from __future__ import annotations

import time

import numpy as np

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
    cadence: text('readout-cadence'), time: text('readout-time'), utc: text('readout-utc'),
    frame: text('readout-frame'),
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
            "frame": str(frame), "cadence": str(demo.cadenceno[frame]),
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


def tab(page, name: str):
    """Open a tool panel's tab (image, aperture, quality, diagnostics, custom, share, archive)
    as a user does, and wait until its panel shows."""
    page.click(f"#tab-{name}")
    page.wait_for_selector(f"#panel-{name}", state="attached")  # only the open tab's panel


def blur(page):
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
