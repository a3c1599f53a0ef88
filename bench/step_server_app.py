"""The dashboard under test for ``step_server.py``: the benchmark files, and the app built
in-process with ``create_app``, served by werkzeug (threaded) on a free loopback port in a
background thread.

Before it serves, a no-op callback is added to the app (a hidden ``bench-noop-in`` /
``bench-noop-out`` pair) so the fixed cost of Dash's callback machinery can be told apart from
the step's own work, and Flask request hooks add a ``Server-Timing: app;dur=<ms>`` header.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import synthetic  # bench/synthetic.py

ROOT = Path(__file__).resolve().parent.parent
KEPLER10 = ROOT.parent / "shared" / "data" / "kplr011904151-2010009091648_lpd-targ.fits"


# -- files -------------------------------------------------------------------------------------
def bench_files(keys: list[str], data_dir: Path) -> list[tuple[str, Path | None]]:
    """(label, path) per requested key; path None means the built-in demo."""
    synth = synthetic.write(data_dir, [k for k in keys if k in synthetic.SPECS
                                       or synthetic.scaled_spec(k) is not None])
    out = []
    for key in keys:
        if key in synth:
            out.append((key, synth[key]))
        elif key == "kepler10":
            if KEPLER10.exists():
                out.append((key, KEPLER10))
            else:
                print(f"# skipped kepler10: {KEPLER10} not found", file=sys.stderr)
        elif key == "demo":
            out.append((key, None))
        else:
            raise SystemExit(f"unknown file key {key!r} (tess, k2, tess20s, tesscut, "
                             "tess-<R>x<C>-<N>, kepler10, demo)")
    return out


# -- the app, in-process -----------------------------------------------------------------------
def build_app(source: Path | None, cache_dir: Path):
    from dash import Input, Output, html

    from dashboard.app import create_app

    config = {"cache_dir": str(cache_dir)}
    if source is not None:
        config["source"] = str(source)
    app = create_app(config)

    inner = app.layout

    def layout():
        page = inner() if callable(inner) else inner
        return html.Div([page, html.Div(id="bench-noop-in", hidden=True),
                         html.Div(id="bench-noop-out", hidden=True)])

    app.layout = layout

    @app.callback(Output("bench-noop-out", "children"), Input("bench-noop-in", "n_clicks"),
                  prevent_initial_call=True)
    def bench_noop(n_clicks):
        return "ok"

    from flask import g

    @app.server.before_request
    def _bench_start():
        g.bench_t0 = time.perf_counter()

    @app.server.after_request
    def _bench_timing(response):
        t0 = getattr(g, "bench_t0", None)
        if t0 is not None:
            response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - t0) * 1e3:.3f}"
        return response

    return app


class InProcessServer:
    def __init__(self, app):
        from werkzeug.serving import make_server

        self.httpd = make_server("127.0.0.1", 0, app.server, threaded=True)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.thread.join(10)
        self.httpd.server_close()
