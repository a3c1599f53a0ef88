"""The vetting tools as a user drives them on the demo: aperture clicks and box selection,
background subtraction, diagnostics, the difference image, the quality mask and the per-pixel
grid.

Every test opens its own page on the shared demo server (a page's aperture, mask and panels live
in that page). Expected numbers are computed here from ``demo_tpf()``'s FLUX, FLUX_BKG and
QUALITY, not with the app's own vetting functions; what is compared is what plotly.js holds
(``gd._fullData``, ``gd._fullLayout``) and what the readout says. Clicks go where plotly.js's own
axis mapping (``l2p`` + ``_offset`` + the graph's bounding rect) puts a pixel or a point, after
plotly has registered the hover there and outside its double-click window.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from astropy.io import fits

from dashboard.data.demo import COSMIC_RAY, TRUTH, asteroid_position, demo_bytes, demo_tpf
from dashboard.figures.diagnostics import DIFFERENCE_COLORSCALE

from .test_viewer import blur, heatmap, readings, shown, wait_frame, wait_until

pytestmark = pytest.mark.browser

# Screen position of a point (x, y in data coordinates) of a graph, on the axes of trace
# `trace` (its xaxis/yaxis, so stacked panels work), and what plotly.js hovers there now.
GRAPH_POINT = """([id, x, y, trace]) => {
  const gd = document.querySelector('#' + id + ' .js-plotly-plot');
  const rect = gd.getBoundingClientRect();
  const t = gd._fullData[trace || 0];
  const name = a => a.length > 1 ? a[0] + 'axis' + a.slice(1) : a + 'axis';
  const xa = gd._fullLayout[name(t.xaxis || 'x')], ya = gd._fullLayout[name(t.yaxis || 'y')];
  return {x: rect.left + xa._offset + xa.l2p(x), y: rect.top + ya._offset + ya.l2p(y)};
}"""
HOVER = """(id) => {
  const gd = document.querySelector('#' + id + ' .js-plotly-plot');
  const h = gd && gd._hoverdata && gd._hoverdata[0];
  return h ? {curve: h.curveNumber, point: h.pointNumber, x: h.x, y: h.y} : null;
}"""
NO_DOUBLE_CLICK = """(id) => {
  const gd = document.querySelector('#' + id + ' .js-plotly-plot');
  return Date.now() - (gd._mouseDownTime || 0) > gd._context.doubleClickDelay;
}"""
# Trace `trace` of a graph as plotly.js holds it (typed arrays decoded; NaN arrives as null).
TRACE = """([id, trace]) => {
  const gd = document.querySelector('#' + id + ' .js-plotly-plot');
  const t = gd._fullData[trace];
  const list = a => a ? Array.from(a) : [];
  return {x: list(t.x), y: list(t.y), visible: t.visible,
          customdata: t.customdata ? Array.from(t.customdata) : null};
}"""
SHAPES = """() => {
  const gd = document.querySelector('#pixels .js-plotly-plot');
  return gd._fullLayout.shapes.map(s => ({path: s.path, dash: s.line.dash, color: s.line.color}));
}"""
RELAYOUT = """([id, update]) => window.Plotly.relayout(
  document.querySelector('#' + id + ' .js-plotly-plot'), update).then(() => true)"""


@pytest.fixture(scope="module")
def demo():
    return demo_tpf()


@pytest.fixture(scope="module")
def pipeline() -> set:
    """The pipeline aperture's pixels {(row, column)}: bit 2 of the demo file's APERTURE
    extension, read with astropy."""
    with fits.open(io.BytesIO(demo_bytes())) as hdus:
        mask = (hdus["APERTURE"].data & 2) != 0
    return {(int(i), int(j)) for i, j in zip(*np.nonzero(mask), strict=True)}


# --- helpers -------------------------------------------------------------------------------------

def floats(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def trace(page, graph: str, index: int) -> dict:
    data = page.evaluate(TRACE, [graph, index])
    data["x"], data["y"] = floats(data["x"]), floats(data["y"])
    return data


def curve_y(page) -> np.ndarray:
    """The light curve's trace 0 (one value per frame) as drawn: float32 values."""
    return trace(page, "lightcurve", 0)["y"]


