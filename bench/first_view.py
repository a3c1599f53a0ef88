"""First view, cold and warm, and where its time goes (a Chromium trace).

Starts ``python -m dashboard FILE`` (loopback, a fresh cache), loads the page once to warm the
server's derived results, then measures in headless Chromium:

* **cold**: ``--loads`` loads, each in a fresh browser context (an empty HTTP cache: a new
  profile), navigation start to the first animation frame in which the light curve is drawn,
  the heatmap image is drawn and the frame painter has painted the frame;
* **warm**: the same page loaded again in one context (scripts and styles from the browser's
  cache, as a second visit), ``--loads`` times.

Each load also reports the CPU time all browser processes used until the first view (CDP
``SystemInfo.getProcessInfo``): on a busy machine it varies far less than the duration.

``--profile`` adds a V8 CPU profile of one more warm load (self time by script, time under each
function; an unminified plotly.js from ``tools/plotly/build.mjs`` with ``minify: false`` names
its functions). For the last cold load, ``--trace`` records a Chromium trace (Playwright's
``start_tracing``) and prints the main thread's time by kind (script evaluation per URL,
compile, style/layout, paint, GC) up to the first view; ``--requests`` prints when each request
started and ended (Resource Timing).
Numbers only: nothing passes or fails. Prints ``uptime``'s load average beside them: on a busy
machine every number is inflated.

    python bench/first_view.py --files tess --loads 5
    python bench/first_view.py --files tess --loads 3 --trace /tmp/trace.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from step_browser_setup import Server  # noqa: E402
from step_server_app import bench_files  # noqa: E402

DEFAULT_DATA = Path(tempfile.gettempdir()) / "tpf-dashboard-bench"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

# Installed before any page script: when the light curve and the frame (the heatmap's image) are
# first drawn; the first view is the animation frame after both (the painter, which takes over
# the frame from the first step on, is noted when it first paints, if it does).
FIRST_VIEW_JS = """
(() => {
  const B = window.__first = {curve: null, heatmap: null, painted: null, view: null};
  document.addEventListener('tpf-painted', () => {
    if (B.painted === null) B.painted = performance.now();
  });
  function drawn(id) {
    const gd = document.querySelector('#' + id + ' .js-plotly-plot');
    if (!gd || !gd._fullData || !gd._fullData.length) return false;
    if (id === 'pixels') return !!gd.querySelector('.heatmaplayer image');
    return !!gd.querySelector('.gl-canvas, .scatterlayer');
  }
  function poll() {
    const now = performance.now();
    if (B.curve === null && drawn('lightcurve')) B.curve = now;
    if (B.heatmap === null && drawn('pixels')) B.heatmap = now;
    if (B.curve !== null && B.heatmap !== null) {
      requestAnimationFrame(() => { B.view = performance.now(); });
      return;
    }
    requestAnimationFrame(poll);
  }
  requestAnimationFrame(poll);
})();
"""

RESOURCES_JS = """
() => performance.getEntriesByType('resource').map(e => ({
  name: e.name, start: e.startTime, end: e.responseEnd, transfer: e.transferSize,
  body: e.decodedBodySize}))
"""


def browser_cpu(session) -> float:
    """CPU seconds used so far by all of the browser's processes (SystemInfo.getProcessInfo):
    on a busy machine a load's CPU time varies far less than its duration."""
    if session is None:
        return float("nan")
    return sum(p.get("cpuTime", 0.0) for p in session.send("SystemInfo.getProcessInfo")
               ["processInfo"])


def load(context, url: str, timeout_ms: int, session=None) -> tuple[dict, list]:
    page = context.new_page()
    page.add_init_script(FIRST_VIEW_JS)
    cpu = browser_cpu(session)
    page.goto(url, wait_until="commit")
    page.wait_for_function("window.__first && window.__first.view !== null", timeout=timeout_ms)
    cpu = browser_cpu(session) - cpu
    times = page.evaluate("window.__first")
    times["cpu"] = cpu
    navigation = page.evaluate("""() => { const n = performance.getEntriesByType('navigation')[0];
        return {dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd}; }""")
    resources = page.evaluate(RESOURCES_JS)
    page.close()
    times.update(navigation)
    times["bytes"] = sum(r["transfer"] for r in resources)
    return times, resources


