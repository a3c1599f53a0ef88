"""What a person sees: key press to painted frame, playback, and first view, in headless Chromium.

For each benchmark file this starts ``python -m dashboard FILE --port P`` (loopback, a fresh
``TPF_DASHBOARD_CACHE``), opens the page with Playwright in Debian's Chromium and measures:

* first view: from navigation start to the first painted heatmap (and to both graphs drawn),
  for ``--loads`` page loads in fresh browser contexts (the first one also finds the server's
  derived cache cold), with the bytes transferred by the load (CDP ``Network.loadingFinished``
  ``encodedDataLength``, summed until the network is idle);
* key press to painted frame: ``ArrowRight`` via ``page.keyboard.press``; the time from the
  ``keydown`` reaching the page to the animation frame after the frame painter
  (assets/frames.js) painted the new frame's pixels (its ``tpf-painted`` event), and likewise
  to the frame after the light-curve cursor moved; each press is then checked: the slider
  value, ``#cursor`` ``data-frame``, the readout's cadence number and the painted pixels must
  all name the expected frame (cadence numbers and pixels are read from the file with astropy);
* playback at 30 fps (the ``#speed`` dropdown, then ``#play``): frames painted per second and
  how many cadences the slider passed whose pixels were never painted.

The server's resident memory is read from /proc at the end. The lightkurve ``interact()``
numbers of the field notes are printed beside ours. Numbers only: nothing passes or fails.

    python bench/step_browser.py                      # tess and k2, 50 presses, 5 s playback
    python bench/step_browser.py --presses 10 --play-seconds 2 --loads 1 --files tess
    python bench/step_browser.py --files tess,k2,kepler10
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import requests
from astropy.io import fits

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from step_server import bench_files  # noqa: E402  (the same files, chosen the same way)

KEPLER10 = ROOT.parent / "shared" / "data" / "kplr011904151-2010009091648_lpd-targ.fits"
DEFAULT_DATA = Path(tempfile.gettempdir()) / "tpf-dashboard-bench"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
KEY_CHARS = 64  # base64 characters of a frame's first pixels that identify it

# lightkurve 2.6.0 interact() (Bokeh 3.9.2), from /work/shared/notes/field-notes.md:
# first view s, loaded MB, step to repainted image ms, with light-curve redraw ms,
# bytes per step, server RSS MB.
LIGHTKURVE = {
    "tess": ("1.46", "4.8", "50", "90", "1.2 KB", "323"),
    "k2": ("1.1-1.4", "4.1", "78", "89", "10.7 KB", "452"),
    "kepler10": ("1.0-1.2", "3.9", "37", "47", "1.0 KB", "253"),
}

# Installed before any page script: notes when each graph is first drawn after navigation.
FIRST_VIEW_JS = """
(() => {
  const B = window.__benchFirst = {heatmap: null, curve: null};
  const hooked = new Set();
  function drawn(id) {
    const gd = document.querySelector('#' + id + ' .js-plotly-plot');
    if (!gd || !gd._fullData || !gd._fullData.length) return false;
    if (id === 'pixels') return !!gd.querySelector('.heatmaplayer image');
    return true;
  }
  function mark(id, key) {
    if (B[key] === null && drawn(id)) {
      requestAnimationFrame(() => { if (B[key] === null) B[key] = performance.now(); });
    }
  }
  function poll() {
    for (const [id, key] of [['pixels', 'heatmap'], ['lightcurve', 'curve']]) {
      const gd = document.querySelector('#' + id + ' .js-plotly-plot');
      if (gd && gd.on && !hooked.has(id)) {
        hooked.add(id);
        gd.on('plotly_afterplot', () => mark(id, key));
      }
      mark(id, key);
    }
    if (B.heatmap === null || B.curve === null) requestAnimationFrame(poll);
  }
  requestAnimationFrame(poll);
})();
"""

# The first bytes of the painted frame, base64 (as the bench keys frames read with astropy).
PAINTED_KEY_JS = """
  const paintedKey = () => {
    const values = window.tpfFrames && window.tpfFrames.paintedPixels();
    if (!values) return null;
    const bytes = new Uint8Array(values.buffer, values.byteOffset, Math.min(values.byteLength, 48));
    return btoa(String.fromCharCode.apply(null, bytes)).slice(0, KEY_CHARS);
  };