def wait_curve(page, want: np.ndarray, timeout: float = 15.0) -> np.ndarray:
    """Wait until trace 0 equals ``want`` (float64 sums; the page holds float32)."""
    want32 = np.asarray(want, dtype=np.float32).astype(np.float64)

    def drawn():
        y = curve_y(page)
        return [y] if y.shape == want32.shape and np.allclose(
            y, want32, rtol=1e-6, atol=0, equal_nan=True) else None
    return wait_until(drawn, timeout, message=lambda: (
        f"light curve to equal the expected sums; first differences at frames "
        f"{np.flatnonzero(~np.isclose(curve_y(page), want32, rtol=1e-6, equal_nan=True))[:5]}"))[0]


def text(page, selector: str) -> str:
    return page.text_content(selector) or ""


def wait_text(page, selector: str, pattern: str, timeout: float = 15.0) -> str:
    return wait_until(lambda: (lambda t: t if re.search(pattern, t) else None)(
        text(page, selector)), timeout,
        message=lambda: f"{selector} to match {pattern!r}; it says {text(page, selector)!r}")


def readout_flux(page) -> float:
    return float(text(page, "#readout-3").split()[0].replace(",", ""))


def wait_readout_flux(page, value: float) -> float:
    """The readout's flux field says ``value`` (it shows one decimal)."""
    return wait_until(lambda: (lambda v: v if abs(v - value) <= 0.051 else None)(
        readout_flux(page)), message=lambda: f"readout flux {text(page, '#readout-3')!r} "
                                             f"to be {value:,.1f}")


def click_graph(page, graph: str, x: float, y: float, *, trace_index: int = 0, hovered=None):
    """Move the mouse to data point (x, y) of ``graph``, wait until plotly hovers what
    ``hovered(hover)`` accepts, then click (outside the double-click window)."""
    page.wait_for_function(NO_DOUBLE_CLICK, arg=graph, timeout=10_000)
    page.locator(f"#{graph}").scroll_into_view_if_needed()
    where = page.evaluate(GRAPH_POINT, [graph, x, y, trace_index])
    page.mouse.move(where["x"] + 3, where["y"] + 3)
    page.mouse.move(where["x"], where["y"], steps=3)
    hover = wait_until(lambda: (lambda h: h if h and hovered(h) else None)(
        page.evaluate(HOVER, graph)), message=lambda: f"{graph} to hover the point at {x}, {y} "
                                                      f"(hovers {page.evaluate(HOVER, graph)})")
    page.mouse.click(where["x"], where["y"])
    return hover


def steady(page, graph: str, duration: float = 0.3) -> None:
    """Wait until the graph's place on screen and its axes stop moving (late layout shifts)."""
    where = """(id) => {
      const gd = document.querySelector('#' + id + ' .js-plotly-plot');
      const r = gd.getBoundingClientRect(), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
      return [r.left, r.top, xa._offset, ya._offset, xa._length, ya._length,
              ...xa.range, ...ya.range];
    }"""
    wait_until(lambda: len({str(p) for p in readings(
        lambda: page.evaluate(where, graph), duration)}) == 1,
        message=f"{graph} to stop moving")


def click_pixel(page, demo, row: int, column: int):
    """Click stamp pixel (row, column) of the heatmap (CCD coordinates on its axes)."""
    x, y = demo.column + column, demo.row + row
    click_graph(page, "pixels", x, y, hovered=lambda h: h["x"] == x and h["y"] == y)


def go_to(page, demo, frame: int) -> None:
    """Select ``frame`` as the page's own keys do (dash_clientside.set_props)."""
    page.evaluate("f => window.dash_clientside.set_props('cadence', {value: f})", frame)
    wait_frame(page, demo, frame)


