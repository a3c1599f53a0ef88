"""Where Dash's renderer spends a page load: the main thread's busy time and the part of it
under react-redux's ``notify`` (each update of Dash's store runs every mounted component's
selector again), for this checkout's dashboard and another checkout's, loads alternating.

Both serve ``python -m dashboard FILE`` with Dash's unminified renderer
(``DASH_SERVE_DEV_BUNDLES=true``; ``--minified`` for the one served to users: ``notify`` keeps
its name there too). Each load is a reload of a page already opened once (scripts cached),
profiled (V8 CPU profile) from navigation until ``--after-ms`` (1.5 s) after the light curve is
drawn. A CPU profile's time under one function is far steadier here than a first view's
duration. Numbers only: nothing passes or fails.

    git worktree add /tmp/base main
    python bench/renderer_profile.py --compare /tmp/base --loads 6 --minified
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from first_view import CHROMIUM, CHROMIUM_ARGS, DEFAULT_DATA, profile_ms  # noqa: E402
from step_browser_setup import ROOT, Server  # noqa: E402
from step_server_app import bench_files  # noqa: E402

DRAWN = "#lightcurve .gl-canvas"


def profile_load(page, url: str, after_ms: int) -> dict:
    """(ms under react-redux's notifyNestedSubs, ms busy) of one load of ``url``."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 100})
    cdp.send("Profiler.start")
    page.goto(url)
    page.wait_for_selector(DRAWN, state="attached", timeout=60_000)
    page.wait_for_timeout(after_ms)  # the callbacks the page fires as it opens
    profile = cdp.send("Profiler.stop")["profile"]
    cdp.detach()
    return {"notify": profile_ms(profile, "notifyNestedSubs"), "busy": profile_ms(profile)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare", type=Path, required=True, help="another checkout")
    parser.add_argument("--files", default="tess", help="one file key (tess)")
    parser.add_argument("--loads", type=int, default=6, help="profiled loads of each (6)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--after-ms", type=int, default=1500,
                        help="profile this long after the curve is drawn (1500; 0: until the "
                             "first view)")
    parser.add_argument("--minified", action="store_true",
                        help="Dash's minified renderer, as served (react-redux's notify "
                             "keeps its name there)")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    # The servers inherit it.
    os.environ["DASH_SERVE_DEV_BUNDLES"] = "false" if args.minified else "true"
    _, path = bench_files([args.files], args.data)[0]
    roots = {"this": ROOT, "other": args.compare.resolve()}
    print(f"load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        servers = {}
        try:
            for name, root in roots.items():
                (Path(tmp) / name).mkdir()
                servers[name] = Server(path, Path(tmp) / name, root)
            rows = {name: [] for name in roots}
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                pages = {}
                for name in roots:  # opened once: scripts cached, the server's results made
                    context = browser.new_context(viewport={"width": 1400, "height": 900})
                    pages[name] = context.new_page()
                    pages[name].goto(servers[name].url)
                    pages[name].wait_for_selector(DRAWN, state="attached", timeout=60_000)
                for round_ in range(args.loads):
                    for name in list(roots) if round_ % 2 == 0 else list(roots)[::-1]:
                        rows[name].append(profile_load(pages[name], servers[name].url,
                                                       args.after_ms))
                browser.close()
        finally:
            for server in servers.values():
                server.stop()
    kind = "minified" if args.minified else "unminified"
    print(f"{args.files}: {args.loads} profiled loads of each, Dash's {kind} renderer")
    for name, loads in rows.items():
        notify = [r["notify"] for r in loads]
        busy = [r["busy"] for r in loads]
        print(f"  {name:5s} under notify p50 {statistics.median(notify):4.0f} ms, main thread "
              f"busy p50 {statistics.median(busy):5.0f} ms (notify each: "
              f"{', '.join(f'{v:.0f}' for v in notify)})  {roots[name]}")
    print(f"load average after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
