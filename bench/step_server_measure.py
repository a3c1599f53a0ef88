"""Measurements of ``step_server.py``: requests timed over loopback HTTP (round trip, the
``Server-Timing`` server time, bytes on the wire and decoded), the payloads the renderer sends
(bench/dash_client.py), and per file the first-load callback, the sync callback, the no-op
callback, the painter's frame batches and the vetting tools, with the returned pixels checked
against the file's.
"""

from __future__ import annotations

import base64
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import requests
from dash_client import Callback, find_callback, layout_props, split_output
from step_server_app import InProcessServer, build_app

# What Chromium sends; the app compresses responses (flask-compress), so sizes are given both
# as sent on the wire and decoded.
HEADERS = {"Content-Type": "application/json", "Accept": "application/json",
           "Accept-Encoding": "gzip, deflate, br, zstd"}


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
        fid = health.get("default_file")
        view = props["view"]["data"]
        if (view.get("state") or {}).get("file") != fid:
            print(f"# note: layout view {view.get('state')} vs /health {health}", file=sys.stderr)
        url = server.url + "/_dash-update-component"
        layout_url = server.url + "/_dash-layout"

        step = Callback(find_callback(deps, "frame-sync.data", "pixels.figure"), props)
        noop = Callback(find_callback(deps, "bench-noop-in.n_clicks"), props)
        drawn = props["pixels-drawn"]["data"]

        def sync(frame: int) -> dict:
            return sync_inputs(fid, frame, drawn)

        # The first load is the layout itself: the page arrives with its figures drawn.
        cold_rtt, cold_srv, load_wire, _, load_bytes = get(s, layout_url)
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
            load_times = [get(s, layout_url)[:2] for _ in range(5)]
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
        med.update(vetting(s, url, deps, props, tpf, n, fid))
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


def sync_inputs(fid: str, frame: int, drawn: dict) -> dict:
    """The sync callback's inputs as the page sends them once stepping pauses on ``frame``:
    what the heatmap last drew is ``drawn`` (the layout's own: the same look, outline, marks
    and sky) but for another frame, so only this frame's pixels come back."""
    return {"frame-sync.data": {"file": fid, "frame": frame, "at": frame},
            "pixels-drawn.data": dict(drawn, frame=-1)}


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


def vetting(s, url, deps, props, tpf, n: int, fid: str) -> dict:
    """Issue 5's budget: sync steps in difference mode (what the heatmap drew carried from each
    answer, as the page carries it), and re-extraction after an aperture change: the view's
    owner taking the edit (aperture-edits -> view) and the light curve drawn from the new view
    (view -> lightcurve), one round trip each, as in the page."""
    import copy

    step = Callback(find_callback(deps, "frame-sync.data", "pixels.figure"), props)
    owner = Callback(find_callback(deps, "aperture-edits.data", "view.data"), props)
    curve = Callback(find_callback(deps, "view.data", "lightcurve.figure"), props)
    n_cad = tpf.n_cadences
    view = copy.deepcopy(props["view"]["data"])
    view["state"]["image"] = "difference"
    drawn = dict(props["pixels-drawn"]["data"], frame=-1)
    diff = []
    for i in range(min(n, 200)):
        rtt, srv, wire, content, size = post(s, url, step.payload(**{
            "view.data": view, "frame-sync.data": {"file": fid, "frame": (7 + i) % n_cad, "at": i},
            "pixels-drawn.data": drawn}))
        drawn = json.loads(content)["response"]["pixels-drawn"]["data"]
        if i:  # the first also recolours for the new mode
            diff.append((rtt, srv, wire))
    out = {"diff_p50": pct([d[0] for d in diff], 50), "diff_srv": pct([d[1] for d in diff], 50),
           "diff_bytes": statistics.median(d[2] for d in diff)}
    rows, cols = tpf.shape
    base = props["view"]["data"]
    times = []
    for k in range(9):  # a different box each time: nothing cached
        r0, c0 = (k * 3) % max(1, rows - 6), (k * 5) % max(1, cols - 6)
        box = {"x": [tpf.column + c0 - 0.5, tpf.column + c0 + 5.5],
               "y": [tpf.row + r0 - 0.5, tpf.row + r0 + 5.5]}
        edits = {"epoch": base.get("epoch", 0),
                 "ops": [{"op": "select", "which": "target", "selection": {"range": box}}]}
        a = post(s, url, owner.payload(**{"aperture-edits.data": edits, "view.data": base}))
        new_view = json.loads(a[3])["response"]["view"]["data"]
        drawn_curve = props["lightcurve-drawn"]["data"]
        b = post(s, url, curve.payload(**{"view.data": new_view,
                                          "lightcurve-drawn.data": drawn_curve}))
        times.append((a[0] + b[0], a[1] + b[1], a[2] + b[2]))
    out["reextract_rtt"] = pct([t[0] for t in times], 50)
    out["reextract_srv"] = pct([t[1] for t in times], 50)
    out["reextract_bytes"] = statistics.median(t[2] for t in times)
    return out