def choose_radio(page, component: str, value: str) -> None:
    page.click(f"#{component} label:has(input[value='{value}'])")
    wait_until(lambda: page.is_checked(f"#{component} input[value='{value}']"))


def choose_dropdown(page, component: str, value: str) -> None:
    page.click(f"#{component}")
    page.click(f".dash-dropdown-option:has(input[value='{value}'])")
    wait_until(lambda: text(page, f"#{component}-value").strip() == value,
               message=lambda: f"{component} to show {value}")


def tick(page, component: str, value: str) -> None:
    page.click(f"#{component} label:has(input[value='{value}'])")
    wait_until(lambda: page.is_checked(f"#{component} input[value='{value}']"))


def outline_edges(path: str) -> set:
    """Unit pixel edges an outline path draws (``M x,y H x2`` / ``M x,y V y2`` segments; a
    segment over several pixels counts as its unit edges)."""
    edges = set()
    for x, y, kind, end in re.findall(r"M([-\d.]+),([-\d.]+)([HV])([-\d.]+)", path):
        x, y, end = float(x), float(y), float(end)
        start = x if kind == "H" else y
        low, high = sorted((start, end))
        for k in range(int(round(high - low))):
            a, b = low + k, low + k + 1
            edges.add(((a, y), (b, y)) if kind == "H" else ((x, a), (x, b)))
    assert path.replace(" ", "") == "".join(
        re.findall(r"M[-\d.]+,[-\d.]+[HV][-\d.]+", path)), f"unexpected path syntax: {path}"
    return edges


def boundary(pixels: set, column: int, row: int) -> set:
    """Unit edges between the stamp pixels ``{(row, column)}`` and the rest, in CCD coordinates."""
    edges = set()
    for i, j in pixels:
        x, y = column + j, row + i
        for di, dj, edge in ((-1, 0, ((x - .5, y - .5), (x + .5, y - .5))),
                             (1, 0, ((x - .5, y + .5), (x + .5, y + .5))),
                             (0, -1, ((x - .5, y - .5), (x - .5, y + .5))),
                             (0, 1, ((x + .5, y - .5), (x + .5, y + .5)))):
            if (i + di, j + dj) not in pixels:
                edges.add(edge)
    return edges


def aperture_sum(demo, pixels) -> np.ndarray:
    rows, columns = zip(*sorted(pixels), strict=True)
    return demo.flux[:, list(rows), list(columns)].astype(np.float64).sum(axis=1)


def wait_outline(page, demo, pixels: set, index: int = 0) -> dict:
    want = boundary(pixels, demo.column, demo.row)

    def drawn():
        shapes = page.evaluate(SHAPES)
        return shapes if len(shapes) > index and outline_edges(shapes[index]["path"]) == want \
            else None
    return wait_until(drawn, message=lambda: f"outline {index} to trace {sorted(pixels)}; "
                                             f"shapes are {page.evaluate(SHAPES)}")


# --- aperture ------------------------------------------------------------------------------------

def test_clear_then_click_three_pixels(page, demo):
    page.click("#aperture-clear")
    # An empty aperture: a clear notice and no curve, not a broken plot.
    wait_text(page, "#analysis-notes", "aperture is empty")
    wait_until(lambda: np.isnan(curve_y(page)).all(), message="empty aperture to blank the curve")
    wait_until(lambda: page.evaluate(SHAPES) == [], message="outline to go")
    assert text(page, "#readout-note-3") == "custom aperture, 0 px"

    chosen = {(7, 7), (8, 7), (7, 8)}  # (8, 7) has the cosmic ray at frame 1234
    for row, column in sorted(chosen):
        click_pixel(page, demo, row, column)
    wait_outline(page, demo, chosen)
    wait_text(page, "#readout-note-3", r"^custom aperture, 3 px$")
    want = aperture_sum(demo, chosen)
    wait_curve(page, want)
    assert "aperture is empty" not in text(page, "#analysis-notes")
    # The readout's flux is the same sum, at the selected cadence, and follows a step.
    wait_readout_flux(page, want[0])
    go_to(page, demo, COSMIC_RAY["frame"])
    wait_readout_flux(page, want[COSMIC_RAY["frame"]])
    assert want[COSMIC_RAY["frame"]] - np.median(want) > 0.8 * COSMIC_RAY["flux"]

    # A second click on a chosen pixel takes it out again.
    click_pixel(page, demo, 7, 8)
    chosen.discard((7, 8))
    wait_outline(page, demo, chosen)
    wait_curve(page, aperture_sum(demo, chosen))
    wait_text(page, "#readout-note-3", r"^custom aperture, 2 px$")
    wait_readout_flux(page, aperture_sum(demo, chosen)[COSMIC_RAY["frame"]])


