"""The Sky tab in a real browser, against the local stand-in for VizieR and SkyBoT
(tests/data/sky_server.py): catalogue sources drawn where the file's WCS puts them, RA/Dec in
the pixel hover, the aperture's contamination, a catalogue of your own, the known asteroids at
the frame on screen, and a service that is down or slow said in the page while stepping goes on.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from tests.browser.viewer_page import shown, tab, wait_until
from tests.data.sky_server import sky_server  # noqa: F401 - the stand-in's fixture
from tests.data.sky_stamps import kepler10_stamp

TIMEOUT_S = 3  # TPF_DASHBOARD_CATALOG_TIMEOUT for these servers

# The sky traces of the pixel figure, by name (figures/overlays.py's slots).
SKY_TRACES = """() => {
  const gd = document.querySelector('#pixels .js-plotly-plot');
  const out = {};
  gd.data.forEach(t => { out[t.name] = {x: Array.from(t.x || []), y: Array.from(t.y || []),
                                        text: Array.from(t.text || [])}; });
  return out;
}"""


@pytest.fixture
def stamp(tmp_path):
    path = tmp_path / "kepler10-synthetic.fits"
    path.write_bytes(kepler10_stamp(n_cadences=40))
    return path


@pytest.fixture
def sky_page(fresh_server, open_page, sky_server, stamp):  # noqa: F811
    server = fresh_server(str(stamp), env={
        "TPF_DASHBOARD_VIZIER_URL": sky_server.url,
        "TPF_DASHBOARD_SKYBOT_URL": sky_server.skybot_url,
        "TPF_DASHBOARD_CATALOG_TIMEOUT": str(TIMEOUT_S)})
    page = open_page(server.url)
    tab(page, "sky")
    return page


def file_wcs(path) -> tuple[WCS, int, int]:
    """The stamp's WCS read independently of the dashboard, from the FLUX column's keywords
    as pipeline files write them, and the CCD column and row of its first pixel."""
    with fits.open(path) as hdul:
        header = hdul[1].header
    n = next(k for k in range(1, header["TFIELDS"] + 1) if header[f"TTYPE{k}"] == "FLUX")
    image = fits.Header()
    for axis in (1, 2):
        image[f"CTYPE{axis}"] = header[f"{axis}CTYP{n}"]
        image[f"CRPIX{axis}"] = header[f"{axis}CRPX{n}"]
        image[f"CRVAL{axis}"] = header[f"{axis}CRVL{n}"]
        image[f"CDELT{axis}"] = header[f"{axis}CDLT{n}"]
        for other in (1, 2):
            image[f"PC{axis}_{other}"] = header[f"{axis}{other}PC{n}"]
    return WCS(image), int(header[f"1CRV{n}P"]), int(header[f"2CRV{n}P"])


def tick(page, label: str):
    page.locator("#sky-sources label", has_text=label).click()


def test_gaia_sources_are_drawn_where_the_files_wcs_puts_them(sky_page, sky_server, stamp):  # noqa: F811
    tick(sky_page, "Gaia DR3")
    status = wait_until(lambda: (lambda t: t if "Gaia" in t else None)(
        sky_page.inner_text("#sky-status")), timeout=15, message="Gaia's status")
    assert sky_server.count("/viz-bin/votable") == 1
    traces = wait_until(lambda: (lambda t: t if t["sources"]["x"] else None)(
        sky_page.evaluate(SKY_TRACES)), message="sources on the image")
    n_drawn = len(traces["sources"]["x"]) + len(traces["target"]["x"])
    assert str(n_drawn) in status, status
    # Every source drawn is on (or within half a pixel around) the stamp.
    _, column0, row0 = file_wcs(stamp)
    with fits.open(stamp) as hdul:
        rows, columns = hdul[1].data["FLUX"].shape[1:]
    x = np.array(traces["sources"]["x"] + traces["target"]["x"])
    y = np.array(traces["sources"]["y"] + traces["target"]["y"])
    assert np.all((x >= column0 - 1) & (x <= column0 + columns))
    assert np.all((y >= row0 - 1) & (y <= row0 + rows))
    # The contamination of the pipeline aperture, in words with its number.
    contamination = wait_until(lambda: (lambda t: t or None)(
        sky_page.inner_text("#sky-contamination")), message="the contamination")
    assert "other stars add" in contamination and "% to the target's light" in contamination, \
        contamination


def test_the_pixel_hover_says_ra_and_dec_from_the_files_wcs(sky_page, stamp):
    wcs, column0, row0 = file_wcs(stamp)
    gd = "#pixels .js-plotly-plot"
    box = sky_page.evaluate("""(sel) => { const gd = document.querySelector(sel);
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
        const r = gd.querySelector('.nsewdrag').getBoundingClientRect();
        return {left: r.left, top: r.top, x: [xa.range[0], xa.range[1]],
                y: [ya.range[0], ya.range[1]], w: r.width, h: r.height}; }""", gd)
    column, row = column0 + 3, row0 + 2  # the pixel to hover
    px = box["left"] + (column - box["x"][0]) / (box["x"][1] - box["x"][0]) * box["w"]
    py = box["top"] + (box["y"][1] - row) / (box["y"][1] - box["y"][0]) * box["h"]
    sky_page.mouse.move(px, py)
    label = wait_until(lambda: (lambda t: t if "RA" in t else None)(
        sky_page.evaluate("() => Array.from(document.querySelectorAll('.hoverlayer .hovertext'))"
                          ".map(e => e.textContent).join(' ')")), message="the hover label")
    ra, dec = wcs.pixel_to_world_values(3, 2)  # 0-based stamp column, row
    assert f"column {column}" in label and f"row {row}" in label, label
    assert f"RA {float(ra):.5f}" in label and f"Dec {float(dec):+.5f}" in label, label


def test_your_catalogue_is_read_and_drawn(sky_page, stamp):
    wcs, column0, row0 = file_wcs(stamp)
    ra, dec = wcs.pixel_to_world_values(2.0, 5.0)
    csv = f"id,ra,dec,mag\nneighbour,{float(ra):.7f},{float(dec):.7f},12.5\n"
    sky_page.set_input_files("#sky-upload input[type=file]", files=[{
        "name": "mine.csv", "mimeType": "text/csv", "buffer": csv.encode()}])
    wait_until(lambda: "1 source read" in sky_page.inner_text("#sky-upload-status"),
               message="the catalogue read")
    tick(sky_page, "your catalogue")
    traces = wait_until(lambda: (lambda t: t if t["sources"]["x"] else None)(
        sky_page.evaluate(SKY_TRACES)), timeout=15, message="your source on the image")
    assert traces["sources"]["x"] == pytest.approx([column0 + 2.0], abs=0.05)
    assert traces["sources"]["y"] == pytest.approx([row0 + 5.0], abs=0.05)
    assert "neighbour" in traces["sources"]["text"][0]


def test_known_asteroids_at_the_frame_on_screen(sky_page, sky_server):  # noqa: F811
    sky_page.keyboard.press("ArrowRight")
    wait_until(lambda: shown(sky_page)["slider"] == 1, message="frame 1")
    sky_page.click("#sky-asteroids")
    status = wait_until(lambda: (lambda t: t if "SkyBoT" in t else None)(
        sky_page.inner_text("#sky-status")), timeout=15, message="SkyBoT's answer")
    assert "at frame 1" in status, status
    assert sky_server.count("/skybot/conesearch.php") == 1


@pytest.mark.parametrize("fault, said", [("down", "had a server error (HTTP 503)"),
                                         ("slow", "did not answer")])
def test_a_service_down_or_slow_is_said_and_stepping_goes_on(sky_page, sky_server, fault,  # noqa: F811
                                                            said):
    if fault == "down":
        sky_server.status["/viz-bin"] = 503
    else:
        sky_server.sleep["/viz-bin"] = TIMEOUT_S + 5
    started = time.monotonic()
    tick(sky_page, "Gaia DR3")
    for frame in (1, 2, 3):  # the query runs in the background: the page keeps stepping
        sky_page.keyboard.press("ArrowRight")
        wait_until(lambda want=frame: shown(sky_page)["slider"] == want, timeout=3,
                   message="a step")
    message = wait_until(lambda: (lambda t: t if "Gaia" in t else None)(
        sky_page.inner_text("#sky-status")), timeout=TIMEOUT_S + 10, message="the failure")
    took = time.monotonic() - started
    assert message.startswith("Gaia DR3 (VizieR) ") and said in message, message
    if fault == "slow":
        assert took < TIMEOUT_S + 6, took  # the timeout holds, not the stand-in's sleep
    assert sky_page.evaluate(SKY_TRACES)["sources"]["x"] == []


def test_a_file_without_sky_coordinates_says_so(page):
    """The demo carries no WCS: the catalogues are offered disabled, with the reason."""
    tab(page, "sky")
    boxes = page.locator("#sky-sources input[type=checkbox]")
    assert boxes.count() == 3
    assert all(boxes.nth(i).is_disabled() for i in range(3))
    assert "this file carries no sky coordinates" in page.inner_text("#sky-sources")
