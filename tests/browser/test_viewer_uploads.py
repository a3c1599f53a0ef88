"""Uploads in the viewer as a user makes them: a real TPF then a light-curve file in its place,
and files over the upload limit, on servers of the tests' own.

Assertions are on what the page shows (header, slider, readout, messages); the ``open_page``
fixture fails a test that logged any page error or console error.
"""

from __future__ import annotations

import pytest

from ..conftest import Server
from .viewer_page import blur, shown, wait_until

pytestmark = pytest.mark.browser

KEPLER_TPF = "kplr011904151-2010009091648_lpd-targ.fits"
TESS_LIGHT_CURVE = "tess2018206045859-s0001-0000000358108509-0120-s_lc.fits"
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
