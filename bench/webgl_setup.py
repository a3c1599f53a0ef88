"""What the light curve's WebGL costs the first view, for the page's plotly.js and another
build of it: WebGL contexts created and the time spent creating them, and the main thread's
busy time (a V8 CPU profile) until the curve is drawn.

A bare Dash page draws the file's light curve as one scattergl trace (every cadence, as the
dashboard's trace 0) with each bundle, served side by side; cold loads alternate between them,
each in a fresh browser context. The context count and creation time are exact (the page's
``getContext`` is wrapped before any script runs); busy time varies with the machine's load,
so compare the two bundles within one run. Numbers only: nothing passes or fails.

    python bench/webgl_setup.py --base 781a16e          # assets/plotly-partial.min.js then
    python bench/webgl_setup.py --other /path/to/plotly.min.js
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from first_view import CHROMIUM, CHROMIUM_ARGS, DEFAULT_DATA, profile_ms  # noqa: E402
from step_browser_setup import ROOT, free_port  # noqa: E402
from step_server_app import bench_files  # noqa: E402

BUNDLE = ROOT / "assets" / "plotly-partial.min.js"

COUNT_GL_JS = """
(() => {
  const B = window.__webgl = {contexts: 0, ms: 0};
  const get = HTMLCanvasElement.prototype.getContext;
  HTMLCanvasElement.prototype.getContext = function (kind, attributes) {
    const start = performance.now();
    const context = get.call(this, kind, attributes);
    if (String(kind).indexOf('webgl') >= 0 && context) {
      B.contexts += 1;
      B.ms += performance.now() - start;
    }
    return context;
  };
})();
"""


def serve(bundle: Path, figure: dict, workdir: Path) -> str:
    """A Dash page with only the curve, ``bundle`` as its plotly.js; returns its URL."""
    from dash import Dash, dcc, html

    assets = workdir / "assets"
    assets.mkdir(parents=True)
    (assets / "plotly-partial.min.js").write_bytes(bundle.read_bytes())
    app = Dash(workdir.name, assets_folder=str(assets), eager_loading=False)
    app.layout = html.Div([dcc.Graph(id="lightcurve", figure=figure)])
    port = free_port()
    threading.Thread(target=lambda: app.run(host="127.0.0.1", port=port),
                     daemon=True).start()
    return f"http://127.0.0.1:{port}/"


def curve_figure(path: Path) -> dict:
    import numpy as np
    from astropy.io import fits

    with fits.open(path, memmap=True) as hdul:
        time_ = np.asarray(hdul[1].data["TIME"], dtype=np.float64)
        flux = np.nansum(np.asarray(hdul[1].data["FLUX"], dtype=np.float32), axis=(1, 2))
    return {"data": [{"type": "scattergl", "mode": "markers", "x": time_.tolist(),
                      "y": flux.tolist(), "marker": {"size": 3}}]}


def load(browser, url: str) -> dict:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        context.add_init_script(COUNT_GL_JS)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 100})
        cdp.send("Profiler.start")
        page.goto(url)
        page.wait_for_function("() => { const gd = document.querySelector('.js-plotly-plot');"
                               " return gd && gd._fullData && gd.querySelector('.gl-canvas'); }",
                               timeout=60_000)
        page.wait_for_timeout(300)  # the frame that draws the points
        profile = cdp.send("Profiler.stop")["profile"]
        webgl = page.evaluate("window.__webgl")
    finally:
        context.close()
    busy = profile_ms(profile)
    return {"contexts": webgl["contexts"], "context ms": webgl["ms"], "busy ms": busy}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--base", help="a git revision: its assets/plotly-partial.min.js")
    which.add_argument("--other", type=Path, help="another plotly.js bundle")
    parser.add_argument("--files", default="tess", help="one file key (tess)")
    parser.add_argument("--loads", type=int, default=8, help="loads of each bundle (8)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    _, path = bench_files([args.files], args.data)[0]
    figure = curve_figure(path)
    print(f"load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        other = args.other
        if args.base:
            other = workdir / "base.js"
            other.write_bytes(subprocess.run(
                ["git", "-C", str(ROOT), "show", f"{args.base}:assets/plotly-partial.min.js"],
                check=True, capture_output=True).stdout)
        label = args.base or str(args.other)
        urls = {"this": serve(BUNDLE, figure, workdir / "this"),
                label: serve(other, figure, workdir / "other")}
        time.sleep(1.0)
        rows = {name: [] for name in urls}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for url in urls.values():  # each server's first answers, not measured
                load(browser, url)
            for round_ in range(args.loads):
                for name in list(urls) if round_ % 2 == 0 else list(urls)[::-1]:
                    rows[name].append(load(browser, urls[name]))
            browser.close()
    print(f"{args.files}: the light curve alone, {args.loads} cold loads of each bundle")
    for name, loads in rows.items():
        medians = {key: statistics.median(r[key] for r in loads) for key in loads[0]}
        each = ", ".join(f"{r['busy ms']:.0f}" for r in loads)
        print(f"  {name:10s} WebGL contexts {medians['contexts']:.0f}, created in "
              f"{medians['context ms']:.0f} ms; main thread busy {medians['busy ms']:.0f} ms "
              f"(each: {each})")
    print(f"load average after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
