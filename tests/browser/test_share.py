"""Links and exports as a user meets them: open a link and see the same view; step or click and
see the address (and the copied link) hold the view on screen; a stale or damaged link gives a
notice; the export buttons download a CSV, a labelled PNG and a movie, checked by decoding them.
"""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlparse

import imageio.v3 as iio
import numpy as np
import pytest
from PIL import Image
from plotly.colors import get_colorscale

from dashboard.data.demo import demo_tpf
from dashboard.data.lightcurves import read_lightcurve
from dashboard.data.masks import encode_mask

from .vetting_page import press, reveal
from .viewer_page import CURVE_POINT, click_curve, tab, wait_until

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
    zmin: gd._fullData[0].zmin, zmax: gd._fullData[0].zmax,
    colorscale: gd._fullData[0].colorscale,
    heatmap_frame: (m => m && typeof m === 'object' ? m.frame : null)(gd.data[0].meta),
    cadence: text('readout-cadence'), aperture: text('readout-flux-note'),
    notes: text('view-notes'), search: window.location.search,
  };
}"""


@pytest.fixture(scope="module")
def tpf():
    return demo_tpf()


def file_id(page) -> str:
    reveal(page, "#share-link")  # the Share & export tab, as a user opens it
    page.wait_for_function("() => document.getElementById('share-link').href.includes('file=')")
    return parse_qs(urlparse(page.get_attribute("#share-link", "href")).query)["file"][0]


def wait_shown(page, condition: str, timeout: float = 15_000):
    """Wait until the page shows ``condition`` of SHOWN, its Image tab open (the stretch and
    scale controls are there), and return what it shows."""
    reveal(page, "#scale")
    page.wait_for_function(f"() => {{ const s = ({SHOWN})(); return {condition}; }}",
                           timeout=timeout)
    return page.evaluate(SHOWN)


def percentiles(tpf, low, high):
    """The stretch's flux levels, from numpy over every finite pixel of the cube."""
    values = tpf.flux[np.isfinite(tpf.flux)].astype(np.float64)
    return np.percentile(values, [low, high])


def test_a_link_reopens_the_same_cadence_aperture_stretch_and_colours(page, open_page,
                                                                     demo_server, tpf):
    fid = file_id(page)
    aperture = np.zeros(tpf.shape, dtype=bool)
    aperture[6:9, 6:9] = True
    link = (f"{demo_server.url}/?file={fid}&frame=1234&aperture={encode_mask(aperture)}"
            "&low=5&high=90&scale=linear&cmap=gray")
    shared = open_page(link)
    shown = wait_shown(shared, "s.frame === 1234 && s.heatmap_frame === 1234 "
                               "&& /9 px/.test(s.aperture || '') && s.scale === 'linear'")
    assert shown["cadence"] == str(tpf.cadenceno[1234])
    assert "your aperture, 9 px" in shown["aperture"]
    assert shown["stretch"] == [5, 90]
    low, high = percentiles(tpf, 5, 90)
    assert shown["zmin"] == pytest.approx(low, rel=1e-6)
    assert shown["zmax"] == pytest.approx(high, rel=1e-6)
    # The colour map is plotly's gray (black to white), linear: its own stops.
    gray = get_colorscale("gray")
    assert shown["colorscale"][0][1] == gray[0][1]
    assert shown["colorscale"][-1][1].replace(" ", "") in ("rgb(255,255,255)", "rgb(254,254,253)")
    tab(shared, "image")
    assert shared.inner_text("#colormap").strip().startswith("gray")

    # The address follows the view, without a reload and without a history entry per step.
    shared.evaluate("() => { window.__notReloaded = true; }")
    length = shared.evaluate("() => history.length")
    shared.locator("#cadence [role=slider]").focus()
    shared.keyboard.press("ArrowRight")
    shown = wait_shown(shared, "/frame=1235/.test(s.search)")
    query = parse_qs(shown["search"].lstrip("?"))
    assert query["aperture"] == [encode_mask(aperture)] and query["scale"] == ["linear"]
    assert query["low"] == ["5"] and query["high"] == ["90"] and query["cmap"] == ["gray"]
    assert shared.evaluate("() => window.__notReloaded === true")
    assert shared.evaluate("() => history.length") == length


def test_copy_link_and_the_address_hold_the_frame_just_clicked(page, tpf, browser_context):
    """Click a light-curve point, then Copy link at once: the copied link (and the address)
    name that frame, not the one before (fix: the address lagged one step behind)."""
    browser_context.grant_permissions(["clipboard-read", "clipboard-write"])
    frame = 638
    where = page.evaluate(CURVE_POINT, [frame, None, None])
    click_curve(page, where, tpf.time[frame])
    page.wait_for_function("f => window.tpf.view.owner().state.frame === f", arg=frame)
    tab(page, "share")
    page.click("#copy-link")
    wait_until(lambda: page.text_content("#share-status") == "Link copied.")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert parse_qs(urlparse(copied).query)["frame"] == [str(frame)]
    assert parse_qs(page.evaluate("() => location.search").lstrip("?"))["frame"] == [str(frame)]
    assert page.get_attribute("#share-link", "href") == copied


