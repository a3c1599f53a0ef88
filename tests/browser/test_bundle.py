"""The page's own plotly.js (assets/plotly-partial.min.js, tools/plotly/): it draws the page's
figures exactly as the full plotly.js does, and it is the only plotly.js the page loads.

The figures are the page's own (from ``/_dash-layout`` of a demo app: the light curve as
scattergl, the image as a heatmap with scatter outlines, a diagnostics figure, and the light
curve with selected points, drawn on the WebGL layer the partial bundle makes on demand), drawn by
each bundle in its own page and exported with ``Plotly.toImage``; the PNGs are compared pixel
by pixel in the browser.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import plotly
import pytest

from dashboard.app import ASSETS, create_app
from dashboard.data.demo import demo_tpf
from dashboard.figures.diagnostics import diagnostics_figure

FULL = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
PARTIAL = ASSETS / "plotly-partial.min.js"
ROOT = Path(__file__).resolve().parents[2]


def _figures(layout) -> dict:
    out = {}

    def walk(node):
        if isinstance(node, dict):
            props = node.get("props", {})
            if node.get("type") == "Graph" and props.get("id") in ("lightcurve", "pixels"):
                out[props["id"]] = props["figure"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(layout)
    return out


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    app = create_app({"cache_dir": str(tmp_path_factory.mktemp("bundle-cache"))})
    found = _figures(app.server.test_client().get("/_dash-layout").get_json())
    tpf = demo_tpf()
    found["diagnostics"] = json.loads(json.dumps(
        diagnostics_figure(tpf.time, {"background": tpf.flux[:, 0, 0]}, time_system="BKJD"),
        default=plotly.utils.PlotlyJSONEncoder().default))
    # Selected points: the one drawing on plotly.js's WebGL focus layer, which the partial
    # bundle creates only when a selection needs it (tools/plotly/build.mjs).
    curve = found["lightcurve"]
    found["selected"] = {**curve, "data": [
        {**curve["data"][0], "selectedpoints": list(range(0, 200, 2)),
         "selected": {"marker": {"color": "#d62728", "size": 6}},
         "unselected": {"marker": {"opacity": 0.4}}}, *curve["data"][1:]]}
    assert set(found) == {"lightcurve", "pixels", "diagnostics", "selected"}
    return found


DRAW = """async ([figure]) => {
  const gd = document.createElement('div');
  gd.style.width = '700px'; gd.style.height = '420px';
  document.body.appendChild(gd);
  await Plotly.newPlot(gd, figure.data, figure.layout, {staticPlot: true});
  return await Plotly.toImage(gd, {format: 'png', width: 700, height: 420});
}"""

COMPARE = """async ([a, b]) => {
  async function pixels(url) {
    const img = new Image(); img.src = url; await img.decode();
    const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
    const g = c.getContext('2d'); g.drawImage(img, 0, 0);
    return g.getImageData(0, 0, c.width, c.height).data;
  }
  const [p, q] = [await pixels(a), await pixels(b)];
  let differ = 0, most = 0, inked = 0;
  for (let i = 0; i < p.length; i += 4) {
    let d = 0;
    for (let k = 0; k < 4; k++) d = Math.max(d, Math.abs(p[i + k] - q[i + k]));
    if (d > 0) differ++;
    most = Math.max(most, d);
    if (p[i] + p[i + 1] + p[i + 2] < 600) inked++;
  }
  return {same_size: p.length === q.length, differ, most, inked, pixels: p.length / 4};
}"""


def _draw(context, bundle: Path, figure: dict) -> str:
    page = context.new_page()
    try:
        page.set_content("<html><body></body></html>")
        page.add_script_tag(path=str(bundle))
        return page.evaluate(DRAW, [figure])
    finally:
        page.close()


@pytest.mark.parametrize("name", ["lightcurve", "pixels", "diagnostics", "selected"])
def test_partial_bundle_draws_the_figures_as_the_full_one(browser, figures, name):
    context = browser.new_context()
    try:
        full = _draw(context, FULL, figures[name])
        partial = _draw(context, PARTIAL, figures[name])
        page = context.new_page()
        result = page.evaluate(COMPARE, [full, partial])
        page.close()
    finally:
        context.close()
    assert result["same_size"]
    assert result["inked"] > 0.01 * result["pixels"], "the figure drew next to nothing"
    assert result["differ"] == 0, result


def test_bundle_is_the_pinned_plotly_js():
    """The committed file is plotly.js of the version package.json pins, the one plotly.py
    ships (the figures are made for it), and small enough to commit."""
    banner = PARTIAL.read_text(encoding="utf-8")[:300]
    pinned = json.loads((ROOT / "tools/plotly/package.json").read_text())["dependencies"]
    lock = json.loads((ROOT / "tools/plotly/package-lock.json").read_text())
    version = re.search(r"plotly\.js v(\S+) ", banner).group(1)
    assert pinned["plotly.js"] == version
    assert lock["packages"]["node_modules/plotly.js"]["version"] == version
    assert version == plotly.offline.get_plotlyjs_version()
    assert PARTIAL.stat().st_size < 1.5e6


def test_page_loads_only_the_partial_bundle_and_no_unused_chunks(browser, demo_server):
    """The page's plotly.js is the partial bundle: Dash's own plotly.min.js, MathJax, the
    markdown, date-picker and data-table chunks are never requested."""
    context = browser.new_context()
    try:
        page = context.new_page()
        urls = []
        page.on("request", lambda r: urls.append(r.url))
        page.goto(demo_server.url)
        page.wait_for_function("() => !!document.querySelector('#lightcurve .js-plotly-plot')"
                               " && document.querySelector('#pixels .heatmaplayer image')",
                               timeout=30_000)
        names = [u.rsplit("/", 1)[-1].split("?")[0] for u in urls]
        assert "plotly-partial.min.js" in names
        assert page.evaluate("() => Plotly.version") == plotly.offline.get_plotlyjs_version()
    finally:
        context.close()
    unused = [n for n in names if re.search(r"plotly\.v|plotly\.min|mathjax|markdown|"
                                            r"datepicker|highlight|async-table|async-export", n)]
    assert unused == []


def test_layout_and_callbacks_are_fetched_once_while_the_scripts_load(browser, demo_server):
    """The preloaded layout and callback graph (static_files.FIRST_REQUESTS) are the ones the
    renderer uses: each is requested once, and before the page's scripts have all run."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(demo_server.url)
        page.wait_for_function("() => !!document.querySelector('#lightcurve .js-plotly-plot')"
                               " && document.querySelector('#pixels .heatmaplayer image')",
                               timeout=30_000)
        timing = page.evaluate("""() => ({
          loaded: performance.getEntriesByType('navigation')[0].domContentLoadedEventStart,
          requests: performance.getEntriesByType('resource')
            .filter(e => /_dash-(layout|dependencies)$/.test(e.name))
            .map(e => [e.name.split('/').pop(), e.startTime])})""")
    finally:
        context.close()
    names = sorted(name for name, _ in timing["requests"])
    assert names == ["_dash-dependencies", "_dash-layout"]
    assert all(start < timing["loaded"] for _, start in timing["requests"])
