"""The frame painter (assets/frames.js): steps painted in the browser, exactly as Plotly would.

Stepping paints frames from batches fetched ahead; Plotly's own heatmap catches up when stepping
pauses. These tests hold that to account: steps need no Dash round trip, the painted values are
the file's, the painted colours are pixel for pixel the ones plotly.js draws for the same frame
(its own rendering is the reference), and the painted image sits exactly where Plotly puts the
pixels, also when zoomed.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from dashboard.data.demo import COSMIC_RAY, TRUTH, asteroid_position

from .vetting_page import press
from .viewer_page import expected, shown, wait_until

pytestmark = pytest.mark.browser

# Plotly's image of the heatmap (decoded from its data URL) next to ours, as RGBA arrays.
IMAGES = """async () => {
  const gd = document.querySelector('#pixels .js-plotly-plot');
  const image = gd.querySelector('.hm image');
  const ours = document.querySelector('canvas.tpf-frame-canvas');
  if (!image || !ours) return null;
  const img = new Image();
  img.src = image.getAttribute('href');
  await img.decode();
  const c = document.createElement('canvas');
  c.width = img.width; c.height = img.height;
  const x = c.getContext('2d');
  x.drawImage(img, 0, 0);
  const meta = gd.data[0].meta;
  const source = window.tpf.frames.source();
  return {plotly: Array.from(x.getImageData(0, 0, c.width, c.height).data),
          ours: Array.from(ours.getContext('2d').getImageData(0, 0, ours.width, ours.height).data),
          width: c.width, plotlyFrame: meta && typeof meta === 'object' ? meta.frame : meta,
          painted: window.tpf.frames.painted(),
          paintedMode: ours.parentNode.dataset.mode,
          sameColours: !!source && JSON.stringify(source.colorscale)
                                   === JSON.stringify(gd.data[0].colorscale),
          symmetric: gd._fullData[0].zmin === -gd._fullData[0].zmax};
}"""

PAINTED = "() => { const v = window.tpf.frames.paintedPixels(); return v ? Array.from(v) : null; }"


@pytest.fixture
def page(open_page, demo_server):
    return open_page(demo_server.url)


def painted_values(page, demo) -> np.ndarray:
    return np.array(page.evaluate(PAINTED), dtype=np.float32).reshape(demo.shape)


def images_agree(page, frame: int, difference: bool = False) -> dict:
    """Once Plotly has caught up with ``frame``: both renderings of it, as arrays."""
    def caught_up():
        got = page.evaluate(IMAGES)
        # Both caught up: Plotly's figure and the painter's frame source arrive in separate
        # responses, and until the painter has its new source it keeps the last image.
        mode = "difference" if difference else "flux"
        ready = got and (got["plotlyFrame"] == frame and got["painted"] == frame
                         and got["symmetric"] == difference and got["paintedMode"] == mode
                         and got["sameColours"])
        if not ready:
            return None
        # plotly.js takes the new figure's data at once and draws its image a moment later:
        # compare once the image has stopped changing.
        page.wait_for_timeout(200)
        again = page.evaluate(IMAGES)
        return again if again and again["plotly"] == got["plotly"] else None
    got = wait_until(caught_up, message=f"Plotly's heatmap catching up with frame {frame}")
    plotly = np.array(got["plotly"], dtype=np.int16).reshape(-1, got["width"], 4)
    ours = np.array(got["ours"], dtype=np.int16).reshape(-1, got["width"], 4)
    return {"plotly": plotly, "ours": ours}


def test_steps_are_painted_without_waiting_for_dash(page, demo):
    """With every Dash callback held back, keys still move the slider, cursor, readout and
    image together, and the painted values are the file's FLUX of that frame."""
    page.wait_for_function("() => window.tpf.frames.painted() === 0")
    held = []
    page.route("**/_dash-update-component", lambda route: held.append(route))
    try:
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        wait_until(lambda: shown(page) == expected(demo, 3), timeout=5,
                   message="three presses shown")
        assert page.evaluate("window.tpf.frames.painted()") == 3
        assert np.array_equal(painted_values(page, demo), demo.flux[3], equal_nan=True)
    finally:
        page.unroute("**/_dash-update-component")
        for route in held:
            route.continue_()