def test_a_stale_or_damaged_link_gives_notices_and_the_default_view(open_page, demo_server):
    stale = open_page(f"{demo_server.url}/?file={'f' * 20}&frame=5&scale=sqrt")
    shown = wait_shown(stale, "/no longer in the server's cache/.test(s.notes || '') "
                              "&& s.frame !== null")
    assert shown["frame"] == 0 and shown["scale"] == "log"

    damaged = open_page(f"{demo_server.url}/?frame=7&scale=cubic&aperture=junk&colour=red")
    shown = wait_shown(damaged, "s.frame === 7 && s.heatmap_frame === 7")
    assert "scale ('cubic') is not one of" in shown["notes"]
    assert "aperture ('junk') is not an aperture code" in shown["notes"]
    assert "'colour' is not one the dashboard knows" in shown["notes"]
    assert shown["scale"] == "log"


def test_export_csv_downloads_the_current_curve(page, tpf):
    press(page, "#export-csv")
    with page.expect_download() as download:
        page.click("#export-csv")
    assert download.value.suggested_filename.endswith(".csv")
    data = open(download.value.path(), "rb").read()
    lc = read_lightcurve(data, download.value.suggested_filename)
    assert lc.time_system == "BKJD" and len(lc) == tpf.n_cadences
    np.testing.assert_array_equal(lc.cadenceno, tpf.cadenceno)
    np.testing.assert_allclose(lc.flux, tpf.pipeline_lightcurve, rtol=1e-9)
    assert "# target: Simulated K2 star" in data.decode()


def test_export_png_is_labelled_and_the_movie_shows_the_frames(page, tpf):
    press(page, "#export-png")
    page.evaluate("() => window.tpf.view.owner().select(1234)")
    page.wait_for_function("() => document.getElementById('readout-frame').textContent === '1234'")
    with page.expect_download() as download:
        page.click("#export-png")
    name = download.value.suggested_filename
    assert name == f"Simulated_K2_star_frame_1234_cadence_{tpf.cadenceno[1234]}.png"
    image = np.asarray(Image.open(io.BytesIO(open(download.value.path(), "rb").read()))
                       .convert("RGB")).astype(int)
    assert image.shape[0] > 600 and image.shape[1] > 1500  # both graphs, at twice the size
    band = image[:128]  # the caption band: dark text on white
    assert (band < 80).all(axis=2).sum() > 500 and (band > 245).all(axis=2).mean() > 0.8
    # The cursor line is drawn in red over the light curve.
    red = (image[:, :, 0] > 200) & (image[:, :, 1] < 60) & (image[:, :, 2] < 60)
    assert red.sum(axis=0).max() > 300
    page.wait_for_function("n => document.getElementById('png-status').textContent"
                           ".includes(n)", arg=name)

    page.fill("#movie-start", "10")
    page.fill("#movie-end", "29")
    with page.expect_download(timeout=90_000) as download:
        page.click("#export-movie")
    assert download.value.suggested_filename.endswith("_frames_10-29.gif")
    frames = iio.imread(open(download.value.path(), "rb").read(), index=None, extension=".gif")
    assert frames.shape[0] == 20 and 430 <= frames.shape[2] <= 460
    # Each frame is that cadence's image: the bright star's pixels in the movie track the
    # file's brightest pixel, and successive frames differ (the roll moves the star).
    assert not np.array_equal(frames[0], frames[10])
    page.wait_for_function("() => /20 frames .0-based 10.29. at 10 fps/.test("
                           "document.getElementById('movie-status').textContent)")


def test_a_link_to_another_cached_file_opens_it_then_restores_the_view(open_page, fresh_server,
                                                                      shared_file):
    server = fresh_server()
    page = open_page(server.url)
    demo_id = file_id(page)
    page.set_input_files("#upload-tpf input[type=file]",
                         str(shared_file("kplr011904151-2010009091648_lpd-targ.fits")))
    reveal(page, "#share-link")
    page.wait_for_function("(demo) => { const h = document.getElementById('share-link').href;"
                           " return h.includes('file=') && !h.includes(demo); }", arg=demo_id)
    kepler_id = file_id(page)
    shared = open_page(f"{server.url}/?file={kepler_id}&frame=5&scale=sqrt&low=2")
    shown = wait_shown(shared, "s.frame === 5 && s.heatmap_frame === 5 && s.scale === 'sqrt'")
    assert shown["stretch"] == [2, 95]
    assert "Kepler" in shared.text_content("#header")
    assert re.search(r"frame=5", shown["search"])
