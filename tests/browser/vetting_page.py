"""Reading and driving the vetting tools of the page, shared by the browser tests.

Traces as plotly.js holds them (``gd._fullData``, ``gd._fullLayout``), the readout's text and
flux, clicks on a graph's point or a stamp pixel (where plotly.js's own axis mapping, ``l2p`` +
``_offset`` + the graph's bounding rect, puts it, after plotly has registered the hover there and
outside its double-click window), the page's radio, dropdown and checklist choices, and aperture
outlines compared edge by edge with the expected pixels.
"""

from __future__ import annotations

import re

import numpy as np

from .viewer_page import readings, wait_frame, wait_until

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
# Scroll a tool panel so that height y (page pixels) of a graph in it is in view; true if moved.
SCROLL_TO = """([id, y]) => {
  const box = document.getElementById(id).closest('.tab-content');
  if (!box) return false;
  const r = box.getBoundingClientRect();
  if (y >= r.top + 20 && y <= r.bottom - 20) return false;
  box.scrollTop += y - (r.top + r.height / 2);
  return true;
}"""
RELAYOUT = """([id, update]) => window.Plotly.relayout(
  document.querySelector('#' + id + ' .js-plotly-plot'), update).then(() => true)"""


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
    return float(text(page, "#readout-flux").split()[0].replace(",", ""))


def wait_readout_flux(page, value: float) -> float:
    """The readout's flux field says ``value`` (it shows one decimal)."""
    return wait_until(lambda: (lambda v: v if abs(v - value) <= 0.051 else None)(
        readout_flux(page)), message=lambda: f"readout flux {text(page, '#readout-flux')!r} "
                                             f"to be {value:,.1f}")


def click_graph(page, graph: str, x: float, y: float, *, trace_index: int = 0, hovered=None):
    """Move the mouse to data point (x, y) of ``graph``, wait until plotly hovers what
    ``hovered(hover)`` accepts, then click (outside the double-click window)."""
    page.wait_for_function(NO_DOUBLE_CLICK, arg=graph, timeout=10_000)
    page.locator(f"#{graph}").scroll_into_view_if_needed()
    where = page.evaluate(GRAPH_POINT, [graph, x, y, trace_index])
    if page.evaluate(SCROLL_TO, [graph, where["y"]]):  # a tool panel scrolls: bring it in view
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
    """Select ``frame`` as the page's own keys and buttons do (the view module's select)."""
    page.evaluate("f => window.tpf.view.owner().select(f)", frame)
    wait_frame(page, demo, frame)


# Only the open tab's panel is in the page (layout.py): which tab holds each component comes
# from the page's layout (its ``/_dash-layout``), once per server.
_TABS_OF: dict[str, dict[str, str]] = {}


def _tabs_of(page) -> dict[str, str]:
    """Component id -> the tool tab whose panel holds it, for the page's server."""
    base = page.url.split("?")[0].split("#")[0]
    base = base if base.endswith("/") else base.rsplit("/", 1)[0] + "/"
    if base not in _TABS_OF:
        found: dict[str, str] = {}

        def walk(node, tab):
            if isinstance(node, dict):
                props = node.get("props", {})
                if node.get("type") == "Tab":
                    tab = props.get("value")
                if tab and isinstance(props.get("id"), str):
                    found[props["id"]] = tab
                for value in props.values():
                    walk(value, tab)
            elif isinstance(node, list):
                for value in node:
                    walk(value, tab)
        walk(page.request.get(base + "_dash-layout").json(), None)
        _TABS_OF[base] = found
    return _TABS_OF[base]


def reveal(page, selector: str) -> None:
    """Open the tab that holds ``selector``'s component, as a user clicks it, if its panel is
    not open, and wait until the component is in the page."""
    tabs = _tabs_of(page)
    names = [tabs[i] for i in re.findall(r"#([A-Za-z][\w-]*)", selector) if i in tabs]
    if names and not page.query_selector(f"#panel-{names[0]}"):
        page.click(f"#tab-{names[0]}")
    page.wait_for_selector(selector, state="attached")


def press(page, selector: str) -> None:
    """Click a button or control in the tool panels, opening its tab first."""
    reveal(page, selector)
    page.click(selector)


def choose_radio(page, component: str, value: str) -> None:
    press(page, f"#{component} label:has(input[value='{value}'])")
    wait_until(lambda: page.is_checked(f"#{component} input[value='{value}']"))


def choose_dropdown(page, component: str, value: str) -> None:
    press(page, f"#{component}")
    page.click(f".dash-dropdown-option:has(input[value='{value}'])")
    wait_until(lambda: text(page, f"#{component}-value").strip() == value,
               message=lambda: f"{component} to show {value}")


def tick(page, component: str, value: str) -> None:
    press(page, f"#{component} label:has(input[value='{value}'])")
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