def test_the_painted_frame_is_what_plotly_draws(page, demo):
    """Pixel for pixel, in the default log stretch, in sqrt, and as a difference image."""
    frame = TRUTH["cosmic_ray"]["frame"]
    page.evaluate(f"() => window.dash_clientside.set_props('cadence', {{value: {frame}}})")
    both = images_agree(page, frame)
    assert np.abs(both["ours"] - both["plotly"]).max() <= 1
    assert np.array_equal(painted_values(page, demo), demo.flux[frame], equal_nan=True)

    press(page, "#scale input[value=sqrt]")
    page.wait_for_function("() => document.querySelector('#pixels .js-plotly-plot')"
                           "._fullData[0].colorscale[1][0] > 0.015")  # sqrt's even stops
    page.wait_for_timeout(300)
    both = images_agree(page, frame)
    assert np.abs(both["ours"] - both["plotly"]).max() <= 1

    press(page, "#image-mode input[value=difference]")
    both = images_agree(page, frame, difference=True)
    assert np.abs(both["ours"] - both["plotly"]).max() <= 1
    # The cosmic ray is the brightest change of its frame (canvas rows run top down).
    values = painted_values(page, demo)
    assert np.unravel_index(np.nanargmax(values), values.shape) == (COSMIC_RAY["row"],
                                                                    COSMIC_RAY["column"])


def test_difference_frames_show_the_asteroid_moving(page, demo):
    """Jumps between difference frames of the crossing, each fetched as its batch: the
    brightest change follows the asteroid's known path."""
    press(page, "#image-mode input[value=difference]")
    for frame in (606, 618, 642, 654):
        page.evaluate(f"() => window.dash_clientside.set_props('cadence', {{value: {frame}}})")
        wait_until(lambda f=frame: page.evaluate("window.tpf.frames.painted()") == f
                   and page.evaluate("document.getElementById('readout-cadence').textContent")
                   == str(demo.cadenceno[f]), timeout=5)
        page.wait_for_function("() => window.tpf.frames.paintedPixels() !== null")
        values = painted_values(page, demo)
        row, column = asteroid_position(frame)
        peak = np.unravel_index(np.nanargmax(values), values.shape)
        assert abs(peak[0] - row) <= 1 and abs(peak[1] - column) <= 1, (frame, peak, row, column)


def test_the_painted_image_sits_on_plotlys_pixels_when_zoomed(page, demo):
    frame = 42
    page.evaluate(f"() => window.dash_clientside.set_props('cadence', {{value: {frame}}})")
    images_agree(page, frame)
    column, row = demo.column, demo.row
    page.evaluate(f"""() => Plotly.relayout(document.querySelector('#pixels .js-plotly-plot'),
        {{'xaxis.range': [{column + 4.5}, {column + 9.5}],
          'yaxis.range': [{row + 4.5}, {row + 9.5}]}})""")
    page.wait_for_timeout(400)
    both = images_agree(page, frame)  # Plotly's colour of each pixel, as it draws it
    spots = page.evaluate(f"""() => {{
        const gd = document.querySelector('#pixels .js-plotly-plot');
        const rect = gd.getBoundingClientRect();
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, out = [];
        for (let i = 5; i < 10; i++) for (let j = 5; j < 10; j++) out.push([i, j,
            rect.left + xa._offset + xa.c2p({column} + j),
            rect.top + ya._offset + ya.c2p({row} + i)]);
        return out;
    }}""")
    shot = np.array(Image.open(io.BytesIO(page.screenshot())).convert("RGB"), dtype=np.int16)
    rows = demo.shape[0]
    for i, j, x, y in spots:
        want = both["plotly"][rows - 1 - i, j, :3]  # image rows run top down
        got = shot[int(round(y)), int(round(x))]
        assert np.abs(got - want).max() <= 2, (i, j, got, want)
