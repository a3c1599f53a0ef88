"""The load tool's figures: percentiles per phase and request kind, memory drift, and the
printed report."""

from __future__ import annotations

import os

import numpy as np
from load_users import Phase


def stats(values) -> dict:
    if not len(values):
        return {"n": 0, "p50": float("nan"), "p90": float("nan"), "p99": float("nan"),
                "max": float("nan"), "mean": float("nan")}
    a = np.asarray(values)
    return {"n": int(a.size), "p50": float(np.percentile(a, 50)),
            "p90": float(np.percentile(a, 90)), "p99": float(np.percentile(a, 99)),
            "max": float(a.max()), "mean": float(a.mean())}


def phase_summary(phase: Phase, lag: list[float]) -> dict:
    seconds = phase.end - phase.start
    all_ms = [ms for _, ms in phase.steps]
    kinds = sorted({kind for kind, _ in phase.requests})
    return {
        "phase": phase.name, "seconds": round(seconds, 2),
        "steps": len(all_ms), "steps_per_s": len(all_ms) / seconds if seconds else 0.0,
        "errors": sum(phase.errors.values()), "error_kinds": phase.errors,
        "error_examples": phase.error_examples,
        "step_ms": stats(all_ms),
        "click_ms": stats([ms for kind, ms in phase.steps if kind == "click"]),
        "requests": len(phase.requests),
        "requests_per_s": len(phase.requests) / seconds if seconds else 0.0,
        "request_ms": {kind: stats([ms for k, ms in phase.requests if k == kind])
                       for kind in kinds},
        "late_ticks": phase.late, "ticks": phase.ticks,
        "loop_lag_ms": stats(lag),
        # --dynos: each instance's share (its users' steps), when there are several.
        "dynos": {str(i): {"steps": len(ms), "steps_per_s": len(ms) / seconds if seconds
                           else 0.0, "step_ms": stats(ms)}
                  for i, ms in sorted(phase.by_dyno.items())} if len(phase.by_dyno) > 1
        else {},
    }


