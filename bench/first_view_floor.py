"""The floor under the first view: how fast a bare Dash page with this page's plotly.js draws
the same picture on this machine, beside the dashboard, loads interleaved.

Each variant is its own server process (Flask's, as ``python -m dashboard`` runs), and each
load is a fresh browser context (an empty HTTP cache, as ``first_view.py``'s cold loads),
navigation start to the animation frame after both views are drawn:

* ``scripts``: Dash, React and assets/plotly-partial.min.js load and run; two empty divs;
* ``heatmaps``: two dcc.Graph heatmaps of the file's first frame (no WebGL);
* ``curve``: the file's light curve (the sum of every pixel's FLUX) as one scattergl trace of
  every cadence, beside the first frame's heatmap: the smallest page showing what the
  dashboard's first view shows;
* ``dashboard``: ``python -m dashboard FILE``;
* ``other``, with ``--compare DIR``: ``python -m dashboard FILE`` from another checkout (a
  change and its base, loaded in the same rounds: ``git worktree add /tmp/base main``).

``--only`` picks variants (``--only dashboard,other --compare /tmp/base --loads 14``); with
``other`` the median of the per-round differences (dashboard - other) is printed too.

Rounds go variant by variant, so a busy spell of the machine slows each alike. Numbers only:
nothing passes or fails.

    python bench/first_view_floor.py --files tess --loads 7
    python bench/first_view_floor.py --only dashboard,other --compare /tmp/base --loads 14
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from first_view import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    DEFAULT_DATA,
    browser_cpu,
    profile_ms,
)
from step_browser_setup import ROOT, Server, free_port  # noqa: E402
from step_server_app import bench_files  # noqa: E402

VARIANTS = ("scripts", "heatmaps", "curve", "dashboard", "other")
BARE = VARIANTS[:3]

# Both views drawn: a Plotly graph has its trace layer (WebGL canvas, scatter or heatmap
# image); a bare div has its text.
DRAWN_JS = """
(() => {
  const B = window.__first = {view: null};
  function drawn(id) {
    const box = document.getElementById(id);
    if (!box) return false;
    const gd = box.classList.contains('js-plotly-plot') ? box
      : box.querySelector('.js-plotly-plot');
    if (!gd) return box.textContent.length > 0 && !box.querySelector('.dash-graph');
    if (!gd._fullData || !gd._fullData.length) return false;
    return !!gd.querySelector('.gl-canvas, .scatterlayer .trace, .heatmaplayer image');
  }
  function poll() {
    if (drawn('lightcurve') && drawn('pixels')) {
      requestAnimationFrame(() => { B.view = performance.now(); });
      return;
    }
    requestAnimationFrame(poll);
  }
  requestAnimationFrame(poll);
})();
"""


def bare_app(variant: str, path: Path, assets: Path):
    """A Dash app with only the views: the dashboard's Dash options, its plotly.js."""
    import numpy as np
    from astropy.io import fits
    from dash import Dash, dcc, html

    with fits.open(path, memmap=True) as hdul:
        table = hdul[1].data
        time_ = np.asarray(table["TIME"], dtype=np.float64)
        flux = np.asarray(table["FLUX"], dtype=np.float32)
    curve = np.nansum(flux, axis=(1, 2))
    app = Dash(__name__, assets_folder=str(assets), eager_loading=False, update_title=None)
    heatmap = {"data": [{"type": "heatmap", "z": flux[0].tolist(), "colorscale": "Viridis"}],
               "layout": {"yaxis": {"scaleanchor": "x"}}}
    if variant == "scripts":
        app.layout = html.Div([html.Div("curve", id="lightcurve"), html.Div("frame", id="pixels")])
        return app
    if variant == "heatmaps":
        first = heatmap
    else:
        first = {"data": [{"type": "scattergl", "mode": "markers", "x": time_.tolist(),
                           "y": curve.tolist(), "marker": {"size": 3}}],
                 "layout": {"xaxis": {"title": {"text": "Time (BTJD)"}},
                            "yaxis": {"title": {"text": "Flux (e⁻/s)"}}}}
    app.layout = html.Div([dcc.Graph(id="lightcurve", figure=first),
                           dcc.Graph(id="pixels", figure=heatmap)])
    return app