""".replace("KEY_CHARS", str(KEY_CHARS))

# Installed once the page is drawn: frames painted, cursor moves, keydowns.
INSTRUMENT_JS = """
() => {
  PAINTED_KEY
  const cursor = document.getElementById('cursor');
  const B = window.__bench = {key: null, plots: [], cursor: []};
  window.addEventListener('keydown', () => { B.key = performance.now(); }, true);
  document.addEventListener('tpf-painted', () => {
    const rec = {t: performance.now(), paint: null, key: paintedKey()};
    B.plots.push(rec);
    requestAnimationFrame(() => { rec.paint = performance.now(); });
  });
  new MutationObserver(() => {
    const rec = {t: performance.now(), frame: cursor.dataset.frame, paint: null};
    B.cursor.push(rec);
    requestAnimationFrame(() => { rec.paint = performance.now(); });
  }).observe(cursor, {attributes: true, attributeFilter: ['data-frame']});
}
""".replace("PAINTED_KEY", PAINTED_KEY_JS)

STATE_JS = """
() => {
  PAINTED_KEY
  const slider = document.querySelector('#cadence [role=slider]');
  const cursor = document.getElementById('cursor');
  const readout = document.getElementById('readout-0');
  return {
    slider: slider ? Number(slider.getAttribute('aria-valuenow')) : null,
    cursor: cursor && cursor.dataset.frame !== undefined ? Number(cursor.dataset.frame) : null,
    readout: readout ? readout.textContent.trim() : null,
    key: paintedKey(),
  };
}
""".replace("PAINTED_KEY", PAINTED_KEY_JS)

PLAY_JS = """
async (ms) => {
  const B = window.__bench;
  const slider = () => Number(document.querySelector('#cadence [role=slider]')
                              .getAttribute('aria-valuenow'));
  const n0 = B.plots.length;
  const v0 = slider();
  const t0 = performance.now();
  document.getElementById('play').click();
  await new Promise(resolve => setTimeout(resolve, ms));
  const v1 = slider();
  const t1 = performance.now();
  document.getElementById('play').click();
  return {n0, v0, v1, t1, seconds: (t1 - t0) / 1000};
}
"""


# -- files and servers -------------------------------------------------------------------------
class FileInfo:
    """What the bench knows about a file independently of the dashboard: read with astropy."""

    def __init__(self, label: str, path: Path | None):
        self.label, self.path = label, path
        if path is None:
            import io

            sys.path.insert(0, str(ROOT))
            from dashboard.data.demo import demo_bytes
            source = io.BytesIO(demo_bytes())
        else:
            source = str(path)
        with fits.open(source, memmap=False) as hdul:
            table = next(h for h in hdul if isinstance(h, fits.BinTableHDU))
            flux = np.asarray(table.data["FLUX"], dtype="<f4")
            cadenceno = np.asarray(table.data["CADENCENO"], dtype=np.int64)
        self.n, self.rows, self.cols = flux.shape
        if self.n > 1 and np.all(cadenceno == cadenceno[0]):
            cadenceno = np.arange(self.n)
        self.cadenceno = cadenceno
        self.keys = [base64.b64encode(frame.tobytes()[:KEY_CHARS]).decode()[:KEY_CHARS]
                     for frame in flux]
        self.frame_of = {}
        for i, key in enumerate(self.keys):
            self.frame_of.setdefault(key, i)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, path: Path | None, workdir: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, TPF_DASHBOARD_CACHE=str(workdir / "cache"), PYTHONUNBUFFERED="1",
                   HOST="127.0.0.1")
        self.log = open(workdir / "server.log", "w+")
        args = [sys.executable, "-m", "dashboard"] + ([str(path)] if path else [])
        self.process = subprocess.Popen(args + ["--host", "127.0.0.1", "--port", str(self.port)],
                                        cwd=ROOT, env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        t0 = time.perf_counter()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.output()}")
            try:
                if requests.get(self.url + "/health", timeout=1).ok:
                    self.startup = time.perf_counter() - t0
                    return
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start: {self.output()}")

    def rss_mb(self) -> float:
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return float("nan")

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


class Network:
    """Bytes per request from the DevTools protocol: transferred, and body (decoded)."""

    def __init__(self, context, page):
        self.cdp = context.new_cdp_session(page)
        self.urls: dict[str, str] = {}
        self.body: dict[str, int] = {}
        self.finished: list[tuple[str, int, int]] = []  # (url, transferred, body)
        self.cdp.on("Network.requestWillBeSent",
                    lambda e: self.urls.__setitem__(e["requestId"], e["request"]["url"]))
        self.cdp.on("Network.dataReceived", lambda e: self.body.__setitem__(
            e["requestId"], self.body.get(e["requestId"], 0) + e.get("dataLength", 0)))
        self.cdp.on("Network.loadingFinished", self._done)
        self.cdp.send("Network.enable")
        self.cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})

    def _done(self, e):
        rid = e["requestId"]
        self.finished.append((self.urls.get(rid, ""), int(e.get("encodedDataLength", 0)),
                              self.body.get(rid, 0)))

    def mark(self) -> int:
        return len(self.finished)

    def since(self, mark: int, pattern: str = "") -> list[tuple[str, int, int]]:
        return [f for f in self.finished[mark:] if pattern in f[0]]


# -- measurements ------------------------------------------------------------------------------
def first_view(browser, url: str, timeout_ms: int):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    net = Network(context, page)
    page.add_init_script(FIRST_VIEW_JS)
    page.goto(url, wait_until="commit")
    page.wait_for_function("window.__benchFirst && window.__benchFirst.heatmap !== null "
                           "&& window.__benchFirst.curve !== null", timeout=timeout_ms)
    times = page.evaluate("window.__benchFirst")
    try:
        page.wait_for_load_state("networkidle", timeout=10_000)
    except Exception:  # noqa: BLE001 - only a settle; bytes so far still count
        pass
    page.wait_for_timeout(300)
    loaded = sum(t for _, t, _ in net.since(0))
    return context, page, net, {"heatmap": times["heatmap"] / 1e3,
                                "both": max(times["heatmap"], times["curve"]) / 1e3,
                                "bytes": loaded, "requests": len(net.since(0))}


def agree(state: dict, info: FileInfo, frame: int, pixels: bool = True) -> bool:
    return (state["slider"] == frame and state["cursor"] == frame
            and state["readout"] == str(info.cadenceno[frame])
            and (not pixels or state["key"] is None or state["key"] == info.keys[frame]))


def key_presses(page, net: Network, info: FileInfo, presses: int, spacing: float,
                difference: bool = False) -> dict:
    """Presses timed to the painted frame. In difference mode the painted values are
    differences, not the file's FLUX: registration is then checked on the slider, cursor and
    readout only."""
    page.evaluate(INSTRUMENT_JS)
    start = page.evaluate(STATE_JS)["slider"] or 0
    paint, cursor, ok_now, ok_later, missed = [], [], 0, 0, 0
    mark = net.mark()
    requests_up = []
    page.on("request", lambda r: requests_up.append(len(r.post_data_buffer or b""))
            if "_dash-update-component" in r.url else None)
    for i in range(presses):
        frame = min(start + i + 1, info.n - 1)
        n_plots = page.evaluate("window.__bench.plots.length")
        n_cursor = page.evaluate("window.__bench.cursor.length")
        t_press = time.perf_counter()
        page.keyboard.press("ArrowRight")
        try:
            page.wait_for_function(
                """([n, key]) => window.__bench.plots.slice(n).some(
                       p => (key === null || p.key === key || p.key === null)
                            && p.paint !== null)""",
                arg=[n_plots, None if difference else info.keys[frame]], timeout=5000)
            b = page.evaluate("""([n, m, key]) => {
                const B = window.__bench;
                const p = B.plots.slice(n).find(
                    p => (key === null || p.key === key || p.key === null) && p.paint !== null);
                const c = B.cursor.slice(m).find(c => c.paint !== null);
                return {key: B.key, paint: p.paint, cursor: c ? c.paint : null};
            }""", [n_plots, n_cursor, None if difference else info.keys[frame]])
            paint.append(b["paint"] - b["key"])
            if b["cursor"] is not None:
                cursor.append(b["cursor"] - b["key"])
        except Exception:  # noqa: BLE001 - a press that never painted is counted, not fatal
            missed += 1
        state = page.evaluate(STATE_JS)
        if agree(state, info, frame, not difference):
            ok_now += 1
        else:
            deadline = time.perf_counter() + 1.0
            while time.perf_counter() < deadline:
                page.wait_for_timeout(50)
                if agree(page.evaluate(STATE_JS), info, frame, not difference):
                    ok_later += 1
                    break
            else:
                print(f"#   press {i + 1}: expected frame {frame} (cadence "
                      f"{info.cadenceno[frame]}), page shows {state}", file=sys.stderr)
        rest = spacing - (time.perf_counter() - t_press)
        if rest > 0:
            page.wait_for_timeout(rest * 1e3)
    page.wait_for_timeout(800)  # the sync of Plotly's heatmap after the last press counts too
    # Everything the presses fetched: frame batches (ahead of the cursor) and Dash callbacks
    # (Plotly's heatmap catching up when stepping pauses), per press.
    steps = net.since(mark, "_dash-update-component") + net.since(mark, "/frames/")
    return {"paint": paint, "cursor": cursor, "ok_now": ok_now, "ok_later": ok_later,
            "missed": missed, "presses": presses,
            "step_body": sum(b for _, _, b in steps) / presses,
            "step_transfer": sum(t for _, t, _ in steps) / presses,
            "step_up": sum(requests_up) / presses,
            "requests": len(steps)}


def set_speed(page, fps: int) -> str:
    page.click("#speed")
    page.locator(".dash-dropdown-options [role=option]",
                 has_text=re.compile(rf"^\s*{fps} fps\s*$")).first.click()
    page.wait_for_timeout(200)
    if page.locator(".dash-dropdown-options").count():
        page.keyboard.press("Escape")
    return page.locator("#speed-value").inner_text().strip()


def playback(page, net: Network, info: FileInfo, seconds: float, fps: int) -> dict:
    shown = set_speed(page, fps)
    page.wait_for_timeout(300)
    mark = net.mark()
    r = page.evaluate(PLAY_JS, int(seconds * 1000))
    page.wait_for_timeout(800)  # the frame asked for last still paints: let it count
    steps = net.since(mark, "_dash-update-component") + net.since(mark, "/frames/")
    plots = page.evaluate("([n0]) => window.__bench.plots.slice(n0)", [r["n0"]])
    in_window = sum(1 for p in plots if p["t"] <= r["t1"])
    frames = [info.frame_of.get(p["key"]) for p in plots if p["key"] is not None]
    painted = {f for f in frames if f is not None and r["v0"] < f <= r["v1"]}
    advanced = r["v1"] - r["v0"]
    state = page.evaluate(STATE_JS)
    final = state["slider"]
    settled = final is not None and agree(state, info, final)
    if not settled:
        page.wait_for_timeout(1000)
        state = page.evaluate(STATE_JS)
        settled = state["slider"] is not None and agree(state, info, state["slider"])
    return {"speed": shown, "seconds": r["seconds"], "afterplots": in_window,
            "advanced": advanced, "painted": len(painted),
            "skipped": advanced - len(painted), "requests": len(steps),
            "kb_per_s": sum(t for _, t, _ in steps) / 1024 / r["seconds"],
            "bytes_per_frame": sum(t for _, t, _ in steps) / max(advanced, 1),
            "settled": settled}


def run_file(browser, label: str, path: Path | None, args, workdir: Path) -> dict:
    info = FileInfo(label, path)
    server = Server(path, workdir)
    try:
        loads, context = [], None
        for _ in range(args.loads):
            if context is not None:
                context.close()
            context, page, net, view = first_view(browser, server.url + "/", args.timeout * 1000)
            loads.append(view)
        keys = key_presses(page, net, info, args.presses, args.spacing)
        play = playback(page, net, info, args.play_seconds, args.fps)
        # Issue 5's budget: the same presses with the difference image on.
        page.click("#image-mode input[value=difference]")
        page.evaluate("document.activeElement.blur()")  # arrows would move the radio choice
        page.wait_for_function("() => window.tpfFrames.painted() !== null", timeout=10_000)
        page.wait_for_timeout(500)
        difference = key_presses(page, net, info, args.presses, args.spacing, difference=True)
        context.close()
        rss = server.rss_mb()
    finally:
        server.stop()
    return {"label": label, "stamp": f"{info.rows}x{info.cols}", "cadences": info.n,
            "startup": server.startup, "loads": loads, "keys": keys, "play": play, "rss": rss,
            "difference": difference}


# -- output ------------------------------------------------------------------------------------
def pct(values, q):
    return float(np.percentile(values, q)) if values else float("nan")


def print_tables(results: list[dict], args) -> None:
    print(f"\nFirst view ({args.loads} load(s), fresh browser context each; the first finds the "
          "server's derived cache cold) and key press to painted frame "
          f"({args.presses} ArrowRight presses, {args.spacing * 1e3:.0f} ms apart)")
    head = (f"{'file':9} {'stamp':>6} {'cadences':>8} | {'view s':>6} {'warm':>5} {'both':>5} "
            f"{'loaded MB':>9} | {'paint p50':>9} {'p90':>6} {'cursor p50':>10} | "
            f"{'step B':>7} {'wire':>6} {'up':>5} | {'views agree':>11} | {'RSS MB':>6}")
    print(head)
    print("-" * len(head))
    for r in results:
        loads, k = r["loads"], r["keys"]
        warm = [v["heatmap"] for v in loads[1:]] or [loads[0]["heatmap"]]
        both = statistics.median(v["both"] for v in (loads[1:] or loads))
        loaded = statistics.median(v["bytes"] for v in loads) / 1e6
        agreed = f"{k['ok_now']}+{k['ok_later']}/{k['presses']}"
        print(f"{r['label']:9} {r['stamp']:>6} {r['cadences']:>8} | {loads[0]['heatmap']:6.2f} "
              f"{statistics.median(warm):5.2f} {both:5.2f} {loaded:9.2f} | "
              f"{pct(k['paint'], 50):9.1f} {pct(k['paint'], 90):6.1f} "
              f"{pct(k['cursor'], 50):10.1f} | {k['step_body']:7,.0f} {k['step_transfer']:6,.0f} "
              f"{k['step_up']:5,.0f} | "
              f"{agreed:>11} | {r['rss']:6.0f}")
        if k["missed"]:
            print(f"{'':9} {k['missed']} press(es) never painted the expected frame within 5 s")
    print("  view s = navigation start to the first painted heatmap (first load), warm = median "
          "of the others, both = until the light curve is drawn too; loaded = bytes transferred "
          "by a load; paint = keydown to the animation frame after the painter drew "
          "the new pixels; cursor = keydown to the frame after the light-curve cursor moved; "
          "step B = bytes received per press (frame batches and callbacks), decoded; wire = as "
          "transferred (compressed, with headers); up = callback request bytes per press; "
          "views agree = slider, cursor, "
          "readout cadence and pixels all on the expected frame at the paint + within 1 s after.")

    print("\nDifference image (N=5 either side) on: key press to painted frame")
    for r in results:
        d = r["difference"]
        print(f"{r['label']:9} | paint p50 {pct(d['paint'], 50):6.1f} "
              f"p90 {pct(d['paint'], 90):6.1f} ms | cursor p50 {pct(d['cursor'], 50):6.1f} ms | "
              "views agree "
              f"{d['ok_now']}+{d['ok_later']}/{d['presses']} | bytes per press "
              f"{d['step_transfer']:,.0f}")

    print(f"\nPlayback at {args.fps} fps for {args.play_seconds:g} s")
    head = (f"{'file':9} | {'speed':>7} | {'advanced':>8} {'painted':>7} {'skipped':>7} | "
            f"{'repaints/s':>10} {'requests':>8} {'KB/s':>6} {'B/frame':>7} | {'settled':>7}")
    print(head)
    print("-" * len(head))
    for r in results:
        p = r["play"]
        print(f"{r['label']:9} | {p['speed']:>7} | {p['advanced']:8} {p['painted']:7} "
              f"{p['skipped']:7} | {p['afterplots'] / p['seconds']:10.1f} {p['requests']:8} "
              f"{p['kb_per_s']:6.0f} {p['bytes_per_frame']:7,.0f} | "
              f"{'yes' if p['settled'] else 'NO':>7}")
    print("  advanced = cadences the slider moved; painted = distinct ones among them whose pixels "
          "the heatmap drew (until shortly after pausing); skipped = advanced - painted; "
          "repaints/s = frames painted per second while playing; settled = views agree "
          "after pausing; B/frame = bytes transferred (frame batches fetched ahead, and callbacks) "
          "per cadence played.")

    print("\nBeside lightkurve 2.6.0 interact() (field notes; Bokeh server, 'next cadence' "
          "button, same kind of files)")
    head = (f"{'file':9} | {'':10} | {'first view s':>12} {'loaded MB':>9} {'step ms':>8} "
            f"{'+curve ms':>9} {'bytes/step':>10} {'RSS MB':>6}")
    print(head)
    print("-" * len(head))
    for r in results:
        loads, k = r["loads"], r["keys"]
        warm = [v["heatmap"] for v in loads[1:]] or [loads[0]["heatmap"]]
        both = max(pct(k["paint"], 50), pct(k["cursor"], 50))
        print(f"{r['label']:9} | {'dashboard':10} | {statistics.median(warm):12.2f} "
              f"{statistics.median(v['bytes'] for v in loads) / 1e6:9.2f} "
              f"{pct(k['paint'], 50):8.1f} {both:9.1f} "
              f"{k['step_transfer'] / 1024:7.1f} KB {r['rss']:6.0f}")
        ref = LIGHTKURVE.get(r["label"])
        if ref:
            print(f"{'':9} | {'lightkurve':10} | {ref[0]:>12} {ref[1]:>9} {ref[2]:>8} "
                  f"{ref[3]:>9} {ref[4]:>10} {ref[5]:>6}")
    print("  dashboard bytes/step = one step response as transferred (compressed, headers "
          "included); +curve = "
          "slower of heatmap paint and cursor paint.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", default="tess,k2",
                        help="comma-separated: tess, k2, kepler10 (shared data), demo "
                             "(default tess,k2)")
    parser.add_argument("--presses", type=int, default=50, help="ArrowRight presses (50)")
    parser.add_argument("--spacing", type=float, default=0.25, help="seconds between presses")
    parser.add_argument("--play-seconds", type=float, default=5.0, help="playback time (5)")
    parser.add_argument("--fps", type=int, default=30, choices=[2, 5, 10, 24, 30],
                        help="playback speed (30)")
    parser.add_argument("--loads", type=int, default=3, help="page loads per file (3)")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for a view")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help=f"where synthetic files are written and reused ({DEFAULT_DATA})")
    parser.add_argument("--headed", action="store_true", help="show the browser window")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    files = bench_files([k.strip() for k in args.files.split(",") if k.strip()], args.data)
    results = []
    with tempfile.TemporaryDirectory(prefix="tpf-bench-browser-") as tmp, \
            sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                     headless=not args.headed)
        try:
            for label, path in files:
                print(f"# {label}: {path or 'built-in demo'}", file=sys.stderr, flush=True)
                workdir = Path(tmp) / label
                workdir.mkdir()
                results.append(run_file(browser, label, path, args, workdir))
        finally:
            browser.close()
    print_tables(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