def test_box_select_takes_the_pixels_whose_centres_are_inside(page, demo, pipeline):
    assert page.evaluate(RELAYOUT, ["pixels", {"dragmode": "select"}])
    # A box from column 2.5 to 5.5 and row 9.5 to 11.5 (stamp pixels): centres of columns 3-5,
    # rows 10-11 are inside, and every centre is half a pixel from the box's edges.
    x0, x1 = demo.column + 2.5, demo.column + 5.5
    y0, y1 = demo.row + 9.5, demo.row + 11.5
    steady(page, "pixels")
    a = page.evaluate(GRAPH_POINT, ["pixels", x0, y0, 0])
    b = page.evaluate(GRAPH_POINT, ["pixels", x1, y1, 0])
    page.wait_for_function(NO_DOUBLE_CLICK, arg="pixels")
    page.mouse.move(a["x"], a["y"])
    page.mouse.down()
    page.mouse.move((a["x"] + b["x"]) / 2, (a["y"] + b["y"]) / 2, steps=4)
    page.mouse.move(b["x"], b["y"], steps=4)
    page.mouse.up()

    chosen = {(i, j) for i in range(demo.shape[0]) for j in range(demo.shape[1])
              if x0 <= demo.column + j <= x1 and y0 <= demo.row + i <= y1}
    assert chosen == {(i, j) for i in (10, 11) for j in (3, 4, 5)}
    wait_outline(page, demo, chosen)
    wait_text(page, "#readout-note-3", r"^custom aperture, 6 px$")
    want = aperture_sum(demo, chosen)
    wait_curve(page, want)
    wait_readout_flux(page, want[0])
    # The finished selection box is cleared from the image (the outline shows the result).
    wait_until(lambda: page.evaluate(
        "() => document.querySelector('#pixels .js-plotly-plot')._fullLayout.selections.length"
    ) == 0, message="the selection box to be cleared")

    # "Pipeline aperture" brings the pipeline's back.
    page.click("#aperture-reset")
    wait_outline(page, demo, pipeline)
    wait_text(page, "#readout-note-3", r"^pipeline aperture, 16 px$")
    wait_curve(page, aperture_sum(demo, pipeline))


# --- background ----------------------------------------------------------------------------------

