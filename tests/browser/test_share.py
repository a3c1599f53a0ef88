"""Links and exports as a user meets them: open a link and see the same view; step and see the
address follow without a reload; a stale or damaged link gives a notice; the export buttons
download a CSV, a PNG and a movie."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import imageio.v3 as iio
import numpy as np
import pytest

from dashboard.data.demo import demo_tpf
from dashboard.data.lightcurves import read_lightcurve
from dashboard.data.masks import encode_mask

pytestmark = pytest.mark.browser

SHOWN = """() => {
  const handle = document.querySelector('#cadence [role=slider]');
  const stretch = Array.from(document.querySelectorAll('#stretch [role=slider]'));
  const gd = document.querySelector('#pixels .js-plotly-plot');
  const text = id => { const e = document.getElementById(id); return e ? e.textContent : null; };
  const scale = document.querySelector('#scale input:checked');
  return {
    frame: handle ? Number(handle.getAttribute('aria-valuenow')) : null,
    stretch: stretch.map(h => Number(h.getAttribute('aria-valuenow'))),
    scale: scale ? scale.value : null,
    zmin: gd._fullData[0].zmin, zmax: gd._fullData[0].zmax, heatmap_frame:
      (m => m !== null && typeof m === 'object' ? m.frame : m)(gd.data[0].meta),
    cadence: text('readout-0'), aperture: text('readout-note-3'), message: text('message'),
    search: window.location.search,
  };
}"""


@pytest.fixture(scope="module")
def tpf():
    return demo_tpf()


def file_id(page) -> str:
    page.wait_for_function("() => document.getElementById('share-link').href.includes('file=')")
    href = page.get_attribute("#share-link", "href")
    return parse_qs(urlparse(href).query)["file"][0]


def wait_shown(page, condition: str, timeout: float = 15_000):
    page.wait_for_function(f"() => {{ const s = ({SHOWN})(); return {condition}; }}",
                           timeout=timeout)
    return page.evaluate(SHOWN)


def test_a_link_reopens_the_same_cadence_aperture_and_stretch(page, open_page, demo_server, tpf):
    fid = file_id(page)
    aperture = np.zeros(tpf.shape, dtype=bool)
    aperture[6:9, 6:9] = True
    link = (f"{demo_server.url}/?file={fid}&frame=1234&aperture={encode_mask(aperture)}"
            "&low=5&high=90&scale=linear")
    shared = open_page(link)
    shown = wait_shown(shared, "s.frame === 1234 && s.heatmap_frame === 1234 "
                               "&& /9 px/.test(s.aperture || '') && s.scale === 'linear'")
    assert shown["cadence"] == str(tpf.cadenceno[1234])
    assert "custom aperture, 9 px" in shown["aperture"]
    assert shown["stretch"] == [5, 90]
    low, high = tpf.levels(5, 90)
    assert shown["zmin"] == pytest.approx(low) and shown["zmax"] == pytest.approx(high)

    # The address follows the view, without a reload and without a history entry per step.
    shared.evaluate("() => { window.__notReloaded = true; }")
    length = shared.evaluate("() => history.length")
    shared.locator("#cadence [role=slider]").focus()
    shared.keyboard.press("ArrowRight")
    shown = wait_shown(shared, "/frame=1235/.test(s.search)")
    query = parse_qs(shown["search"].lstrip("?"))
    assert query["aperture"] == [encode_mask(aperture)] and query["scale"] == ["linear"]
    assert query["low"] == ["5"] and query["high"] == ["90"]
    assert shared.evaluate("() => window.__notReloaded === true")
    assert shared.evaluate("() => history.length") == length


def test_a_stale_or_damaged_link_gives_notices_and_the_default_view(open_page, demo_server):
    stale = open_page(f"{demo_server.url}/?file={'f' * 20}&frame=5&scale=sqrt")
    shown = wait_shown(stale, "/no longer in the server's cache/.test(s.message || '') "
                              "&& s.frame !== null")
    assert shown["frame"] == 0 and shown["scale"] == "log"

    damaged = open_page(f"{demo_server.url}/?frame=7&scale=cubic&aperture=junk&colour=red")
    shown = wait_shown(damaged, "s.frame === 7 && s.heatmap_frame === 7")
    assert "scale ('cubic') is not one of" in shown["message"]
    assert "aperture ('junk') is not an aperture code" in shown["message"]
    assert "'colour' is not one the dashboard knows" in shown["message"]
    assert shown["scale"] == "log"


def test_export_csv_downloads_the_current_curve(page, tpf):
    with page.expect_download() as download:
        page.click("#export-csv")
    assert download.value.suggested_filename.endswith(".csv")
    data = open(download.value.path(), "rb").read()
    lc = read_lightcurve(data, download.value.suggested_filename)
    assert lc.time_system == "BKJD" and len(lc) == tpf.n_cadences
    np.testing.assert_array_equal(lc.cadenceno, tpf.cadenceno)
    np.testing.assert_allclose(lc.flux, tpf.pipeline_lightcurve, rtol=1e-9)
    assert "# target: Simulated K2 star" in data.decode()


def test_export_png_and_movie(page, tpf):
    with page.expect_download() as download:
        page.click("#export-png")
    png = open(download.value.path(), "rb").read()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert re.search(r"_cadence_\d+\.png$", download.value.suggested_filename)

    page.fill("#movie-start", "11")
    page.fill("#movie-end", "30")
    with page.expect_download(timeout=90_000) as download:
        page.click("#export-movie")
    assert download.value.suggested_filename.endswith("_frames_11-30.gif")
    frames = iio.imread(open(download.value.path(), "rb").read(), index=None, extension=".gif")
    assert frames.shape[0] == 20 and 430 <= frames.shape[2] <= 460
    page.wait_for_function("() => /20 frames at 10 fps/.test("
                           "document.getElementById('movie-status').textContent)")


def test_a_link_to_another_cached_file_opens_it_then_restores_the_view(open_page, fresh_server,
                                                                      shared_file):
    server = fresh_server()
    page = open_page(server.url)
    demo_id = file_id(page)
    page.set_input_files("#upload-tpf input[type=file]",
                         str(shared_file("kplr011904151-2010009091648_lpd-targ.fits")))
    page.wait_for_function("(demo) => { const h = document.getElementById('share-link').href;"
                           " return h.includes('file=') && !h.includes(demo); }", arg=demo_id)
    kepler_id = file_id(page)
    shared = open_page(f"{server.url}/?file={kepler_id}&frame=5&scale=sqrt&low=2")
    shown = wait_shown(shared, "s.frame === 5 && s.heatmap_frame === 5 && s.scale === 'sqrt'")
    assert shown["stretch"] == [2, 95]
    assert "Kepler" in shared.text_content("#header")
