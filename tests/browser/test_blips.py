"""The Blip report as a user meets it: a link to the demo's asteroid opens with the report for
that frame naming a moving object (its numbers shown, its track drawn on the image); its
evidence button shows the difference image at the frame it names; the blips list names the
demo's own artifacts and each row goes to its frame; the centroid test puts the demo's transit
on the target."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.data.demo import ASTEROID, COSMIC_RAY, TRANSIT, TRUTH, asteroid_position

from .vetting_page import text, wait_text
from .viewer_page import tab, wait_until

pytestmark = pytest.mark.browser

FRAME = 620  # the asteroid is well away from the star (demo.py TRUTH)
OVERLAY = """() => {
  const gd = document.querySelector('#pixels .js-plotly-plot');
  const t = gd._fullData[2];
  return {x: Array.from(t.x || []), y: Array.from(t.y || []), name: t.name};
}"""
IMAGE = """() => {
  const gd = document.querySelector('#pixels .js-plotly-plot');
  const meta = gd.data[0].meta;
  return {frame: meta && meta.frame, zmin: gd._fullData[0].zmin, zmax: gd._fullData[0].zmax,
          z: Array.from(gd._fullData[0].z, row => Array.from(row))};
}"""


def test_a_link_to_the_asteroid_opens_with_its_report_and_its_evidence(open_page, demo_server,
                                                                       demo):
    view = open_page(demo_server.url)
    fid = view.evaluate("() => window.tpf.view.owner().state.file")
    page = open_page(f"{demo_server.url}/?file={fid}&frame={FRAME}")
    tab(page, "blips")
    wait_text(page, "#blip-frame", rf"^Frame {FRAME} \(0-based\)", timeout=20)
    first = page.locator("#blip-report .blip-card").first
    assert first.locator(".blip-kind").inner_text() == "Moving object"
    summary = first.locator(".blip-summary").inner_text()
    assert "px/cadence" in summary
    # Its speed, as the simulation moves it (demo.py): within 20%.
    span = ASTEROID["last_frame"] - ASTEROID["first_frame"]
    truth = np.hypot(ASTEROID["row"][1] - ASTEROID["row"][0],
                     ASTEROID["column"][1] - ASTEROID["column"][0]) / span
    speed = float(summary.split("moves ")[1].split(" px")[0])
    assert abs(speed - truth) <= 0.2 * truth, (speed, truth)
    # The numbers behind it are there to read.
    first.locator("summary").click()
    assert "speed px per cadence" in first.locator(".blip-numbers").inner_text()

    # The track is drawn on the image, on the asteroid's path (CCD coordinates).
    track = wait_until(lambda: (lambda o: o if o["x"] else None)(page.evaluate(OVERLAY)),
                       message="the moving object's track on the image")
    for x, y in zip(track["x"], track["y"], strict=True):
        assert demo.column - 1 <= x <= demo.column + demo.shape[1]
        assert demo.row - 1 <= y <= demo.row + demo.shape[0]

    # Its difference-image button: the image switches to difference at that frame, and the
    # asteroid is the brightest change there.
    button = first.locator("button", has_text="difference image at frame")
    frame = int(button.inner_text().rsplit(" ", 1)[1])
    button.click()
    shown = wait_until(lambda: (lambda s: s if s["frame"] == frame and s["zmin"] < 0 else None)(
        page.evaluate(IMAGE)), timeout=15, message="the difference image at the evidence's frame")
    assert page.evaluate("() => window.tpf.view.owner().state.frame") == frame
    tab(page, "image")  # its Image tab says so too
    assert page.is_checked("#image-mode input[value='difference']")
    z = np.array(shown["z"], dtype=float)
    row, column = asteroid_position(frame)
    star = TRUTH["star"]  # the roll leaves residuals on the star itself: look away from it
    rr, cc = np.mgrid[:z.shape[0], :z.shape[1]]
    z[(rr - star["row"]) ** 2 + (cc - star["column"]) ** 2 < 3.5 ** 2] = np.nan
    peak = np.unravel_index(np.nanargmax(z), z.shape)
    assert abs(peak[0] - row) <= 1.5 and abs(peak[1] - column) <= 1.5, (peak, (row, column))


def test_the_blips_list_names_the_demos_artifacts_and_goes_to_them(page):
    tab(page, "blips")
    rows = page.locator("#blip-list .blip-event")
    wait_until(lambda: rows.count() >= 3, timeout=20, message="the blips list")
    listed = [(r.locator("td").nth(1).inner_text(), r.locator("td").nth(3).inner_text())
              for r in rows.all()]
    spans = {verdict: [tuple(int(v) for v in frames.split("–")) for frames, v in listed
                       if v == verdict] for _, verdict in listed}
    assert any(first <= COSMIC_RAY["frame"] <= last for first, last in spans["Cosmic ray"])
    assert any(first <= 630 <= last for first, last in spans["Moving object"])
    # A row's button goes to its frame.
    ray = next(r for r in rows.all() if r.locator("td").nth(3).inner_text() == "Cosmic ray")
    ray.locator("button").click()
    page.wait_for_function("f => window.tpf.view.owner().state.frame === f",
                           arg=COSMIC_RAY["frame"])
    wait_text(page, "#blip-frame", rf"^Frame {COSMIC_RAY['frame']} ", timeout=15)
    assert page.locator("#blip-report .blip-card .blip-kind").first.inner_text() == "Cosmic ray"


def test_the_centroid_test_puts_the_demos_transit_on_the_target(page):
    tab(page, "blips")
    page.fill("#centroid-period", str(TRANSIT["period"]))
    page.fill("#centroid-epoch", str(TRANSIT["epoch"]))
    page.fill("#centroid-duration", str(TRANSIT["duration"]))
    page.click("#centroid-run")
    summary = wait_text(page, "#centroid-summary", "on the target", timeout=20)
    assert "event(s)" in summary and "Odd and even" in summary
    assert "odd" in text(page, "#centroid-result") and "even" in text(page, "#centroid-result")
    marks = wait_until(lambda: page.evaluate("""() => Array.from(document.querySelector(
        '#pixels .js-plotly-plot')._fullData[5].x || []).length"""), timeout=10,
        message="the centroid test's marks on the image")
    assert marks == 4  # centroid, target, odd, even
