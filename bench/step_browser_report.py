"""The tables ``step_browser.py`` prints: first view and key press to painted frame, the same
with the difference image on, playback, and ours beside lightkurve ``interact()``'s numbers from
the field notes.
"""

from __future__ import annotations

import statistics

import numpy as np
from step_server_report import heading

# lightkurve 2.6.0 interact() (Bokeh 3.9.2), from /work/shared/notes/field-notes.md:
# first view s, loaded MB, step to repainted image ms, with light-curve redraw ms,
# bytes per step, server RSS MB.
LIGHTKURVE = {
    "tess": ("1.46", "4.8", "50", "90", "1.2 KB", "323"),
    "k2": ("1.1-1.4", "4.1", "78", "89", "10.7 KB", "452"),
    "kepler10": ("1.0-1.2", "3.9", "37", "47", "1.0 KB", "253"),
}


def pct(values, q):
    return float(np.percentile(values, q)) if values else float("nan")


def print_tables(results: list[dict], args) -> None:
    print(f"\nFirst view ({args.loads} load(s), fresh browser context each; the first finds the "
          "server's derived cache cold) and key press to painted frame "
          f"({args.presses} ArrowRight presses, {args.spacing * 1e3:.0f} ms apart)")
    head = (f"{'file':9} {'stamp':>6} {'cadences':>8} | {'view s':>6} {'warm':>5} {'both':>5} "
            f"{'loaded MB':>9} | {'paint p50':>9} {'p90':>6} {'cursor p50':>10} | "
            f"{'step B':>7} {'wire':>6} {'up':>5} | {'views agree':>11} | {'RSS MB':>6}")
    heading(head)
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
    heading(head)
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
    heading(head)
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