def summarise_trace(path: Path, until_ms: float) -> None:
    """The renderer main thread's time by kind until the first view."""
    events = json.loads(path.read_text())
    events = events.get("traceEvents", events)
    main = {(e["pid"], e["tid"]) for e in events
            if e.get("name") == "thread_name" and e.get("args", {}).get("name") == "CrRendererMain"}
    nav = [e["ts"] for e in events if e.get("name") == "navigationStart"
           and (e["pid"], e["tid"]) in main]
    t0 = min(nav) if nav else min(e["ts"] for e in events if e.get("ts"))
    kinds: dict[str, float] = defaultdict(float)
    scripts: dict[str, float] = defaultdict(float)
    names = {"EvaluateScript": "evaluate script", "v8.compile": "compile",
             "v8.compileModule": "compile", "FunctionCall": "function calls",
             "TimerFire": "timers", "FireAnimationFrame": "animation frames",
             "UpdateLayoutTree": "style", "Layout": "layout", "Paint": "paint",
             "PrePaint": "paint", "MajorGC": "GC", "MinorGC": "GC", "ParseHTML": "parse HTML",
             "XHRReadyStateChange": "XHR/fetch handlers", "EventDispatch": "events",
             "RunMicrotasks": "microtasks", "v8.run": "v8.run"}
    for e in events:
        if (e.get("pid"), e.get("tid")) not in main or e.get("ph") != "X":
            continue
        if e["ts"] - t0 > until_ms * 1e3:
            continue
        kind = names.get(e["name"])
        if kind is None:
            continue
        ms = e.get("dur", 0) / 1e3
        kinds[kind] += ms
        if e["name"] == "EvaluateScript":
            url = e.get("args", {}).get("data", {}).get("url", "?")
            scripts[url.split("/")[-1].split("?")[0] or "(inline)"] += ms
    tasks = sum(e.get("dur", 0) for e in events if (e.get("pid"), e.get("tid")) in main
                and e.get("name") == "RunTask" and e.get("ph") == "X"
                and e["ts"] - t0 <= until_ms * 1e3) / 1e3
    print(f"  main thread busy (RunTask) until the first view at {until_ms:.0f} ms: {tasks:.0f} ms")
    print("  (nested: a script's evaluation includes the calls it makes)")
    for kind, ms in sorted(kinds.items(), key=lambda kv: -kv[1]):
        print(f"    {kind:20} {ms:7.0f} ms")
    print("  script evaluation by file:")
    for url, ms in sorted(scripts.items(), key=lambda kv: -kv[1])[:12]:
        print(f"    {url[:60]:60} {ms:7.0f} ms")


def cpu_profile(context, url: str, timeout_ms: int) -> dict:
    """A V8 CPU profile (CDP Profiler, 200 µs samples) of one load, to the first view."""
    page = context.new_page()
    page.add_init_script(FIRST_VIEW_JS)
    cdp = context.new_cdp_session(page)
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 200})
    cdp.send("Profiler.start")
    page.goto(url, wait_until="commit")
    page.wait_for_function("window.__first && window.__first.view !== null", timeout=timeout_ms)
    profile = cdp.send("Profiler.stop")["profile"]
    page.close()
    return profile


def profile_ms(profile: dict, under: str | None = None) -> float:
    """Milliseconds of a V8 CPU profile spent running (not idle); with ``under``, only those
    in calls made under a function of that name."""
    nodes = {n["id"]: n["callFrame"]["functionName"] for n in profile["nodes"]}
    parent = {c: n["id"] for n in profile["nodes"] for c in n.get("children", [])}

    def counted(sample) -> bool:
        if nodes[sample] in ("(idle)", "(program)"):
            return False
        while under is not None and sample in nodes and nodes[sample] != under:
            sample = parent.get(sample)
        return under is None or sample in nodes

    return sum(delta for sample, delta in zip(profile["samples"], profile["timeDeltas"],
                                              strict=True) if counted(sample)) / 1e3


