"""Many users at once: N simulated users stepping through cadences against gunicorn.

The dashboard is started the way the ``Procfile`` starts it (``gunicorn dashboard.app:server``,
its own options, ``--workers`` of them) but bound to a free port on 127.0.0.1, with
``TPF_DASHBOARD_CACHE`` in a temporary folder and ``TPF_DASHBOARD_FILE`` the chosen file; or,
with ``--url``, an already running dashboard on a loopback address is used (any other address
is refused). Each simulated user

1. loads the page once: ``GET /``, ``/_dash-layout`` and ``/_dash-dependencies`` (timed apart
   from the steps), then
2. steps: POSTs the cadence -> pixels callback (``cadence.value`` -> ``pixels.figure``, the
   renderer's own payload, built by ``bench/dash_client.py``) for the next cadence, ``--rate``
   times a second, with at most one step of its own in flight, like a browser playing; and now
   and then (``--click-every`` seconds on average) clicks a point of the light curve. That click
   is handled in the browser (``lightcurve.clickData`` feeds the clientside ``tpf.step``, found
   in ``/_dash-dependencies``), so on the wire it is a step to a far, random cadence.

``--rate 0`` is the closed loop: every user sends its next step as soon as the last one returns,
to find the ceiling in steps/s. Every response is checked (HTTP 200, a pixels patch, the frame
asked for); anything else counts as an error. The summary gives throughput, step latency
percentiles (round trip: connect, send, server, receive, decompress), errors, CPU used by the
workers and by this client, and each worker's RSS/USS before and after (psutil, gunicorn's
children). The load generator is one asyncio thread sharing the machine's cores with the
server; its own event-loop lag is reported so its share of a latency can be judged.

``--soak`` runs 10 minutes (unless ``--duration`` says otherwise), sampling the workers' memory
every ``--rss-every`` seconds and printing the drift. ``--archive slow|failing`` adds
``--archive-users`` users who keep searching the archive (a background callback, polled every
250 ms as the renderer does) against a MAST stand-in on 127.0.0.1 (``bench/slow_mast.py``) that
answers each request after ``--archive-delay`` seconds, or with HTTP 503: the steps are
measured first with the archive idle, then while it is slow or failing, and both are printed.

    python bench/load.py --users 10 --rate 5 --duration 60
    python bench/load.py --users 50 --rate 5 --duration 60
    python bench/load.py --users 8 --rate 0 --duration 30          # ceiling
    python bench/load.py --users 50 --rate 5 --soak                # 10 minutes
    python bench/load.py --users 10 --archive slow --duration 60   # 2 x 60 s
    python bench/load.py --users 20 --dynos 2 --workers 1 --file tess  # two instances

``--dynos N`` starts N instances that share no disk, only a Redis and an S3-compatible object
store (``load_dynos.py``: ``redis-server`` and ``moto_server`` on 127.0.0.1): the file is
uploaded on the first and stepped through on all of them, user i on instance i % N (as a load
balancer with sticky sessions spreads them); each instance's share is reported too.

The last line of the output is ``SUMMARY {json}`` (also written to ``--json FILE``).

This file runs the phases and the command line; the users are in ``load_users.py``, their HTTP
client in ``load_http.py``, gunicorn and worker memory in ``load_server.py``, the dynos in
``load_dynos.py``, the figures and the printed report in ``load_report.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dash_client import (  # noqa: E402  (bench/dash_client.py)
    Callback,
    callbacks_with_input,
    find_callback,
    layout_props,
)
from load_dynos import Dynos, upload_and_spread  # noqa: E402
from load_http import Connection  # noqa: E402
from load_report import drift, phase_summary, print_report, stats  # noqa: E402
from load_server import (  # noqa: E402
    Gunicorn,
    check_loopback,
    master_for_port,
    memory_of,
    resolve_file,
)
from load_users import Load, Phase  # noqa: E402

DEFAULT_DATA = Path(tempfile.gettempdir()) / "tpf-dashboard-bench"


# -- running ---------------------------------------------------------------------------------
async def drive(load: Load, args, masters: list[int | None]) -> dict:
    t_begin = time.perf_counter()
    memory_idle = memory_of(masters)
    conns = [Connection(*load.target(i), args.timeout) for i in range(args.users)]
    # 1. every user loads the page (a few at a time, as people arrive)
    gate = asyncio.Semaphore(8)

    async def arrive(conn):
        async with gate:
            await load.page_load(conn)
            await conn.close()
    await asyncio.gather(*(arrive(c) for c in conns))
    page_seconds = time.perf_counter() - t_begin

    memory_before = memory_of(masters)
    cpu_before = {m["pid"]: m["cpu_s"] for m in memory_before}
    client_before = resource.getrusage(resource.RUSAGE_SELF)
    load.archive_active = False
    monitor = asyncio.ensure_future(load.lag_monitor())
    t0 = time.perf_counter()
    users = [asyncio.ensure_future(load.user(i, t0)) for i in range(args.users)]
    archive_users = [asyncio.ensure_future(load.archive_user(i))
                     for i in range(args.archive_users if args.archive != "none" else 0)]

    # 2. warm-up (not recorded): each worker's lazy per-file work lands here
    await asyncio.sleep(args.warmup)
    phases, samples = [], []
    names = ["archive idle", f"archive {args.archive}"] if args.archive != "none" else ["steps"]
    lag_by_phase = []
    for name in names:
        phase = Phase(name)
        if name.startswith("archive ") and name != "archive idle":
            load.archive_active = True
            await asyncio.sleep(args.warmup)  # the first searches are under way when it starts
        load.lag = []
        load.phase, load.recording = phase, True
        phase.start = time.perf_counter()
        next_sample = phase.start
        while True:
            now = time.perf_counter()
            if now >= next_sample:  # read in a thread: /proc/<pid>/smaps takes a while
                workers = await asyncio.get_running_loop().run_in_executor(None, memory_of,
                                                                                   masters)
                samples.append({"t": round(now - phase.start, 1), "phase": name,
                                "workers": workers})
                next_sample += args.rss_every
            remaining = phase.start + args.duration - now
            if remaining <= 0:
                break
            await asyncio.sleep(min(remaining, max(0.0, next_sample - now), 1.0))
        phase.end = time.perf_counter()
        # Steps started before the end are waited for and kept; later ones are not recorded.
        load.phase = Phase("after")
        phases.append(phase)
        lag_by_phase.append(load.lag)
    load.recording = False
    load.archive_active = False
    load.stopping = True
    await asyncio.gather(*users, *archive_users, return_exceptions=True)
    await asyncio.gather(*list(load.tasks), return_exceptions=True)
    monitor.cancel()
    client_after = resource.getrusage(resource.RUSAGE_SELF)
    memory_after = memory_of(masters)
    samples.append({"t": round(time.perf_counter() - phases[-1].start, 1), "phase": "end",
                    "workers": memory_after})
    measured = sum(p.end - p.start for p in phases)
    client_cpu = (client_after.ru_utime + client_after.ru_stime
                  - client_before.ru_utime - client_before.ru_stime)
    worker_cpu = {m["pid"]: m["cpu_s"] - cpu_before.get(m["pid"], 0.0) for m in memory_after}
    wall = time.perf_counter() - t0
    return {
        "phases": [phase_summary(p, lag) for p, lag in zip(phases, lag_by_phase, strict=True)],
        "page_load_ms": stats(load.page_loads), "page_load_errors": load.page_errors,
        "page_load_seconds": round(page_seconds, 2),
        "memory_idle": memory_idle, "memory_before": memory_before,
        "memory_after": memory_after, "samples": samples,
        "client_cpu_percent": 100 * client_cpu / wall if wall else 0.0,
        "worker_cpu_percent": {str(pid): 100 * s / wall for pid, s in worker_cpu.items()},
        "measured_seconds": round(measured, 1),
        "searches": load.searches,
    }


def templates_from(url: str) -> dict:
    """What the users send, from the page itself: the per-frame callback (the renderer's
    payload), the number of frames, the frame painter's batch source if the page has one, the
    light-curve click's route and the archive search callback."""
    import requests

    s = requests.Session()
    deps = s.get(url + "/_dash-dependencies", timeout=60).json()
    props = layout_props(s.get(url + "/_dash-layout", timeout=60).json())
    n_frames = int(props["cadence"]["max"]) + 1
    view = (props.get("view") or {}).get("data") or {}
    out = {"n_frames": n_frames, "file": (view.get("state") or {}).get("file")}
    with contextlib.suppress(SystemExit):
        out["step"] = Callback(find_callback(deps, "frame-sync.data", "pixels.figure"), props)
        out["step_input"] = "frame-sync.data"
    if "step" not in out or not out["file"]:
        raise SystemExit("no frame-sync.data -> pixels.figure callback or no view store in "
                         "the page: update bench/load.py")
    source = (props.get("frame-source") or {}).get("data")
    if isinstance(source, dict) and source.get("url") and source.get("batch"):
        first = requests.get(f"{url}/{source['url'].lstrip('/')}&start=0&count="
                             f"{source['batch']}", timeout=60)
        first.raise_for_status()
        (length,) = struct.unpack_from("<I", first.content)
        rows, cols = json.loads(first.content[4:4 + length])["shape"]
        out["source"] = dict(source, pixels=rows * cols)
    if callbacks_with_input(deps, "lightcurve.clickData"):
        raise SystemExit("a callback now takes lightcurve.clickData: clicks cost requests "
                         "again; update bench/load.py's click model")
    with contextlib.suppress(SystemExit):
        out["search"] = Callback(find_callback(deps, "search.n_clicks"), props)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running dashboard on a loopback address (default: "
                                      "start gunicorn)")
    parser.add_argument("--pid", type=int, help="with --url: the server's (gunicorn master's) "
                                                "pid for memory figures (default: found by port)")
    parser.add_argument("--file", default="demo",
                        help="demo (default), tess, k2 (bench/synthetic.py) or a TPF path")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help=f"folder of the synthetic files ({DEFAULT_DATA})")
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--rate", type=float, default=5.0,
                        help="steps per second per user; 0 = as fast as possible (default 5)")
    parser.add_argument("--duration", type=float, help="seconds measured per phase "
                                                        "(default 60; 600 with --soak)")
    parser.add_argument("--warmup", type=float, default=2.0,
                        help="seconds of unrecorded stepping first (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2; "
                                                               "per instance with --dynos)")
    parser.add_argument("--dynos", type=int, default=1,
                        help="instances sharing no disk, only Redis and an object store "
                             "(load_dynos.py); default 1: one gunicorn, no services")
    parser.add_argument("--model", choices=("auto", "callback", "browser"), default="auto",
                        help="what a step costs: callback = one POST per step; browser = "
                             "batches as assets/frames.js fetches them; auto = browser when "
                             "the page has a frame painter (default)")
    parser.add_argument("--click-every", type=float, default=10.0,
                        help="mean seconds between a user's light-curve clicks (0: none; "
                             "default 10)")
    parser.add_argument("--soak", action="store_true",
                        help="10 minutes, memory sampled every --rss-every seconds")
    parser.add_argument("--rss-every", type=float, default=None,
                        help="seconds between memory samples (default 30 with --soak, else the "
                             "phase length)")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds before a request counts as failed (default 10)")
    parser.add_argument("--archive", choices=("none", "slow", "failing"), default="none",
                        help="also measure the steps while users search a slow or failing "
                             "archive (a MAST stand-in on 127.0.0.1)")
    parser.add_argument("--archive-users", type=int, default=2,
                        help="users searching the archive (default 2)")
    parser.add_argument("--archive-delay", type=float, default=None,
                        help="seconds the stand-in waits before each answer (default 5 slow, "
                             "1 failing)")
    parser.add_argument("--json", type=Path, help="also write the summary here")
    args = parser.parse_args(argv)
    if args.duration is None:
        args.duration = 600.0 if args.soak else 60.0
    if args.rss_every is None:
        args.rss_every = 30.0 if args.soak else args.duration
    if args.archive_delay is None:
        args.archive_delay = 5.0 if args.archive == "slow" else 1.0
    if args.users < 1 or args.duration <= 0 or args.rate < 0:
        parser.error("need --users >= 1, --duration > 0 and --rate >= 0")
    if args.url and args.archive != "none":
        parser.error("--archive starts its own server (the archive URL is set at start)")
    if args.dynos < 1 or (args.dynos > 1 and (args.url or args.archive != "none")):
        parser.error("--dynos N (N >= 1) starts its own instances: not with --url or --archive")

    work = Path(tempfile.mkdtemp(prefix="tpf-load-"))
    server = fake = None
    try:
        if args.url:
            check_loopback(args.url)
            url = args.url.rstrip("/")
            masters = [args.pid or master_for_port(check_loopback(url)[1])]
            server_line = f"server: {url} (attached; pid {masters[0] or 'unknown'})"
            file_label = "as served"
        elif args.dynos > 1:
            source = resolve_file(args.file, args.data)
            server = Dynos(args.dynos, args.workers, work)
            urls, masters = server.urls, server.masters
            url = urls[0]
            server_line = (f"servers: {args.dynos} instances of python -m "
                           f"{' '.join(server.instances[0].command[:2])} ... --workers "
                           f"{args.workers}, each with its own TPF_DASHBOARD_CACHE, sharing "
                           f"redis-server and moto_server (masters {masters}, in {work})")
            file_label = args.file if source is None else str(source)
        else:
            source = resolve_file(args.file, args.data)
            extra = {}
            if args.archive != "none":
                fake = subprocess.Popen(
                    [sys.executable, str(Path(__file__).with_name("slow_mast.py")),
                     "--mode", args.archive, "--delay", str(args.archive_delay)],
                    cwd=ROOT, stdout=subprocess.PIPE, text=True)
                fake_url = fake.stdout.readline().strip()
                if not fake_url.startswith("http://127.0.0.1:"):
                    raise SystemExit(f"the MAST stand-in did not start: {fake_url!r}")
                extra = {"TPF_DASHBOARD_MAST_URL": fake_url,
                         "TPF_DASHBOARD_MAST_RESOLVER_URL": fake_url + "/resolver",
                         "TPF_DASHBOARD_ARCHIVE_TIMEOUT": str(max(30.0,
                                                                  4 * args.archive_delay))}
            server = Gunicorn(args.workers, source, work / "cache", work / "gunicorn.log", extra)
            server.wait_ready()
            url, masters = server.url, [server.pid]
            server_line = (f"server: python -m {' '.join(server.command)}  "
                           f"(master pid {masters[0]}, TPF_DASHBOARD_CACHE in {work})")
            file_label = args.file if source is None else str(source)
        templates = templates_from(url)
        spread = [url]
        if args.dynos > 1:
            spread = urls
            if source is None:
                print("# the demo: every instance opens it itself, so the object store is not "
                      "used; --file tess or k2 uploads a file on instance 0", file=sys.stderr)
            else:
                templates, lines = upload_and_spread(urls, source, templates)
                server_line += "\n" + "\n".join(lines)
        if args.archive != "none" and templates.get("search") is None:
            raise SystemExit("no archive search callback (search.n_clicks) on this page")
        model = args.model
        if model == "auto":
            model = "browser" if templates.get("source") else "callback"
        if model == "browser" and not templates.get("source"):
            raise SystemExit("--model browser: this page has no frame-source (no frame painter)")
        described = {
            "callback": f"callback: one POST of {templates['step_input']} -> pixels.figure "
                        "per step",
            "browser": "browser: frame batches as assets/frames.js fetches them "
                       f"({(templates.get('source') or {}).get('batch')} frames each), the "
                       "sync callback after a click"}[model]
        setup = {"server": server_line, "file": file_label, "n_frames": templates["n_frames"],
                 "model": described}
        print(f"# {server_line}", file=sys.stderr, flush=True)
        load = Load(spread, args, templates, model)
        result = asyncio.run(drive(load, args, masters))
        log_errors = None
        if server is not None:
            log = server.log_text()
            log_errors = sum(1 for line in log.splitlines()
                             if "Traceback" in line or "[ERROR]" in line or "[CRITICAL]" in line)
        print_report(result, args, setup)
        if log_errors is not None:
            print(f"\nserver log: {log_errors} error line(s)")
        first = result["phases"][0]
        summary = {
            "users": args.users, "rate": args.rate, "duration": args.duration, "model": model,
            "workers": args.workers if not args.url else None, "file": file_label,
            "dynos": args.dynos,
            "steps": sum(p["steps"] for p in result["phases"]),
            "steps_per_s": first["steps_per_s"], "p50_ms": first["step_ms"]["p50"],
            "p99_ms": first["step_ms"]["p99"], "requests_per_s": first["requests_per_s"],
            "errors": sum(p["errors"] for p in result["phases"])
            + sum(result["page_load_errors"].values()),
            "server_log_errors": log_errors,
            "phases": result["phases"], "page_load_ms": result["page_load_ms"],
            "memory_idle": result["memory_idle"], "memory_before": result["memory_before"],
            "memory_after": result["memory_after"],
            "rss_drift": drift(result["samples"]), "samples": result["samples"],
            "client_cpu_percent": result["client_cpu_percent"],
            "worker_cpu_percent": result["worker_cpu_percent"],
            "searches": result["searches"],
        }
        if args.json:
            args.json.write_text(json.dumps(summary, indent=1))
        print("SUMMARY " + json.dumps({k: v for k, v in summary.items()
                                       if k not in ("samples", "searches")}), flush=True)
        return 0
    finally:
        if server is not None:
            server.stop()
        if fake is not None:
            fake.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                fake.wait(10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
