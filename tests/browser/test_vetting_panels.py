"""The vetting panels and images as a user drives them on the demo: the diagnostics panels
(background, centroids), the difference image and the per-pixel grid, each following the
cadence, and clicks on their points that move it.

Every test opens its own page on the shared demo server. Expected numbers are computed here from
``demo_tpf()``'s FLUX and FLUX_BKG, not with the app's own vetting functions; what is compared is
what plotly.js holds (``gd._fullData``, ``gd._fullLayout``) and what the readout says.
"""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.data.demo import COSMIC_RAY, TRUTH, asteroid_position
from dashboard.figures.stretch import difference_colorscale

from .vetting_page import RELAYOUT, choose_radio, click_graph, go_to, text, tick, trace
from .viewer_page import blur, heatmap, shown, tab, wait_frame, wait_until

DIFFERENCE_COLORSCALE = difference_colorscale("rdbu")  # the default diverging map

pytestmark = pytest.mark.browser


# --- diagnostics ---------------------------------------------------------------------------------

DIAGNOSTICS = """() => {
  const wrap = document.getElementById('diagnostics-wrap');
  const gd = document.querySelector('#diagnostics .js-plotly-plot');
  const cursor = document.getElementById('diagnostics-cursor');
  return {hidden: wrap.hidden, names: gd && gd._fullData ? gd._fullData.map(t => t.name) : [],
          cursor: cursor && !cursor.hidden ? Number(cursor.dataset.frame) : null};
}"""


def test_diagnostics_follow_the_cadence_and_jump_to_a_clicked_point(page, demo, pipeline):
    tab(page, "diagnostics")
    assert page.evaluate(DIAGNOSTICS)["hidden"]
    tick(page, "diagnostic-panels", "background")
    tick(page, "diagnostic-panels", "centroids")
    panels = ["Background (e⁻/s)", "Centroid column", "Centroid row"]
    wait_until(lambda: (lambda d: d if not d["hidden"] and d["names"] == panels else None)(
        page.evaluate(DIAGNOSTICS)), message=lambda: f"diagnostics panels {panels}; "
                                                     f"page has {page.evaluate(DIAGNOSTICS)}")
    rows, columns = (np.array(v) for v in zip(*sorted(pipeline), strict=True))
    cube = demo.flux[:, rows, columns].astype(np.float64)
    assert np.allclose(trace(page, "diagnostics", 0)["y"],
                       demo.flux_bkg[:, rows, columns].astype(np.float64).sum(axis=1), rtol=1e-6)
    column = (cube * columns).sum(axis=1) / cube.sum(axis=1) + demo.column
    assert np.allclose(trace(page, "diagnostics", 1)["y"], column.astype(np.float32), rtol=1e-6)

    # The panels' cursor follows the cadence.
    wait_until(lambda: page.evaluate(DIAGNOSTICS)["cursor"] == 0)
    blur(page)
    page.keyboard.press("ArrowRight")
    wait_frame(page, demo, 1)
    wait_until(lambda: page.evaluate(DIAGNOSTICS)["cursor"] == 1,
               message=lambda: f"diagnostics cursor to follow: {page.evaluate(DIAGNOSTICS)}")
    page.keyboard.press("Shift+ArrowRight")
    wait_frame(page, demo, 11)
    wait_until(lambda: page.evaluate(DIAGNOSTICS)["cursor"] == 11)
    cursors = page.evaluate("""() => [document.getElementById('cursor'),
        document.getElementById('diagnostics-cursor')].map(c => {
          const r = c.getBoundingClientRect(); return r.left + r.width / 2; })""")
    assert abs(cursors[0] - cursors[1]) <= 2, cursors  # one above the other

    # Zoom the panels' time axis (the light curve follows) so cadences are far apart, then
    # click one point of the centroid-row panel: the cadence jumps to that point's frame.
    frame = 1500
    t0, t1 = demo.time[frame - 15], demo.time[frame + 15]
    assert page.evaluate(RELAYOUT, ["diagnostics", {"xaxis.range": [t0, t1]}])
    wait_until(lambda: np.allclose(page.evaluate(
        "() => document.querySelector('#lightcurve .js-plotly-plot')._fullLayout.xaxis.range"),
        [t0, t1]), message="light curve to follow the panels' zoom")
    row_panel = trace(page, "diagnostics", 2)
    hover = click_graph(page, "diagnostics", demo.time[frame], row_panel["y"][frame],
                        trace_index=2, hovered=lambda h: h["curve"] == 2)
    assert hover["point"] == frame
    wait_frame(page, demo, frame)
    wait_until(lambda: page.evaluate(DIAGNOSTICS)["cursor"] == frame)
    assert text(page, "#readout-cadence") == str(demo.cadenceno[frame])


# --- difference image ----------------------------------------------------------------------------

def wait_difference(page, frame: int) -> dict:
    def shown_frame():
        return page.evaluate(
            "() => (m => m !== null && typeof m === 'object' ? m.frame : m)("
            "document.querySelector('#pixels .js-plotly-plot')._fullData[0].meta)")

    def drawn():
        # The frame before and after reading the pixels: z read in between is that frame's
        # (Plotly's heatmap catches up with the painter when stepping pauses).
        before = shown_frame()
        h = heatmap(page)
        after = shown_frame()
        return h if before == after == frame and h["zmin"] < 0 and h["colorscale"] == \
            page.evaluate("c => JSON.stringify(c)", DIFFERENCE_COLORSCALE) else None
    return wait_until(drawn, message=f"difference image of frame {frame}")