class BareServer(Server):
    """``python bench/first_view_floor.py --serve VARIANT`` in its own process."""

    ready_path = "/"

    def __init__(self, variant: str, path: Path, workdir: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.start([sys.executable, __file__, "--serve", variant, "--port", str(self.port),
                    "--path", str(path), "--assets", str(workdir / "assets")],
                   workdir / f"{variant}.log", ROOT, dict(os.environ, PYTHONUNBUFFERED="1"))


def cold_load(browser, url: str, session, timeout_ms: int,
              busy: bool = False) -> tuple[float, float, float]:
    """(first view ms, browser CPU s, main thread busy ms) of one load in a fresh context;
    busy time (a V8 CPU profile until the first view) only with ``busy``, else NaN."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        page.add_init_script(DRAWN_JS)
        if busy:
            cdp = context.new_cdp_session(page)
            cdp.send("Profiler.enable")
            cdp.send("Profiler.setSamplingInterval", {"interval": 200})
            cdp.send("Profiler.start")
        cpu = browser_cpu(session)
        page.goto(url, wait_until="commit")
        page.wait_for_function("window.__first && window.__first.view !== null",
                               timeout=timeout_ms)
        cpu = browser_cpu(session) - cpu
        main = profile_ms(cdp.send("Profiler.stop")["profile"]) if busy else float("nan")
        return page.evaluate("window.__first.view"), cpu, main
    finally:
        context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", default="tess", help="one file key (tess)")
    parser.add_argument("--loads", type=int, default=7, help="rounds of cold loads (7)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--only", help="comma-separated variants (all but other; with "
                                       "--compare, other too)")
    parser.add_argument("--compare", type=Path, help="another checkout: variant other")
    parser.add_argument("--busy", action="store_true",
                        help="also the main thread's busy time until the first view (a V8 "
                             "CPU profile per load; steadier than durations here)")
    parser.add_argument("--serve", choices=BARE, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--assets", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        bare_app(args.serve, args.path, args.assets).run(host="127.0.0.1", port=args.port)
        return 0

    from playwright.sync_api import sync_playwright

    variants = [v for v in VARIANTS if v != "other" or args.compare]
    if args.only:
        variants = [v for v in args.only.split(",") if v]
        unknown = set(variants) - set(VARIANTS)
        if unknown or ("other" in variants and not args.compare):
            parser.error(f"--only: {', '.join(sorted(unknown)) or 'other'} needs a known "
                         "variant (other needs --compare)")
    label, path = bench_files([args.files], args.data)[0]
    print(f"load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "assets").mkdir()
        (workdir / "assets" / "plotly-partial.min.js").symlink_to(
            ROOT / "assets" / "plotly-partial.min.js")
        servers = {}
        for variant in variants:
            if variant in BARE:
                servers[variant] = BareServer(variant, path, workdir)
            else:
                (workdir / variant).mkdir()
                root = args.compare.resolve() if variant == "other" else ROOT
                servers[variant] = Server(path, workdir / variant, root)
        views = {v: [] for v in variants}
        cpus = {v: [] for v in variants}
        busy = {v: [] for v in variants}
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                session = browser.new_browser_cdp_session()
                for variant in variants:  # each server's first answers, not measured
                    cold_load(browser, servers[variant].url + "/", session, 60_000)
                for round_ in range(args.loads):
                    # Alternate the order: the first load of a round is not always the same.
                    for variant in variants if round_ % 2 == 0 else variants[::-1]:
                        view, cpu, main = cold_load(browser, servers[variant].url + "/",
                                                    session, 60_000, args.busy)
                        views[variant].append(view / 1e3)
                        cpus[variant].append(cpu)
                        busy[variant].append(main)
                browser.close()
        finally:
            for server in servers.values():
                server.stop()
    print(f"{label}: cold first view, {args.loads} loads each, interleaved")
    for variant in variants:
        each = ", ".join(f"{v:.2f}" for v in views[variant])
        main = (f", main thread busy {statistics.median(busy[variant]):.0f} ms"
                if args.busy else "")
        print(f"  {variant:9s} p50 {statistics.median(views[variant]):.2f} s "
              f"(browser CPU {statistics.median(cpus[variant]):.2f} s{main}; each: {each})")
    if "dashboard" in views and "other" in views:
        diffs = [a - b for a, b in zip(views["dashboard"], views["other"], strict=True)]
        print(f"  dashboard - other, median per round: {statistics.median(diffs):+.3f} s")
        if args.busy:
            diffs = [a - b for a, b in zip(busy["dashboard"], busy["other"], strict=True)]
            print(f"  dashboard - other, main thread busy, median per round: "
                  f"{statistics.median(diffs):+.0f} ms")
    print(f"load average after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
