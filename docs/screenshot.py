"""Regenerate docs/screenshot.png: the dashboard on its simulated demo, as a user sees it.

Starts ``python -m dashboard`` (the demo, loopback, a fresh cache), opens it at 1400x900 in
Debian's Chromium with Playwright, goes to the asteroid's crossing from a link (frame 630, the
centroid panels on, the Diagnostics tab open) and saves the window::

    python docs/screenshot.py                 # writes docs/screenshot.png
    python docs/screenshot.py --frame 1234 --out /tmp/cosmic-ray.png
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frame", type=int, default=630, help="frame to show (630)")
    parser.add_argument("--tab", default="diagnostics", help="tool tab to open")
    parser.add_argument("--size", default="1400x900", help="window size (1400x900)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))

    import requests
    from playwright.sync_api import sync_playwright

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="tpf-screenshot-") as tmp:
        env = dict(os.environ, TPF_DASHBOARD_CACHE=tmp)
        server = subprocess.Popen([sys.executable, "-m", "dashboard", "--port", str(port)],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    if requests.get(url + "/health", timeout=1).ok:
                        break
                except requests.ConnectionError:
                    time.sleep(0.1)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
                    "--disable-background-networking", "--no-first-run"])
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(f"{url}/?frame={args.frame}&panels=centroids")
                page.wait_for_function(f"() => window.tpf && window.tpf.frames.painted() === "
                                       f"{args.frame}", timeout=60_000)
                page.click(f"#tab-{args.tab}")
                page.wait_for_function("() => !document.getElementById('diagnostics-wrap')"
                                       ".hidden", timeout=30_000)
                page.mouse.move(5, 5)
                page.wait_for_timeout(1500)  # Plotly's heatmap catches up; panels settle
                page.screenshot(path=str(args.out))
                browser.close()
        finally:
            server.terminate()
            server.wait(10)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
