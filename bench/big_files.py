"""Big files as a user meets them: time to serve, first view, key press to painted frame, and
the server's memory after stepping through every frame.

For each file: ``python -m dashboard FILE`` is started (loopback, a fresh cache) and timed
until it answers; the page is loaded once (the server's derived results), then ``--loads``
times in fresh browser contexts (cold, an empty HTTP cache) and ``--loads`` times again in one
context (warm). In that page, ``--presses`` ArrowRight presses are timed to the painted frame
and checked against the file (bench/step_browser_measure.py). Then every frame batch of the
file is fetched from the page's ``frame-source`` URL, as the browser's painter would while
stepping through the whole file, and the server's resident memory (VmRSS, /proc) is read: it
is printed beside the budget of issue 15, 1.5 x the FLUX cube + 100 MB, and its parts
(anonymous memory, pages of each memory-mapped cube). Numbers only: nothing passes or fails.

    python bench/big_files.py                           # tess20s and tesscut
    python bench/big_files.py --files tess20s --presses 30 --loads 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from first_view import CHROMIUM, CHROMIUM_ARGS, FIRST_VIEW_JS, load  # noqa: E402
from step_browser_measure import key_presses  # noqa: E402
from step_browser_setup import FileInfo, Network, Server  # noqa: E402
from step_server_app import bench_files  # noqa: E402

DEFAULT_DATA = Path(tempfile.gettempdir()) / "tpf-dashboard-bench"
VIEWPORT = {"width": 1400, "height": 900}


def memory(pid: int) -> dict:
    """VmRSS and its parts, MiB: anonymous memory and the resident pages of each .npy map."""
    out = {"rss": 0.0, "anon": 0.0, "maps": {}}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            out["rss"] = int(line.split()[1]) / 1024
        if line.startswith("RssAnon:"):
            out["anon"] = int(line.split()[1]) / 1024
    name = None
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 5 and "-" in parts[0] and not parts[0].endswith(":"):
            name = parts[-1] if len(parts) >= 6 and parts[-1].endswith(".npy") else None
        elif name and parts[0] == "Rss:":
            key = name.rsplit(".", 2)[-2]
            out["maps"][key] = out["maps"].get(key, 0.0) + int(parts[1]) / 1024
    return out


def step_through(server_url: str) -> dict:
    """Every frame batch of the file the page opens with, as the painter fetches them."""
    layout = requests.get(server_url + "/_dash-layout", timeout=60).json()
    source = _find_store(layout, "frame-source")
    t0, fetched, count = time.perf_counter(), 0, 0
    with requests.Session() as session:
        for start in range(0, source["frames"], source["batch"]):
            answer = session.get(f"{server_url}/{source['url']}&start={start}"
                                 f"&count={source['batch']}", timeout=60)
            answer.raise_for_status()
            fetched += len(answer.content)
            count += 1
    return {"batches": count, "seconds": time.perf_counter() - t0, "bytes": fetched}


def _find_store(node, store_id):
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == store_id:
            return node["props"]["data"]
        for value in node.values():
            found = _find_store(value, store_id)
            if found is not None:
                return found
    elif isinstance(node, list):
        for value in node:
            found = _find_store(value, store_id)
            if found is not None:
                return found
    return None


def measure(browser, label: str, path: Path, args, workdir: Path) -> dict:
    info = FileInfo(label, path) if args.presses else None
    cube_mib = path.stat().st_size / 2**20  # replaced below by the FLUX cube's own size
    server = Server(path, workdir)
    out = {"label": label, "startup": server.startup, "file_mib": cube_mib}
    try:
        out["rss_open"] = memory(server.process.pid)
        timeout = args.timeout * 1000
        first = browser.new_context(viewport=VIEWPORT)
        load(first, server.url + "/", timeout)
        first.close()
        cold, warm = [], []
        for _ in range(args.loads):
            context = browser.new_context(viewport=VIEWPORT)
            cold.append(load(context, server.url + "/", timeout)[0])
            context.close()
        context = browser.new_context(viewport=VIEWPORT)
        load(context, server.url + "/", timeout)
        for _ in range(args.loads):
            warm.append(load(context, server.url + "/", timeout)[0])
        out["cold"] = statistics.median(c["view"] for c in cold) / 1e3
        out["warm"] = statistics.median(c["view"] for c in warm) / 1e3
        out["bytes"] = statistics.median(c["bytes"] for c in cold)
        if args.presses:
            page = context.new_page()
            net = Network(context, page)
            page.add_init_script(FIRST_VIEW_JS)
            page.goto(server.url + "/", wait_until="commit")
            page.wait_for_function("window.__first && window.__first.view !== null",
                                   timeout=timeout)
            page.wait_for_timeout(500)
            keys = key_presses(page, net, info, args.presses, args.spacing)
            out["paint"] = keys["paint"]
            out["agree"] = keys["ok_now"] + keys["ok_later"]
            out["presses"] = keys["presses"]
            page.close()
        context.close()
        out["stepping"] = step_through(server.url)
        out["rss_stepped"] = memory(server.process.pid)
        rows_cols = (info.rows * info.cols) if info else None
        n = info.n if info else None
        if rows_cols:
            out["flux_mib"] = n * rows_cols * 4 / 2**20
    finally:
        server.stop()
    return out


def report(r: dict) -> None:
    flux = r.get("flux_mib")
    budget = f" (budget 1.5 x {flux:.0f} + 100 = {1.5 * flux + 100:.0f} MiB)" if flux else ""
    print(f"{r['label']}: serving after {r['startup']:.2f} s; first view cold p50 "
          f"{r['cold']:.2f} s, warm p50 {r['warm']:.2f} s, {r['bytes'] / 2**20:.2f} MB loaded")
    if "paint" in r:
        paint = sorted(r["paint"])
        p90 = paint[int(0.9 * (len(paint) - 1))] if paint else float("nan")
        print(f"  key press to painted frame p50 {statistics.median(paint):.1f} ms, p90 "
              f"{p90:.1f} ms; {r['agree']}/{r['presses']} presses on the right frame")
    s = r["stepping"]
    print(f"  stepped through: {s['batches']} batches in {s['seconds']:.1f} s "
          f"({s['bytes'] / 2**20:.1f} MB)")
    for when in ("rss_open", "rss_stepped"):
        m = r[when]
        maps = ", ".join(f"{k} {v:.0f}" for k, v in sorted(m["maps"].items()))
        print(f"  RSS {'after opening' if when == 'rss_open' else 'after stepping'}: "
              f"{m['rss']:.0f} MiB{budget if when == 'rss_stepped' else ''}: anonymous "
              f"{m['anon']:.0f}, mapped cubes {maps or 'none'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", default="tess20s,tesscut")
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--presses", type=int, default=30)
    parser.add_argument("--spacing", type=float, default=0.25)
    parser.add_argument("--timeout", type=float, default=90)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    files = bench_files([k.strip() for k in args.files.split(",") if k.strip()], args.data)
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    results = []
    with tempfile.TemporaryDirectory(prefix="tpf-big-") as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for label, path in files:
                workdir = Path(tmp) / label
                workdir.mkdir()
                results.append(measure(browser, label, path, args, workdir))
                report(results[-1])
        finally:
            browser.close()
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
