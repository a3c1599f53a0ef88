"""The workspace as a user sees it: the views side by side with the transport and readout always
in view (at 1400x900 and 1920x1080, every diagnostic panel on), nothing cut off or wrapped,
Play/Pause not moving its neighbours; and a real file's gaps said where the user looks: the
K2 C9 TPF has no usable FLUX_BKG or POS_CORR, no pipeline aperture, and three cadences without a
time whose pixels are zeros.
"""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

from .vetting_page import press, text, tick, wait_text
from .viewer_page import tab, wait_until

pytestmark = pytest.mark.browser

C9_TPF = "ktwo221312395-c91_lpd-targ.fits.gz"

BOXES = """(ids) => Object.fromEntries(ids.map(id => {
  const r = document.getElementById(id).getBoundingClientRect();
  return [id, {left: r.left, top: r.top, right: r.right, bottom: r.bottom}];
}))"""

# Elements whose text is cut off (an ellipsis or hidden overflow) or wraps onto three lines.
CUT = """() => {
  const out = [];
  const selectors = ['#header span', '.readout .label', '.readout .value', '.readout .note',
                     '.transport button', '.tool-tab', '.tool legend', '.tool label',
                     '.archive-search input', '.archive-search .dash-dropdown',
                     '.tool button', '.footer'];
  for (const el of document.querySelectorAll(selectors.join(','))) {
    if (!el.offsetParent) continue;  // not shown (another tab)
    const style = getComputedStyle(el);
    const lines = el.getBoundingClientRect().height / (parseFloat(style.lineHeight) || 20);
    if (el.scrollWidth > el.clientWidth + 1 && style.overflow !== 'visible')
      out.push(['cut', el.id || el.className, el.textContent.slice(0, 40)]);
    const holds = el.querySelector('input, select, .dash-dropdown');  // a control, not text
    if (el.tagName !== 'INPUT' && !holds && lines > 2.6 && !el.closest('.footer'))
      out.push(['wrapped', el.id || el.className, el.textContent.slice(0, 40)]);
    if (el.tagName === 'INPUT' && el.placeholder) {
      const c = document.createElement('canvas').getContext('2d');
      c.font = style.font;
      const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      if (c.measureText(el.placeholder).width > room + 1)
        out.push(['placeholder', el.id, el.placeholder]);
    }
  }
  for (const el of document.querySelectorAll('.dash-dropdown')) {
    if (!el.offsetParent) continue;
    for (const part of el.querySelectorAll('*')) {
      if (part.children.length === 0 && part.textContent.trim() &&
          part.scrollWidth > part.clientWidth + 1) out.push(['dropdown', el.id, part.textContent]);
    }
  }
  return out;
}"""

ALWAYS = ["lightcurve", "pixels", "cadence", "play", "prev", "next", "speed", "readout"]


@pytest.mark.parametrize("size", [(1400, 900), (1920, 1080)])
def test_views_transport_and_readout_stay_in_view_with_every_panel_on(browser, demo_server,
                                                                      size):
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        page.goto(demo_server.url)
        page.wait_for_function("() => window.tpf && window.tpf.frames.painted() === 0",
                               timeout=30_000)
        for panel in ("background", "centroids", "pixels"):
            tick(page, "diagnostic-panels", panel)
        page.wait_for_function("() => !document.getElementById('pixel-grid-wrap').hidden && "
                               "!document.getElementById('diagnostics-wrap').hidden")
        page.wait_for_timeout(500)
        boxes = page.evaluate(BOXES, ALWAYS)
        for id_, box in boxes.items():
            assert box["top"] >= 0 and box["bottom"] <= height, (id_, box, height)
            assert box["left"] >= 0 and box["right"] <= width, (id_, box, width)
        # Side by side at the top, the curve on the left, and the page itself never scrolls.
        curve, image = boxes["lightcurve"], boxes["pixels"]
        assert abs(curve["top"] - image["top"]) < 2 and curve["right"] <= image["left"]
        assert curve["bottom"] - curve["top"] >= 0.3 * height
        assert page.evaluate("() => document.scrollingElement.scrollHeight") <= height + 1
        # The diagnostics' time axis lies right under the light curve's.
        cursors = page.evaluate("""() => ['cursor', 'diagnostics-cursor'].map(id => {
            const r = document.getElementById(id).getBoundingClientRect();
            return r.left + r.width / 2; })""")
        assert abs(cursors[0] - cursors[1]) <= 2, cursors
        for name in ("image", "aperture", "quality", "custom", "share", "archive"):
            tab(page, name)
            assert page.evaluate(CUT) == [], (name, page.evaluate(CUT))
    finally:
        context.close()


def test_play_and_pause_do_not_move_their_neighbours(page):
    ids = ["prev", "play", "next", "speed", "cadence"]
    before = page.evaluate(BOXES, ids)
    page.click("#play")
    wait_until(lambda: page.text_content("#play").startswith("❚❚"))
    during = page.evaluate(BOXES, ids)
    page.click("#play")
    wait_until(lambda: page.text_content("#play").startswith("▶"))
    assert before == during == page.evaluate(BOXES, ids)


def test_a_real_files_gaps_are_said_where_the_user_looks(open_page, fresh_server, shared_file):
    path = shared_file(C9_TPF)
    with fits.open(path) as hdus:
        time = np.asarray(hdus[1].data["TIME"], dtype=np.float64)
        flux = np.asarray(hdus[1].data["FLUX"], dtype=np.float64)
    missing = np.flatnonzero(~np.isfinite(time))
    assert missing.size == 3 and np.nansum(flux[missing]) == 0  # zero-filled pixels
    page = open_page(fresh_server(str(path)).url)

    # Cadences without a time: not on the curve (its flux axis is the real cadences'), said.
    notes = text(page, "#file-notes")
    assert "3 of 1,290 cadences have no valid time" in notes
    assert "threshold aperture" in notes
    y = page.evaluate("() => document.querySelector('#lightcurve .js-plotly-plot')"
                      "._fullLayout.yaxis.range")
    assert y[0] > 1000, y  # not dragged towards the zero-filled cadences
    assert text(page, "#readout-flux-note").startswith("threshold aperture (3σ)")

    # No usable FLUX_BKG: the choice says so and cannot be made.
    tab(page, "aperture")
    option = page.locator("#background label:has(input[value=file])")
    assert "FLUX_BKG is all NaN in this file" in option.inner_text()
    assert page.is_disabled("#background input[value=file]")

    # The diagnostics say what this file cannot show, in the panel the user opened.
    tick(page, "diagnostic-panels", "background")
    wait_text(page, "#diagnostics-notes", "No background to show")
    tick(page, "diagnostic-panels", "centroids")
    wait_text(page, "#diagnostics-notes", "no usable POS_CORR")
    assert "(no POS_CORR in this file)" in text(page, "#diagnostic-panels")

    # The exported curve leaves the three cadences out too.
    press(page, "#export-csv")
    with page.expect_download() as download:
        page.click("#export-csv")
    lines = [line for line in open(download.value.path()).read().splitlines()
             if line and not line.startswith("#")]
    assert len(lines) == 1 + 1287  # header + the cadences with a time
    assert "# 3 cadences without a valid time left out" in open(download.value.path()).read()