def print_report(result: dict, args, setup: dict) -> None:
    print(f"\n{setup['server']}")
    print(f"file: {setup['file']}  ({setup['n_frames']} cadences); users: {args.users}, "
          f"rate: {'closed loop (as fast as possible)' if args.rate == 0 else f'{args.rate:g} Hz'}"
          f" each, light-curve click every ~{args.click_every:g} s per user; "
          f"{args.duration:g} s measured per phase after {args.warmup:g} s warm-up")
    print(f"step model: {setup['model']}")
    print(f"cores: {os.cpu_count()} shared by the server and this load generator (one asyncio "
          f"thread, {result['client_cpu_percent']:.0f}% of a core)")
    pl = result["page_load_ms"]
    print(f"page loads (GET /, /_dash-layout, /_dash-dependencies): {pl['n']} in "
          f"{result['page_load_seconds']:.1f} s, p50 {pl['p50']:.0f} ms, p99 {pl['p99']:.0f} ms; "
          f"errors {sum(result['page_load_errors'].values())}")
    head = (f"{'phase':16} {'steps':>7} {'steps/s':>8} {'p50 ms':>7} {'p90 ms':>7} "
            f"{'p99 ms':>7} {'max ms':>7} {'clicks':>6} {'click p99':>9} {'errors':>6} "
            f"{'late':>6} {'lag p99':>7}")
    print("\n" + head)
    print("-" * len(head))
    for p in result["phases"]:
        s, c = p["step_ms"], p["click_ms"]
        print(f"{p['phase']:16} {p['steps']:7d} {p['steps_per_s']:8.1f} {s['p50']:7.2f} "
              f"{s['p90']:7.2f} {s['p99']:7.2f} {s['max']:7.1f} {c['n']:6d} {c['p99']:9.2f} "
              f"{p['errors']:6d} {p['late_ticks']:6d} {p['loop_lag_ms']['p99']:7.2f}")
        for example in p["error_examples"]:
            print(f"    error {example}")
        for index, d in p.get("dynos", {}).items():
            s = d["step_ms"]
            print(f"  dyno {index:10} {d['steps']:7d} {d['steps_per_s']:8.1f} {s['p50']:7.2f} "
                  f"{s['p90']:7.2f} {s['p99']:7.2f} {s['max']:7.1f}")
    print("  steps/s = completed steps / measured seconds; p50..max = how long each step "
          "(clicks included) waited for its frame: its request's round trip, or 0 when the "
          "browser model held the frame; late = ticks at which a user's previous step had not "
          "returned for over a tick; lag = the load generator's own event-loop delay.")
    print(f"\n{'phase':16} {'request':8} {'count':>7} {'per s':>7} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'max ms':>7}")
    for p in result["phases"]:
        for kind, r in p["request_ms"].items():
            print(f"{p['phase']:16} {kind:8} {r['n']:7d} {r['n'] / p['seconds']:7.1f} "
                  f"{r['p50']:7.2f} {r['p99']:7.2f} {r['max']:7.1f}")
    print("\nworkers (psutil; before = after the page loads, just before stepping):")
    idle = {m["pid"]: m["rss_mb"] for m in result["memory_idle"]}
    before = {m["pid"]: m for m in result["memory_before"]}
    for m in result["memory_after"]:
        b = before.get(m["pid"])
        cpu = result["worker_cpu_percent"].get(str(m["pid"]), 0.0)
        was = (f"RSS {b['rss_mb']:6.1f} MB -> {m['rss_mb']:6.1f} MB "
               f"({100 * (m['rss_mb'] - b['rss_mb']) / b['rss_mb']:+.1f}%), "
               f"USS {b['uss_mb']:6.1f} -> {m['uss_mb']:6.1f} MB") if b else \
            f"RSS {m['rss_mb']:6.1f} MB (new worker: it was restarted)"
        started = f"idle {idle[m['pid']]:.1f} MB, " if m["pid"] in idle else ""
        print(f"  pid {m['pid']}: {started}{was}; CPU {cpu:.0f}% of a core")
    if result["searches"]:
        done = [s for s in result["searches"] if s["outcome"] != "stopped"]
        outcomes: dict = {}
        for s in result["searches"]:
            outcomes[s["outcome"]] = outcomes.get(s["outcome"], 0) + 1
        median = np.median([s["seconds"] for s in done]) if done else float("nan")
        print(f"\narchive searches ({args.archive}, {args.archive_delay:g} s per MAST answer): "
              f"{len(done)} finished, median {median:.1f} s each ('stopped' = cut off by the "
              "end of the run)")
        for outcome, n in sorted(outcomes.items(), key=lambda kv: -kv[1]):
            print(f"  {n} x {outcome[:150]}")
    if args.soak or len(result["samples"]) > 3:
        print_samples(result["samples"])


def drift(samples: list[dict]) -> dict:
    """Per worker pid: first and last RSS in the run and the change, and the largest RSS."""
    by_pid: dict = {}
    for sample in samples:
        for m in sample["workers"]:
            by_pid.setdefault(m["pid"], []).append(m["rss_mb"])
    return {str(pid): {"first_mb": v[0], "last_mb": v[-1], "max_mb": max(v),
                       "drift_percent": 100 * (v[-1] - v[0]) / v[0]}
            for pid, v in by_pid.items() if v}


def print_samples(samples: list[dict]) -> None:
    pids = sorted({m["pid"] for s in samples for m in s["workers"]})
    print("\nworker RSS over the run (MB):")
    print(f"{'phase':16} {'t s':>7} " + " ".join(f"{'pid ' + str(p):>12}" for p in pids))
    for s in samples:
        row = {m["pid"]: m["rss_mb"] for m in s["workers"]}
        print(f"{s['phase']:16} {s['t']:7.1f} "
              + " ".join(f"{row.get(p, float('nan')):12.1f}" for p in pids))
    for pid, d in drift(samples).items():
        print(f"  pid {pid}: {d['first_mb']:.1f} -> {d['last_mb']:.1f} MB, drift "
              f"{d['drift_percent']:+.1f}% (max {d['max_mb']:.1f} MB)")
