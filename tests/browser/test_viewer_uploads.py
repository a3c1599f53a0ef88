"""Uploads in the viewer as a user makes them: a real TPF then a light-curve file in its place,
and files over the upload limit, on servers of the tests' own.

Assertions are on what the page shows (header, slider, readout, messages); the ``open_page``
fixture fails a test that logged any page error or console error.
"""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

from ..conftest import Server
from .viewer_page import HEATMAP, blur, shown, wait_until

pytestmark = pytest.mark.browser

KEPLER_TPF = "kplr011904151-2010009091648_lpd-targ.fits"
TESS_LIGHT_CURVE = "tess2018206045859-s0001-0000000358108509-0120-s_lc.fits"
SIRIUS_TPF = "tess2018349182459-s0006-0000000322899250-0126-s_tp.fits"
UPLOAD_INPUT = "#upload-tpf input[type=file]"


def test_upload_tpf_then_light_curve(open_page, fresh_server, shared_file):
    tpf_path = shared_file(KEPLER_TPF)
    lc_path = shared_file(TESS_LIGHT_CURVE)
    page = open_page(fresh_server().url)

    page.set_input_files(UPLOAD_INPUT, str(tpf_path))
    wait_until(lambda: "KIC 11904151" in (page.text_content("#target-name") or ""),
               message="header to show the uploaded target")
    assert "Kepler" in page.text_content("#header")
    wait_until(lambda: shown(page)["max"] == 1020, message="slider max to become 1020")
    wait_until(lambda: page.text_content("#readout-frame-note") == "0-based, of 1,021")
    # The heatmap holds the file's first frame, as astropy reads it.
    with fits.open(tpf_path) as hdus:
        flux = np.asarray(hdus[1].data["FLUX"], dtype=np.float32)
    wait_until(lambda: np.array_equal(np.array(page.evaluate(HEATMAP)["z"], dtype=np.float32),
                                      flux[0], equal_nan=True),
               message="heatmap to hold the uploaded file's first frame")
    assert page.locator("#upload-status .error").count() == 0
    assert page.locator("#demo-badge").count() == 0

    blur(page)
    page.keyboard.press("End")
    wait_until(lambda: (lambda s: s["slider"] == 1020 and s["cursor"] == 1020)(shown(page)))
    wait_until(lambda: page.text_content("#readout-frame") == "1020")

    page.set_input_files(UPLOAD_INPUT, str(lc_path))
    wait_until(lambda: "light-curve file" in page.text_content("#upload-status"),
               message="the light-curve message")
    assert page.locator("#upload-status .error").count() == 1
    assert lc_path.name in page.text_content("#upload-status")
    # The view stays on the TPF that was open.
    assert "KIC 11904151" in page.text_content("#target-name")
    state = shown(page)
    assert (state["max"], state["slider"], state["cursor"]) == (1020, 1020, 1020)


@pytest.fixture(scope="module")
def capped_server(tmp_path_factory):
    """A dashboard of these tests' own whose TPF upload cap is 1 MB (read from its environment)."""
    server = Server(tmp_path_factory.mktemp("capped-server"),
                    env={"TPF_DASHBOARD_MAX_UPLOAD_MB": "1"})
    yield server
    server.stop()


def messages(page) -> str:
    """The page's error lines: the upload's own, and the browser's (it refuses files over the
    cap before sending them)."""
    return " ".join(page.text_content(s) or "" for s in ("#upload-status", "#browser-message"))


def over_cap_message(page) -> str:
    return wait_until(lambda: (lambda t: t if "over the upload limit" in t else None)(
        messages(page)), timeout=10,
        message=lambda: f"the over-cap message; the page says {messages(page)!r}")


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


AXES = """() => {
  const gd = document.querySelector('#pixels .js-plotly-plot');
  return {x: gd._fullLayout.xaxis.range.slice(), y: gd._fullLayout.yaxis.range.slice(),
          file: gd.layout.uirevision};
}"""


def test_a_new_file_gets_its_own_axes_and_reset_returns_to_them(open_page, fresh_server,
                                                                shared_file):
    """Demo open, then the 1287x11 Sirius stamp: the image shows the new stamp's columns and
    a window of its rows (not the demo's axes), and the toolbar's Reset axes returns there
    after a zoom (not to the demo's)."""
    path = shared_file(SIRIUS_TPF)
    with fits.open(path) as hdus:
        column, row = hdus[1].header["1CRV4P"], hdus[1].header["2CRV4P"]
    page = open_page(fresh_server().url)
    demo = page.evaluate(AXES)
    page.set_input_files(UPLOAD_INPUT, str(path))
    fresh = wait_until(lambda: (lambda a: a if a["file"] != demo["file"]
                                and a["x"][0] > column - 1 else None)(page.evaluate(AXES)),
                       message=lambda: f"the image's axes to move to the new stamp: "
                                       f"{page.evaluate(AXES)}")
    # All 11 columns, square pixels on a window of the 1287 rows around the bright star.
    assert fresh["x"] == [column - 0.5, column + 10.5]
    assert row - 0.5 <= fresh["y"][0] < fresh["y"][1] <= row + 1286.5
    assert fresh["y"][1] - fresh["y"][0] == 33
    page.evaluate("""([x, y]) => Plotly.relayout(
        document.querySelector('#pixels .js-plotly-plot'), {'xaxis.range': x, 'yaxis.range': y})""",
                  [[column + 2, column + 4], [fresh["y"][0] + 5, fresh["y"][0] + 7]])
    wait_until(lambda: page.evaluate(AXES)["x"][1] < column + 5)
    page.hover("#pixels .js-plotly-plot")
    page.click("#pixels .modebar-btn[data-title='Reset axes']")
    wait_until(lambda: page.evaluate(AXES)["x"] == fresh["x"]
               and page.evaluate(AXES)["y"] == fresh["y"],
               message=lambda: f"Reset axes to return to the stamp: {page.evaluate(AXES)}")


def test_a_shorter_file_opened_past_its_end_shows_its_first_frame(open_page, fresh_server,
                                                                  shared_file):
    """At frame 311 of the demo, open the 10-cadence Sirius file: it opens at its frame 0,
    painted, with no message. (The painter used to ask the new file for the old file's frames
    304-311 first: the page said "That frame request is not valid.")"""
    path = shared_file(SIRIUS_TPF)
    with fits.open(path) as hdus:
        flux = np.asarray(hdus[1].data["FLUX"], dtype=np.float32)
    page = open_page(fresh_server().url)
    page.evaluate("f => window.tpf.view.owner().select(f)", 311)
    wait_until(lambda: shown(page)["frame"] == "311", message="frame 311 of the demo")
    # At once, while frame 311's report and blip list are still on their way, as a user would:
    # a loop in the callback graph once stalled every callback after the new view in that
    # window (tests/callbacks/test_callback_graph.py).
    page.set_input_files(UPLOAD_INPUT, str(path))
    wait_until(lambda: shown(page)["max"] == 9 and shown(page)["frame"] == "0",
               message=lambda: f"frame 0 of 10 shown: {shown(page)}")
    painted = """() => { const p = window.tpf.frames.paintedPixels();
                         return p && window.tpf.frames.painted() === 0 ? Array.from(p) : null; }"""
    got = wait_until(lambda: page.evaluate(painted), message="frame 0 painted")
    assert np.array_equal(np.array(got, np.float32), flux[0].ravel(), equal_nan=True)
    page.wait_for_timeout(500)
    assert (page.text_content("#browser-message") or "").strip() == ""
