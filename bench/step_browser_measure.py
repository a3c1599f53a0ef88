"""The measurements of ``step_browser.py`` on one file: first view, key presses timed to the
painted frame (each checked against the file), playback, and the same presses with the
difference image on.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

from step_browser_js import FIRST_VIEW_JS, INSTRUMENT_JS, PLAY_JS, STATE_JS
from step_browser_setup import FileInfo, Network, Server


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
                       p => p.t >= window.__bench.key
                            && (key === null || p.key === key || p.key === null)
                            && p.paint !== null)""",
                arg=[n_plots, None if difference else info.keys[frame]], timeout=5000)
            b = page.evaluate("""([n, m, key]) => {
                const B = window.__bench;
                // Only a paint after this keydown: a repaint of the last frame (a batch or
                // Plotly's sync arriving) can fall between reading n and the press.
                const p = B.plots.slice(n).find(
                    p => p.t >= B.key && (key === null || p.key === key || p.key === null)
                         && p.paint !== null);
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
        if page.locator("#tab-image").count():  # the image controls are in a tool tab
            page.click("#tab-image")
        page.click("#image-mode input[value=difference]")
        page.evaluate("document.activeElement.blur()")  # arrows would move the radio choice
        page.wait_for_function("() => window.tpf.frames.painted() !== null", timeout=10_000)
        page.wait_for_timeout(500)
        difference = key_presses(page, net, info, args.presses, args.spacing, difference=True)
        context.close()
        rss = server.rss_mb()
    finally:
        server.stop()
    return {"label": label, "stamp": f"{info.rows}x{info.cols}", "cadences": info.n,
            "startup": server.startup, "loads": loads, "keys": keys, "play": play, "rss": rss,
            "difference": difference}