def test_background_from_flux_bkg_and_from_background_pixels(page, demo, pipeline):
    wait_outline(page, demo, pipeline)
    raw = aperture_sum(demo, pipeline)
    wait_curve(page, raw)

    choose_radio(page, "background", "file")
    rows, columns = zip(*sorted(pipeline), strict=True)
    bkg = demo.flux_bkg[:, list(rows), list(columns)].astype(np.float64).sum(axis=1)
    want = raw - bkg
    assert np.all(bkg > 100 * len(pipeline))  # the sky is really there to subtract
    wait_curve(page, want)
    wait_text(page, "#readout-note-3", "FLUX_BKG subtracted")
    wait_readout_flux(page, want[0])

    # Background pixels: two corners of the stamp, outlined dashed as a second shape.
    choose_radio(page, "select-mode", "background")
    sky = {(0, 0), (0, 14)}  # bottom corners (the toolbar sits over the top right one)
    for row, column in sorted(sky):
        click_pixel(page, demo, row, column)
    shapes = wait_outline(page, demo, sky, index=1)
    assert len(shapes) == 2
    assert shapes[1]["dash"] == "dash" and shapes[0]["dash"] == "solid"
    assert shapes[1]["color"] != shapes[0]["color"]
    assert outline_edges(shapes[0]["path"]) == boundary(pipeline, demo.column, demo.row)
    # Still FLUX_BKG until the background choice says otherwise.
    wait_curve(page, want)

    choose_radio(page, "background", "aperture")
    level = np.median(demo.flux[:, [0, 0], [0, 14]].astype(np.float64), axis=1)
    want = raw - len(pipeline) * level
    wait_curve(page, want)
    wait_text(page, "#readout-note-3", r"pipeline aperture, 16 px, background of 2 px subtracted")
    wait_readout_flux(page, want[0])


# --- diagnostics ---------------------------------------------------------------------------------

DIAGNOSTICS = """() => {
  const wrap = document.getElementById('diagnostics-wrap');
  const gd = document.querySelector('#diagnostics .js-plotly-plot');
  const cursor = document.getElementById('diagnostics-cursor');
  return {hidden: wrap.hidden, names: gd && gd._fullData ? gd._fullData.map(t => t.name) : [],
          cursor: cursor && !cursor.hidden ? Number(cursor.dataset.frame) : null};
}"""


def test_diagnostics_follow_the_cadence_and_jump_to_a_clicked_point(page, demo, pipeline):
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
    assert text(page, "#readout-0") == str(demo.cadenceno[frame])


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


# --- quality mask --------------------------------------------------------------------------------

def marks_count(page) -> int:
    return page.evaluate(
        "() => document.querySelector('#lightcurve .js-plotly-plot')._fullData[1].x.length")


def test_quality_mask_skip_and_hide(page, demo, pipeline):
    firing = (demo.quality & 1048576) != 0
    assert np.array_equal(np.flatnonzero(firing),
                          np.arange(0, demo.n_cadences, TRUTH["thruster_every"]))
    assert marks_count(page) == firing.sum()  # 'default' marks the firings

    tick(page, "skip-masked", "skip")
    go_to(page, demo, 23)
    blur(page)
    page.keyboard.press("ArrowRight")
    wait_frame(page, demo, 25)  # 24 is a thruster firing: skipped
    page.keyboard.press("ArrowLeft")
    wait_frame(page, demo, 23)
    page.click("#next")
    wait_frame(page, demo, 25)
    page.keyboard.press("Shift+ArrowLeft")  # ten shown cadences back: 24 is not counted
    wait_frame(page, demo, 14)
    page.keyboard.press("ArrowLeft")
    wait_frame(page, demo, 13)
    page.keyboard.press("ArrowLeft")
    wait_frame(page, demo, 11)  # over 12

    choose_dropdown(page, "quality-mask", "none")
    wait_until(lambda: marks_count(page) == 0, message="no masked marks with 'none'")
    go_to(page, demo, 23)
    blur(page)
    page.keyboard.press("ArrowRight")
    wait_frame(page, demo, 24)
    page.keyboard.press("ArrowRight")
    wait_frame(page, demo, 25)

    choose_dropdown(page, "quality-mask", "default")
    wait_until(lambda: marks_count(page) == firing.sum())
    choose_radio(page, "masked-display", "hide")
    raw = aperture_sum(demo, pipeline)
    want = np.where(firing, np.nan, raw)
    wait_curve(page, want)
    assert marks_count(page) == 0
    assert trace(page, "lightcurve", 1)["y"].size == 0

    choose_radio(page, "masked-display", "mark")
    wait_curve(page, raw)
    marks = trace(page, "lightcurve", 1)
    assert np.allclose(marks["x"], demo.time[firing])
    assert [c[0] for c in marks["customdata"]] == np.flatnonzero(firing).tolist()


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
