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
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from step_browser_measure import run_file  # noqa: E402  (bench/step_browser_measure.py)
from step_browser_report import print_tables  # noqa: E402  (bench/step_browser_report.py)
from step_server import bench_files  # noqa: E402  (the same files, chosen the same way)

DEFAULT_DATA = Path(tempfile.gettempdir()) / "tpf-dashboard-bench"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


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
