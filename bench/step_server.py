"""Server cost of a cadence step, measured over HTTP against the app running in-process.

For each benchmark file the dashboard is built with ``create_app`` and served by werkzeug
(threaded, as ``python -m dashboard`` serves it) on a free loopback port, in a background
thread. Before it serves, a no-op callback is added to the same app (a hidden
``bench-noop-in`` / ``bench-noop-out`` pair) so the fixed cost of Dash's callback machinery can
be told apart from the step's own work. A ``Server-Timing: app;dur=<ms>`` header is added by
Flask request hooks (request parsing, callback, serialisation; not the socket I/O).

A ``requests.Session`` then POSTs to ``/_dash-update-component`` the payload the renderer
sends: the callback's ``output`` string and ``outputs`` list come from ``/_dash-dependencies``,
State values from ``/_dash-layout``. Measured, after a warm-up:

* the first-load callback (the one fed by ``session.data`` that draws the figures): the cold
  first call and the warm median, with its response size;
* the frame batches the browser's painter steps through (``/frames/<file id>``, the URL the page's
  ``frame-source`` store names): per batch and per frame, in flux and in difference mode;
* the sync callback (``frame-sync.data`` -> ``pixels.figure``: a Patch bringing Plotly's heatmap
  to the painted frame once stepping pauses) over N consecutive frames;
* the no-op callback, N times.

Each measurement is repeated (``--repeats``) and the median of the runs is printed. Numbers
only: nothing here passes or fails.

    python bench/step_server.py                    # both synthetic files, N=500, 3 runs
    python bench/step_server.py -n 50 --repeats 1  # a quick smoke run
    python bench/step_server.py --files tess,k2,kepler10,demo
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # noqa: E402  (bench/synthetic.py)
from dash_client import (  # noqa: E402  (bench/dash_client.py)
    Callback,
    find_callback,
    layout_props,
    split_output,
)

KEPLER10 = ROOT.parent / "shared" / "data" / "kplr011904151-2010009091648_lpd-targ.fits"
DEFAULT_DATA = Path(tempfile.gettempdir()) / "tpf-dashboard-bench"
# What Chromium sends; the app compresses responses (flask-compress), so sizes are given both
# as sent on the wire and decoded.
HEADERS = {"Content-Type": "application/json", "Accept": "application/json",
           "Accept-Encoding": "gzip, deflate, br, zstd"}


# -- files -------------------------------------------------------------------------------------
def bench_files(keys: list[str], data_dir: Path) -> list[tuple[str, Path | None]]:
    """(label, path) per requested key; path None means the built-in demo."""
    synth = synthetic.write(data_dir, [k for k in keys if k in synthetic.SPECS])
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
            raise SystemExit(f"unknown file key {key!r} (tess, k2, kepler10, demo)")
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


# -- payloads (bench/dash_client.py) -------------------------------------------------------
_split_output, _layout_props = split_output, layout_props  # the names this file used


# -- measuring ---------------------------------------------------------------------------------
def post(session: requests.Session, url: str, body: bytes) -> tuple[float, float, int, bytes, int]:
    """(round trip ms, server ms or nan, wire bytes, decoded body, decoded bytes) of a request.

    The round trip includes decompressing the body, as a browser would before using it.
    """
    return timed(url, lambda: session.post(url, data=body, headers=HEADERS, stream=True))


def get(session: requests.Session, url: str) -> tuple[float, float, int, bytes, int]:
    """Like ``post``, for a GET (the painter's frame batches)."""
    headers = {"Accept-Encoding": HEADERS["Accept-Encoding"]}
    return timed(url, lambda: session.get(url, headers=headers, stream=True))


def timed(url: str, send) -> tuple[float, float, int, bytes, int]:
    t0 = time.perf_counter()
    r = send()
    content = r.content
    rtt = (time.perf_counter() - t0) * 1e3
    wire = r.raw.tell()  # bytes read from the socket for the body, before decoding
    if r.status_code != 200:
        raise RuntimeError(f"HTTP {r.status_code} from {url}: {content[:300]!r}")
    server = float("nan")
    for part in r.headers.get("Server-Timing", "").split(","):
        if part.strip().startswith("app;dur="):
            server = float(part.split("=", 1)[1])
    return rtt, server, wire, content, len(content)


def pct(values, q):
    return float(np.percentile(values, q)) if len(values) else float("nan")


def _typed_arrays(node):
    if isinstance(node, dict):
        if "bdata" in node and "dtype" in node:
            yield node
        for value in node.values():
            yield from _typed_arrays(value)
    elif isinstance(node, list):
        for value in node:
            yield from _typed_arrays(value)


def check_frame(content: bytes, expected: np.ndarray) -> bool:
    """Does the step's response carry exactly this frame's pixels?"""
    specs = [s for s in _typed_arrays(json.loads(content))
             if s.get("dtype") == "f4" and len(base64.b64decode(s["bdata"])) == expected.size * 4]
    if len(specs) != 1:
        return False
    got = np.frombuffer(base64.b64decode(specs[0]["bdata"]), dtype="<f4")
    return np.array_equal(got, expected.ravel().astype("<f4"), equal_nan=True)


def measure_file(label: str, path: Path | None, n: int, repeats: int, warmup: int,
                 cache_root: Path) -> dict:
    cache_dir = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=cache_root))
    t0 = time.perf_counter()
    app = build_app(path, cache_dir)
    startup = time.perf_counter() - t0
    tpf = app.store.get(app.default_file)
    n_cad, (rows, cols) = tpf.n_cadences, tpf.shape
    server = InProcessServer(app)
    try:
        s = requests.Session()
        health = s.get(server.url + "/health").json()
        deps = s.get(server.url + "/_dash-dependencies").json()
        props = _layout_props(s.get(server.url + "/_dash-layout").json())
        session_data = props.get("session", {}).get("data")
        if not session_data or session_data.get("file") != health.get("default_file"):
            print(f"# note: layout session {session_data} vs /health {health}", file=sys.stderr)
        url = server.url + "/_dash-update-component"

        load = Callback(find_callback(deps, "session.data"), props)
        step = Callback(find_callback(deps, "frame-sync.data", "pixels.figure"), props)
        noop = Callback(find_callback(deps, "bench-noop-in.n_clicks"), props)

        load_body = load.payload(**{"session.data": session_data})
        cold_rtt, cold_srv, load_wire, _, load_bytes = post(s, url, load_body)
        first_step = post(s, url, step.payload(**sync(1)))

        for i in range(warmup):
            post(s, url, step.payload(**sync((2 + i) % n_cad)))
            post(s, url, noop.payload(**{"bench-noop-in.n_clicks": i + 1}))

        frames_ok = all(
            check_frame(post(s, url, step.payload(**sync(f)))[3], tpf.flux[f])
            for f in {0, n_cad // 3, n_cad - 1})

        runs = []
        start = warmup + 2
        clicks = warmup + 1
        for _ in range(repeats):
            load_times = [post(s, url, load_body)[:2] for _ in range(5)]
            st, ss, sb, sd = [], [], [], []
            for i in range(n):
                rtt, srv, wire, _, size = post(s, url, step.payload(
                    **sync((start + i) % n_cad)))
                st.append(rtt), ss.append(srv), sb.append(wire), sd.append(size)
            start += n
            nt, ns, nb, nd = [], [], [], []
            for _ in range(n):
                clicks += 1
                rtt, srv, wire, _, size = post(s, url, noop.payload(
                    **{"bench-noop-in.n_clicks": clicks}))
                nt.append(rtt), ns.append(srv), nb.append(wire), nd.append(size)
            runs.append({
                "step_p50": pct(st, 50), "step_p99": pct(st, 99), "step_srv": pct(ss, 50),
                "step_bytes": statistics.median(sb), "step_decoded": statistics.median(sd),
                "noop_p50": pct(nt, 50), "noop_p99": pct(nt, 99), "noop_srv": pct(ns, 50),
                "noop_bytes": statistics.median(nb), "noop_decoded": statistics.median(nd),
                "load_rtt": statistics.median(t for t, _ in load_times),
                "load_srv": statistics.median(v for _, v in load_times),
            })
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        med.update(vetting(s, url, deps, props, tpf, n))
        med.update(batches(s, server.url, props["frame-source"]["data"], tpf, repeats))
        med.update(label=label, stamp=f"{rows}x{cols}", cadences=n_cad,
                   frame_bytes=rows * cols * 4, frame_b64=4 * ((rows * cols * 4 + 2) // 3),
                   load_cold=cold_rtt, load_cold_srv=cold_srv, load_bytes=load_bytes,
                   load_wire=load_wire,
                   step_request=len(step.payload(**sync(1))),
                   first_step=first_step[0], first_step_srv=first_step[1],
                   frames_ok=frames_ok, startup=startup,
                   spread=(min(r["step_p50"] for r in runs), max(r["step_p50"] for r in runs)))
        return med
    finally:
        server.stop()


def sync(frame: int) -> dict:
    """The inputs of the sync callback as the painter sends them for ``frame``."""
    return {"frame-sync.data": {"frame": frame, "request": frame}}


def batches(s, base: str, source: dict, tpf, repeats: int) -> dict:
    """The painter's batches: spread through the file, flux then difference mode (N=5, default
    quality mask), per batch and per frame; flux batches checked against the file."""
    from dashboard.figures.frame_batch import decode_batch

    out = {}
    for mode, url in (("flux", source["url"]),
                      ("difference", source["url"] + "&mode=difference&n=5&mask=default")):
        size = source["batch"] if mode == "flux" else 16
        flat = []
        for run in range(repeats):
            for first in list(range(run * size, tpf.n_cadences, size * 7))[:30]:
                rtt, srv, wire, content, _ = get(s, f"{base}/{url}&start={first}&count={size}")
                header, frames = decode_batch(content)
                if mode == "flux" and not np.array_equal(
                        frames, tpf.flux[first:first + header["count"]], equal_nan=True):
                    raise RuntimeError(f"batch at {first} does not hold the file's frames")
                flat.append((rtt, srv, wire / header["count"], header["count"]))
        out[f"{mode}_batch_rtt"] = pct([t[0] for t in flat], 50)
        out[f"{mode}_batch_srv"] = pct([t[1] for t in flat], 50)
        out[f"{mode}_frame_srv"] = pct([t[1] / t[3] for t in flat], 50)
        out[f"{mode}_frame_bytes"] = statistics.median(t[2] for t in flat)
        out[f"{mode}_batch_size"] = statistics.median(t[3] for t in flat)
    return out


def vetting(s, url, deps, props, tpf, n: int) -> dict:
    """Issue 5's budget: steps in difference mode, and re-extraction after an aperture change
    (with background subtraction; with the background and centroid panels switched on)."""
    from dashboard.data.masks import encode_mask

    step = Callback(find_callback(deps, "frame-sync.data", "pixels.figure"), props)
    analysis = Callback(find_callback(deps, "aperture.data", "lightcurve.figure"), props)
    n_cad = tpf.n_cadences
    diff = [post(s, url, step.payload(**sync((7 + i) % n_cad),
                                      **{"image-mode.value": "difference"}))
            for i in range(min(n, 200))]
    rows, cols = tpf.shape
    out = {"diff_p50": pct([d[0] for d in diff], 50), "diff_srv": pct([d[1] for d in diff], 50),
           "diff_bytes": statistics.median(d[2] for d in diff)}
    for label, panels in (("reextract", []), ("reextract_diag", ["background", "centroids"])):
        times = []
        for k in range(9):  # a different box each time: nothing cached
            mask = np.zeros((rows, cols), dtype=bool)
            r0, c0 = (k * 3) % max(1, rows - 6), (k * 5) % max(1, cols - 6)
            mask[r0:r0 + 6, c0:c0 + 6] = True
            times.append(post(s, url, analysis.payload(**{
                "aperture.data": {"target": encode_mask(mask)}, "background.value": "file",
                "diagnostic-panels.value": panels}))[:3])
        out[f"{label}_rtt"] = pct([t[0] for t in times], 50)
        out[f"{label}_srv"] = pct([t[1] for t in times], 50)
        out[f"{label}_bytes"] = statistics.median(t[2] for t in times)
    return out


# -- output ------------------------------------------------------------------------------------
def heading(head: str) -> None:
    print(head)
    print("-" * len(head))


def print_tables(results: list[dict], n: int, repeats: int) -> None:
    print("\nFrame batches (what a step costs: the painter fetches these ahead of the cursor)")
    head = (f"{'file':9} {'stamp':>6} | {'mode':10} {'frames':>6} | {'batch ms':>8} {'srv':>6} | "
            f"{'srv/frame':>9} {'wire B/frame':>12} | {'frame B':>7}")
    heading(head)
    for r in results:
        for mode in ("flux", "difference"):
            print(f"{r['label'] if mode == 'flux' else '':9} "
                  f"{r['stamp'] if mode == 'flux' else '':>6} | {mode:10} "
                  f"{r[mode + '_batch_size']:6.0f} | {r[mode + '_batch_rtt']:8.2f} "
                  f"{r[mode + '_batch_srv']:6.2f} | {r[mode + '_frame_srv']:9.3f} "
                  f"{r[mode + '_frame_bytes']:12,.0f} | {r['frame_bytes']:7,}")
    print("  batch ms = round trip of one batch over loopback; srv = inside Flask; per frame = "
          "divided by the frames in the batch; wire B/frame = bytes sent per frame (pixels as "
          "float32 plus the readout's strings); frame B = rows*cols*4.")
    print(f"\nSync callback (Plotly's heatmap catching up when stepping pauses) vs no-op "
          f"callback: N={n} requests each, median of {repeats} run(s); "
          "times in ms (round trip over loopback HTTP; srv = Server-Timing inside Flask)")
    head = (f"{'file':9} {'stamp':>6} {'cadences':>8} | {'callback':8} {'p50':>6} {'p99':>6} "
            f"{'srv p50':>7} | {'wire B':>7} {'body B':>7} {'req B':>6} | {'frame B':>7} "
            f"{'b64 B':>6} | {'pixels ok':>9}")
    heading(head)
    for r in results:
        for kind in ("step", "noop"):
            first = kind == "step"
            print(f"{r['label'] if first else '':9} {r['stamp'] if first else '':>6} "
                  f"{r['cadences'] if first else '':>8} | {kind:8} {r[kind + '_p50']:6.2f} "
                  f"{r[kind + '_p99']:6.2f} {r[kind + '_srv']:7.2f} | "
                  f"{r[kind + '_bytes']:7,.0f} {r[kind + '_decoded']:7,.0f} "
                  f"{r['step_request'] if first else '':>6} | "
                  f"{r['frame_bytes'] if first else '':>7} {r['frame_b64'] if first else '':>6} | "
                  f"{('yes' if r['frames_ok'] else 'NO') if first else '':>9}")
        lo, hi = r["spread"]
        print(f"{'':9} {'':>6} {'':>8} | step minus no-op: {r['step_p50'] - r['noop_p50']:.2f} ms "
              f"p50; step p50 range over runs {lo:.2f}-{hi:.2f}")
    print("  wire B = response body as sent (compressed), body B = decoded, req B = the step's "
          "request body; frame B = rows*cols*4, b64 B = its base64 length.")
    print("\nFirst load: the figures callback fed by session.data (both figures, header, ...)")
    head = (f"{'file':9} | {'app build s':>11} | {'cold ms':>8} {'srv':>8} | {'warm ms':>8} "
            f"{'srv':>8} | {'wire B':>10} {'body B':>10} | {'1st step ms':>11} {'srv':>7}")
    heading(head)
    for r in results:
        print(f"{r['label']:9} | {r['startup']:11.2f} | {r['load_cold']:8.1f} "
              f"{r['load_cold_srv']:8.1f} | {r['load_rtt']:8.1f} {r['load_srv']:8.1f} | "
              f"{r['load_wire']:10,} {r['load_bytes']:10,} | {r['first_step']:11.1f} "
              f"{r['first_step_srv']:7.1f}")
    print("  app build = create_app (reading and opening the file); cold = the first call, warm = "
          "median of 5 per run; 1st step = the first step after the load, before warm-up: any "
          "per-file work done lazily lands there.")
    print("\nVetting (issue 5): difference-image steps (N=5 either side) and re-extraction "
          "after an "
          "aperture change (6x6 box, FLUX_BKG subtracted; then with background+centroid panels)")
    head = (f"{'file':9} | {'diff step p50':>13} {'srv':>6} {'wire B':>7} | {'re-extract':>10} "
            f"{'srv':>6} {'wire B':>8} | {'+panels':>8} {'srv':>6} {'wire B':>8}")
    heading(head)
    for r in results:
        print(f"{r['label']:9} | {r['diff_p50']:13.2f} {r['diff_srv']:6.2f} "
              f"{r['diff_bytes']:7,.0f} | {r['reextract_rtt']:10.1f} {r['reextract_srv']:6.1f} "
              f"{r['reextract_bytes']:8,.0f} | {r['reextract_diag_rtt']:8.1f} "
              f"{r['reextract_diag_srv']:6.1f} {r['reextract_diag_bytes']:8,.0f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--steps", type=int, default=500,
                        help="requests per measurement (default 500)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per file (default 3)")
    parser.add_argument("--warmup", type=int, default=50, help="warm-up requests (default 50)")
    parser.add_argument("--files", default="tess,k2",
                        help="comma-separated: tess, k2, kepler10 (shared data), demo "
                             "(default tess,k2)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help=f"where synthetic files are written and reused ({DEFAULT_DATA})")
    args = parser.parse_args(argv)

    import logging
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    files = bench_files([k.strip() for k in args.files.split(",") if k.strip()], args.data)
    results = []
    with tempfile.TemporaryDirectory(prefix="tpf-bench-cache-") as cache_root:
        for label, path in files:
            print(f"# {label}: {path or 'built-in demo'}", file=sys.stderr, flush=True)
            results.append(measure_file(label, path, args.steps, args.repeats, args.warmup,
                                        Path(cache_root)))
    print_tables(results, args.steps, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
