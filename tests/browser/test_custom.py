"""The user's own light curve in a real browser: upload, registration notice, gaps, clicks,
junk, a time-system override, and a real K2SFF file on its own TPF.

The CSV is written here from ``demo_tpf()`` the way a person cleans a curve: flagged cadences
and outliers dropped, then saved with its columns in an unusual order ('flux,time'). Its points
are offset from the pipeline curve so that they are drawn apart from it and a click lands on
the custom curve, not on trace 0.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from astropy.io import fits

from dashboard.data.demo import COSMIC_RAY

from .vetting_page import choose_dropdown, click_graph, text, trace, wait_text
from .viewer_page import heatmap, shown, tab, wait_frame, wait_pixels, wait_until, zoom_curve

pytestmark = pytest.mark.browser

UPLOAD = "#upload-lightcurve input[type=file]"
C9_TPF = "ktwo221312395-c91_lpd-targ.fits.gz"
K2SFF = "hlsp_k2sff_k2_lightcurve_221312395-c91_kepler_v1_llc.fits"
OFFSET = 3000.0  # e-/s below the pipeline curve


@pytest.fixture(scope="module")
def cleaned(demo):
    """(kept frames, CSV bytes) of a cleaned demo curve: no flagged cadence, no outlier."""
    flux = demo.pipeline_lightcurve.astype(np.float64)
    window = np.lib.stride_tricks.sliding_window_view(np.pad(flux, 5, mode="edge"), 11)
    residual = flux - np.median(window, axis=1)
    mad = np.median(np.abs(residual - np.median(residual)))
    outlier = np.abs(residual) > 8 * 1.4826 * mad
    keep = np.flatnonzero((demo.quality == 0) & ~outlier)
    assert COSMIC_RAY["frame"] not in keep  # the cosmic ray is an outlier
    assert 1500 < keep.size < demo.n_cadences - demo.n_cadences // 12
    lines = ["# demo curve, cleaned: flagged cadences and outliers removed", "flux,time"]
    lines += [f"{flux[k] - OFFSET:.4f},{demo.time[k]:.8f}" for k in keep]
    return keep, ("\n".join(lines) + "\n").encode()


def upload(page, name: str, data: bytes | None = None, path=None):
    if path is not None:
        page.set_input_files(UPLOAD, str(path))
    else:
        page.set_input_files(UPLOAD, files=[{"name": name, "mimeType": "text/csv",
                                             "buffer": data}])


def custom_trace(page) -> dict:
    return trace(page, "lightcurve", 2)


def wait_custom(page, points: int) -> dict:
    """Wait until trace 2 is shown with ``points`` finite points."""
    return wait_until(lambda: (lambda t: t if t["visible"] is True and np.isfinite(
        t["x"]).sum() == points else None)(custom_trace(page)), timeout=20,
        message=lambda: f"custom curve of {points} points; notes: "
                        f"{text(page, '#analysis-notes')!r}")


def test_upload_csv_click_a_point_junk_then_mjd(open_page, demo_server, demo, cleaned):
    keep, csv = cleaned
    page = open_page(demo_server.url)
    tab(page, "custom")
    assert custom_trace(page)["visible"] is False
    upload(page, "cleaned.csv", csv)
    matched = rf"{keep.size} of {keep.size} points matched a cadence"
    notice = wait_text(page, "#analysis-notes", matched)
    assert "cleaned.csv" in notice and "match none" not in notice
    drawn = wait_custom(page, keep.size)

    # Gaps where cadences were dropped: one NaN between kept neighbours that are not adjacent,
    # none elsewhere; each drawn point carries its frame.
    gaps = np.flatnonzero(np.diff(keep) > 1) + 1
    want_x = np.insert(demo.time[keep], gaps, np.nan)
    assert drawn["x"].shape == want_x.shape
    assert np.array_equal(np.isnan(drawn["x"]), np.isnan(want_x))
    assert np.allclose(drawn["x"], want_x, rtol=0, atol=1e-7, equal_nan=True)
    assert np.array_equal(np.isnan(drawn["y"]), np.isnan(want_x))
    want_y = np.insert(demo.pipeline_lightcurve[keep] - OFFSET, gaps, np.nan).astype(np.float32)
    assert np.allclose(drawn["y"], want_y, rtol=1e-6, equal_nan=True)
    assert drawn["customdata"] == np.insert(keep, gaps, -1).tolist()
    assert trace(page, "lightcurve", 3)["visible"] is False  # nothing unmatched
    assert page.is_visible("#custom-controls")

    # Zoom to a few dozen cadences and click one custom point: slider, readout, image follow.
    frame = 1000
    index = int(np.flatnonzero(np.array(drawn["customdata"]) == frame)[0])
    zoom_curve(page, frame - 20, frame + 20)
    hover = click_graph(page, "lightcurve", drawn["x"][index], drawn["y"][index], trace_index=2,
                        hovered=lambda h: h["curve"] == 2 and h["point"] == index)
    assert hover["x"] == pytest.approx(demo.time[frame], abs=1e-7)
    wait_frame(page, demo, frame)
    wait_pixels(page, demo.flux[frame])
    assert text(page, "#readout-cadence") == str(demo.cadenceno[frame])

    # Junk: a message, and the view as it was (custom curve, frame, image).
    before = custom_trace(page)
    upload(page, "junk.csv", b"\x00\x01\x02\xff\xfe binary junk \x00" * 40)
    error = wait_until(lambda: page.query_selector("#custom-status .error"), timeout=15,
                       message="the error message for junk")
    assert "junk.csv" in error.text_content()
    assert re.search(matched, text(page, "#analysis-notes"))  # the registration still stands
    after = custom_trace(page)
    assert after["visible"] is True
    assert np.array_equal(after["x"], before["x"], equal_nan=True)
    assert after["customdata"] == before["customdata"]
    state = shown(page)
    assert state["slider"] == frame and state["cursor"] == frame
    assert np.array_equal(heatmap(page)["z"], demo.flux[frame])

    # Times read as MJD instead (the user's override): they do not overlap the TPF, and the
    # notice says so plainly; no custom point is drawn on a cadence.
    choose_dropdown(page, "custom-system", "MJD")
    notice = wait_text(page, "#analysis-notes", "None of the light curve's times fall within")
    assert "MJD" in notice and "time system" in notice
    wait_until(lambda: not np.isfinite(custom_trace(page)["x"]).any(),
               message="no custom point drawn on the TPF's cadences")


def test_k2sff_light_curve_registers_onto_its_own_tpf(open_page, fresh_server, shared_file):
    tpf_path, lc_path = shared_file(C9_TPF), shared_file(K2SFF)
    server = fresh_server(str(tpf_path))
    page = open_page(server.url)
    tab(page, "custom")
    upload(page, K2SFF, path=lc_path)
    notice = wait_text(page, "#analysis-notes", r"1119 of 1119 points matched a cadence",
                       timeout=30)
    assert "match none" not in notice
    drawn = wait_custom(page, 1119)

    # Every point on the TPF cadence nearest in time, from times read straight from both files.
    with fits.open(lc_path) as lc, fits.open(tpf_path) as tpf:
        lc_time = np.asarray(lc[1].data["T"], dtype=np.float64)
        tpf_time = np.asarray(tpf[1].data["TIME"], dtype=np.float64)
    finite = np.flatnonzero(np.isfinite(tpf_time))
    nearest = finite[np.argmin(np.abs(tpf_time[finite][None, :] - lc_time[:, None]), axis=1)]
    assert np.all(np.abs(tpf_time[nearest] - lc_time) < 0.5 * np.median(np.diff(tpf_time[finite])))
    frames = np.array(drawn["customdata"])
    assert frames[frames >= 0].tolist() == nearest.tolist()
    assert np.allclose(drawn["x"][frames >= 0], lc_time, rtol=0, atol=1e-6)

    # K2SFF's FCOR (~1) beside the TPF's e-/s: on an axis of its own, said so, and the readout
    # gives its value at the cadence on screen, the FCOR of the point on that cadence.
    axes = page.evaluate("""() => {
        const gd = document.querySelector('#lightcurve .js-plotly-plot');
        return {axis: gd._fullData[2].yaxis, y2: gd._fullLayout.yaxis2.visible,
                range: gd._fullLayout.yaxis2.range, title: gd._fullLayout.yaxis2.title.text}; }""")
    assert axes["axis"] == "y2" and axes["y2"] and "FCOR" in axes["title"]
    with fits.open(lc_path) as lc:
        fcor = np.asarray(lc[1].data["FCOR"], dtype=np.float64)
    assert axes["range"][0] <= np.nanmin(fcor) and np.nanmax(fcor) <= axes["range"][1]
    assert "own axis" in text(page, "#analysis-notes")
    frame = int(nearest[500])
    page.evaluate("f => window.tpf.view.owner().select(f)", frame)
    wait_text(page, "#readout-custom", rf"^{fcor[500]:.6g}$")
    assert text(page, "#readout-custom-note") == K2SFF
    # Normalised, both curves share one axis.
    page.click("#normalise input")
    page.wait_for_function("() => document.querySelector('#lightcurve .js-plotly-plot')"
                           "._fullData[2].yaxis === 'y'")