def summarise_profile(profile: dict, top: int = 12) -> None:
    """Self time by script, and the functions with the most time under them."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    parent = {c: n["id"] for n in profile["nodes"] for c in n.get("children", [])}

    def name(node_id):
        frame = nodes[node_id]["callFrame"]
        where = frame["url"].rsplit("/", 1)[-1].split("?")[0]
        return f"{frame['functionName'] or '(anonymous)'} {where}:{frame['lineNumber']}"
    by_script: dict[str, float] = defaultdict(float)
    under: dict[str, float] = defaultdict(float)
    for sample, delta in zip(profile["samples"], profile["timeDeltas"], strict=True):
        frame = nodes[sample]["callFrame"]
        by_script[frame["url"].rsplit("/", 1)[-1].split("?")[0] or frame["functionName"]] += delta
        seen, node = set(), sample
        while node in nodes:
            key = name(node)
            if key not in seen:
                under[key] += delta
                seen.add(key)
            node = parent.get(node, -1)
    print("  CPU profile of a warm load, self time by script (ms):")
    for script, us in sorted(by_script.items(), key=lambda kv: -kv[1])[:top]:
        print(f"    {us / 1e3:7.0f}  {script}")
    print("  ... and time under each function (ms; nested):")
    for function, us in sorted(under.items(), key=lambda kv: -kv[1])[:2 * top]:
        print(f"    {us / 1e3:7.0f}  {function[:90]}")


def print_resources(resources: list) -> None:
    print("  requests (start → end ms, transferred KB, decoded KB):")
    for r in sorted(resources, key=lambda r: r["start"]):
        name = r["name"].split("127.0.0.1")[-1].split(":", 1)[-1]
        name = name.split("/", 1)[-1] if "/" in name else name
        print(f"    {r['start']:7.0f} → {r['end']:7.0f}  {r['transfer'] / 1024:8.1f} "
              f"{r['body'] / 1024:8.1f}  /{name[:70]}")


def run(browser, label: str, path: Path | None, args, workdir: Path) -> dict:
    server = Server(path, workdir)
    timeout = args.timeout * 1000
    session = browser.new_browser_cdp_session()
    try:
        warmup = browser.new_context(viewport={"width": 1400, "height": 900})
        load(warmup, server.url + "/", timeout)  # the server's derived results, once
        warmup.close()
        cold, warm, resources = [], [], []
        for i in range(args.loads):
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            tracing = args.trace and i == args.loads - 1
            if tracing:
                browser.start_tracing(page=None, path=str(args.trace), screenshots=False,
                                      categories=["devtools.timeline", "v8.execute",
                                                  "blink.user_timing", "loading",
                                                  "disabled-by-default-devtools.timeline"])
            times, resources = load(context, server.url + "/", timeout, session)
            if tracing:
                browser.stop_tracing()
            cold.append(times)
            context.close()
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        load(context, server.url + "/", timeout)  # fills this context's HTTP cache
        warm_resources = []
        for _ in range(args.loads):
            times, warm_resources = load(context, server.url + "/", timeout, session)
            warm.append(times)
        profile = cpu_profile(context, server.url + "/", timeout) if args.profile else None
        context.close()
        rss = server.rss_mb()
    finally:
        server.stop()
    return {"label": label, "cold": cold, "warm": warm, "resources": resources,
            "profile": profile,
            "warm_resources": warm_resources, "startup": server.startup, "rss": rss}


def median(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows) / 1e3


def _each(rows: list[dict]) -> str:
    return ", ".join(f"{r['view'] / 1e3:.2f}" for r in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", default="tess", help="comma-separated file keys (tess)")
    parser.add_argument("--loads", type=int, default=5, help="cold and warm loads each (5)")
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--trace", type=Path, help="write a Chromium trace of the last cold "
                                                   "load here and summarise it")
    parser.add_argument("--requests", action="store_true", help="print each request's timing")
    parser.add_argument("--profile", action="store_true",
                        help="a V8 CPU profile of one more warm load, summarised")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    files = bench_files([k.strip() for k in args.files.split(",") if k.strip()], args.data)
    print(f"load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    with tempfile.TemporaryDirectory(prefix="tpf-first-view-") as tmp, \
            sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for label, path in files:
                workdir = Path(tmp) / label
                workdir.mkdir()
                r = run(browser, label, path, args, workdir)
                cold, warm = r["cold"], r["warm"]
                print(f"{label}: cold first view p50 {median(cold, 'view'):.2f} s "
                      f"(each: {_each(cold)}), "
                      f"warm p50 {median(warm, 'view'):.2f} s "
                      f"(each: {_each(warm)})")
                for name, rows in (("cold", cold), ("warm", warm)):
                    print(f"  {name}: browser CPU to the first view "
                          f"{statistics.median(x['cpu'] for x in rows):.2f} s; "
                          f"DOMContentLoaded {median(rows, 'dcl'):.2f} s, curve "
                          f"{median(rows, 'curve'):.2f} s, heatmap {median(rows, 'heatmap'):.2f}"
                          f" s, transferred "
                          f"{statistics.median(x['bytes'] for x in rows) / 2**20:.2f} MB")
                print(f"  server: serving after {r['startup']:.2f} s, RSS {r['rss']:.0f} MB")
                if args.requests:
                    print_resources(r["resources"])
                    print("  warm:")
                    print_resources(r["warm_resources"])
                if args.trace:
                    summarise_trace(args.trace, cold[-1]["view"])
                if r["profile"]:
                    summarise_profile(r["profile"])
        finally:
            browser.close()
    print(f"load average after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
