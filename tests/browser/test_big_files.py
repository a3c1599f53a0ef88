"""Big files in the page: a 120,000-cadence TPF opened by the server steps to the right frames
(readout and painted pixels, from the first to the last), and a TPF dropped on the page is
streamed to the upload route, never sent base64 inside a callback.

The test files hold in frame i the value i + pixel / 1000 (tests/data/test_tpf_stream.py's
``write_big``), so any painted frame can be checked against its index.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from tests.data.test_tpf_stream import write_big

from .viewer_page import blur, shown, wait_until

pytestmark = pytest.mark.browser

UPLOAD_INPUT = "#upload-tpf input[type=file]"
PAINTED = """() => { const p = window.tpf.frames.paintedPixels();
                     return p ? {frame: window.tpf.frames.painted(), pixels: Array.from(p)}
                              : null; }"""


def painted(page, frame: int, flux: np.ndarray) -> bool:
    got = page.evaluate(PAINTED)
    return bool(got and got["frame"] == frame
                and np.array_equal(np.array(got["pixels"], np.float32), flux[frame].ravel()))


def test_a_120000_cadence_file_steps_to_the_right_frames(open_page, fresh_server, tmp_path):
    path = tmp_path / "tess20s.fits"
    flux = write_big(path, 120_000, (13, 13))
    page = open_page(fresh_server(str(path)).url, timeout_ms=60_000)
    assert "120,000 cadences" in page.text_content("#header")
    blur(page)
    for frame in (1, 2, 3):
        page.keyboard.press("ArrowRight")
        wait_until(lambda f=frame: painted(page, f, flux), message=f"frame {frame} painted")
        assert page.text_content("#readout-cadence").strip() == str(7 + frame)
    page.keyboard.press("End")
    last = 120_000 - 1
    wait_until(lambda: painted(page, last, flux), timeout=20, message="the last frame painted")
    assert page.text_content("#readout-cadence").strip() == str(7 + last)
    assert (shown(page)["slider"], shown(page)["cursor"]) == (last, last)


def test_a_dropped_tpf_is_streamed_not_sent_in_a_callback(open_page, fresh_server, tmp_path):
    path = tmp_path / "upload20k.fits"
    flux = write_big(path, 20_000, (13, 13))  # ~14 MB
    server = fresh_server()
    page = open_page(server.url)
    bodies = []
    page.on("request", lambda r: bodies.append((r.url, len(r.post_data_buffer or b""))))
    page.set_input_files(UPLOAD_INPUT, str(path))
    wait_until(lambda: "20,000 cadences" in (page.text_content("#header") or ""), timeout=30,
               message="the header to show the uploaded file")
    assert page.locator("#upload-status .error").count() == 0
    streamed = [url for url, _ in bodies if "/upload/tpf" in url]
    callbacks = [size for url, size in bodies if "_dash-update-component" in url]
    assert len(streamed) == 1 and "name=upload20k.fits" in streamed[0]
    assert max(callbacks) < 64 * 1024  # no callback carried the file
    fid = hashlib.sha256(path.read_bytes()).hexdigest()[:20]
    assert (server.cache / "tpf" / f"{fid}.fits").read_bytes() == path.read_bytes()
    blur(page)
    page.keyboard.press("End")
    wait_until(lambda: painted(page, 19_999, flux), timeout=20, message="the last frame painted")


ZOOM = """([a, b]) => { const gd = document.querySelector('#lightcurve .js-plotly-plot');
  const t = gd._fullData[0].x; return Plotly.relayout(gd, {'xaxis.range': [t[a], t[b]]}); }"""
FINITE_Y = """([a, b]) => { const gd = document.querySelector('#lightcurve .js-plotly-plot');
  const y = gd._fullData[0].y; let inside = 0, outside = 0;
  for (let i = 0; i < y.length; i++) if (Number.isFinite(y[i])) { if (i >= a && i <= b) inside++;
                                                                  else outside++; }
  return {n: y.length, inside, outside}; }"""


def test_a_long_curve_is_an_overview_drawn_in_full_where_zoomed(open_page, fresh_server,
                                                                 tmp_path):
    """120,000 cadences: trace 0 keeps a value slot per frame (clicks name frames) but draws
    20,000 of them; zoomed to 1,000 frames, every frame there is drawn."""
    path = tmp_path / "tess20s.fits"
    write_big(path, 120_000, (13, 13))
    page = open_page(fresh_server(str(path)).url, timeout_ms=60_000)
    first = page.evaluate(FINITE_Y, [50_000, 51_000])
    assert first["n"] == 120_000
    assert first["inside"] + first["outside"] <= 20_000
    assert first["inside"] < 1_001
    # Zoomed as the toolbar's zoom does it: a relayout of the time axis.
    # A zoom made before the page's first callbacks had answered was at times not redrawn
    # in these runs: zoom again until it is.
    def zoomed_in_full() -> bool:
        if page.evaluate(FINITE_Y, [50_000, 51_000])["inside"] >= 1_000:
            return True
        page.evaluate(ZOOM, [50_000, 51_000])
        page.wait_for_timeout(1500)
        return page.evaluate(FINITE_Y, [50_000, 51_000])["inside"] >= 1_000
    wait_until(zoomed_in_full, timeout=30, message="the zoomed frames drawn in full")
    after = page.evaluate(FINITE_Y, [50_000, 51_000])
    assert after["outside"] <= 20_000  # the rest stays an overview