def test_difference_image_shows_the_asteroid_and_the_cosmic_ray(page, demo):
    frame = TRUTH["asteroid"]["first_frame"] + 18  # 618: the asteroid is clear of the star
    go_to(page, demo, frame)
    choose_radio(page, "image-mode", "difference")
    drawn = wait_difference(page, frame)
    assert drawn["zmax"] > 0 and drawn["zmin"] == -drawn["zmax"]
    colours = [c for _, c in DIFFERENCE_COLORSCALE]
    assert colours[0] != colours[-1] and len(colours) >= 3  # a diverging scale, white mid
    middle = DIFFERENCE_COLORSCALE[len(colours) // 2][1].replace(" ", "")
    assert middle in ("rgb(247,247,247)", "#f7f7f7"), middle
    z = drawn["z"]
    # The static star cancels: the image is small everywhere but where the asteroid is.
    assert np.nanmax(np.abs(z)) < 0.2 * demo.flux[frame].max()
    peak = np.unravel_index(np.nanargmax(z), z.shape)
    row, column = asteroid_position(frame)
    assert abs(peak[0] - row) <= 1 and abs(peak[1] - column) <= 1, (peak, (row, column))

    go_to(page, demo, COSMIC_RAY["frame"])
    drawn = wait_difference(page, COSMIC_RAY["frame"])
    z = drawn["z"]
    assert np.unravel_index(np.nanargmax(z), z.shape) == (COSMIC_RAY["row"], COSMIC_RAY["column"])
    assert np.nanmax(z) > 0.8 * COSMIC_RAY["flux"]
    assert drawn["zmin"] == -drawn["zmax"]

    # Back to flux: the frame's own pixels and the stretch's colours again.
    choose_radio(page, "image-mode", "flux")
    restored = wait_until(lambda: (lambda h: h if np.array_equal(
        h["z"], demo.flux[COSMIC_RAY["frame"]]) else None)(heatmap(page)),
        message="flux image to come back")
    assert restored["zmin"] != -restored["zmax"]
    assert restored["colorscale"] != drawn["colorscale"]


# --- per-pixel curves ----------------------------------------------------------------------------

GRID = """() => {
  const wrap = document.getElementById('pixel-grid-wrap');
  const gd = document.querySelector('#pixel-grid .js-plotly-plot');
  return {hidden: wrap.hidden, traces: gd && gd._fullData ? gd._fullData.length : 0,
          range: gd && gd._fullLayout && gd._fullLayout.xaxis ? gd._fullLayout.xaxis.range : null,
          ticks: gd && gd._fullLayout && gd._fullLayout.xaxis
                 ? Array.from(gd._fullLayout.xaxis.ticktext || []) : []};
}"""


def test_pixel_grid_click_moves_the_cadence(page, demo):
    tick(page, "diagnostic-panels", "pixels")
    grid = wait_until(lambda: (lambda g: g if not g["hidden"] and g["traces"] == demo.shape[0]
                               else None)(page.evaluate(GRID)), message="per-pixel grid")
    assert grid["ticks"] == [str(demo.column + j) for j in range(demo.shape[1])]
    width = grid["range"][1] / demo.shape[1]  # x units per cell: its points plus one gap
    cell = int(round(width))
    assert cell == width

    # Each cell holds two points (lowest and highest, in time order) per bin of frames.
    bin_frames = -(-demo.n_cadences // ((cell - 1) // 2))

    # The cosmic-ray pixel's curve (grid trace = stamp row, cell = stamp column): the higher of
    # the two points of the cosmic ray's bin is the cosmic ray. (The asteroid crossing this
    # pixel at frame 629 also reaches the top of the cell, whose scale is clipped at the 99th
    # percentile.) Zoom into that bin so that points are far apart, then click the point.
    row, column = COSMIC_RAY["row"], COSMIC_RAY["column"]
    curve = trace(page, "pixel-grid", row)
    first = column * cell + 2 * (COSMIC_RAY["frame"] // bin_frames)
    index = first + int(np.argmax(curve["y"][first:first + 2]))
    assert page.evaluate(RELAYOUT, ["pixel-grid", {"xaxis.range": [index - 15, index + 15]}])
    hover = click_graph(page, "pixel-grid", index, curve["y"][index], trace_index=row,
                        hovered=lambda h: h["curve"] == row and h["point"] == index)
    assert hover["point"] == index
    frame = COSMIC_RAY["frame"]
    wait_frame(page, demo, frame)
    state = shown(page)
    assert state["slider"] == frame and state["cadence"] == str(demo.cadenceno[frame])
    wait_until(lambda: np.array_equal(heatmap(page)["z"], demo.flux[frame]),
               message="image to show the clicked frame")

    # Another point: the first point of a pixel's third bin. Whatever frame the grid maps it
    # to, the page moves there, and that frame lies in the bin and is its lowest or highest.
    row, column = 3, 11
    curve = trace(page, "pixel-grid", row)
    index = column * cell + 4
    assert page.evaluate(RELAYOUT, ["pixel-grid", {"xaxis.range": [index - 15, index + 15]}])
    click_graph(page, "pixel-grid", index, curve["y"][index], trace_index=row,
                hovered=lambda h: h["curve"] == row and h["point"] == index)
    moved = wait_until(lambda: (lambda s: s if s["slider"] != frame else None)(shown(page)),
                       message="the cadence to move")
    new = moved["slider"]
    first = 2 * bin_frames
    assert first <= new < first + bin_frames, (new, first, bin_frames)
    in_bin = demo.flux[first:first + bin_frames, row, column]
    assert demo.flux[new, row, column] in (in_bin.min(), in_bin.max())
    wait_frame(page, demo, new)
