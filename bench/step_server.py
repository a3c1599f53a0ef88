"""Server cost of a cadence step, measured over HTTP against the app running in-process.

For each benchmark file the dashboard is built with ``create_app`` and served by werkzeug
(threaded, as ``python -m dashboard`` serves it) on a free loopback port, in a background
thread. Before it serves, a no-op callback is added to the same app (a hidden
``bench-noop-in`` / ``bench-noop-out`` pair) so the fixed cost of Dash's callback machinery can
be told apart from the step's own work. A ``Server-Timing: app;dur=<ms>`` header is added by
Flask request hooks (request parsing, callback, serialisation; not the socket I/O).

A ``requests.Session`` then POSTs to ``/_dash-update-component`` the payload the renderer
sends: the callback's ``output`` string and ``outputs`` list come from ``/_dash-dependencies``,
State values from ``/_dash-layout``. Measured, after a warm-up:

* the first load, ``/_dash-layout`` (the page arrives with its figures drawn): the cold first
  request and the warm median, with its size;
* the frame batches the browser's painter steps through (``/frames/<file id>``, the URL the page's
  ``frame-source`` store names): per batch and per frame, in flux and in difference mode;
* the sync callback (``frame-sync.data`` -> ``pixels.figure``: a Patch bringing Plotly's heatmap
  to the painted frame once stepping pauses) over N consecutive frames;
* the no-op callback, N times.

Each measurement is repeated (``--repeats``) and the median of the runs is printed. Numbers
only: nothing here passes or fails.

    python bench/step_server.py                    # both synthetic files, N=500, 3 runs
    python bench/step_server.py -n 50 --repeats 1  # a quick smoke run
    python bench/step_server.py --files tess,k2,kepler10,demo
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from step_server_app import bench_files  # noqa: E402  (bench/step_server_app.py)
from step_server_measure import measure_file  # noqa: E402  (bench/step_server_measure.py)
from step_server_report import print_tables  # noqa: E402  (bench/step_server_report.py)

DEFAULT_DATA = Path(tempfile.gettempdir()) / "tpf-dashboard-bench"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--steps", type=int, default=500,
                        help="requests per measurement (default 500)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per file (default 3)")
    parser.add_argument("--warmup", type=int, default=50, help="warm-up requests (default 50)")
    parser.add_argument("--files", default="tess,k2",
                        help="comma-separated: tess, k2, kepler10 (shared data), demo "
                             "(default tess,k2)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help=f"where synthetic files are written and reused ({DEFAULT_DATA})")
    args = parser.parse_args(argv)

    import logging
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    files = bench_files([k.strip() for k in args.files.split(",") if k.strip()], args.data)
    results = []
    with tempfile.TemporaryDirectory(prefix="tpf-bench-cache-") as cache_root:
        for label, path in files:
            print(f"# {label}: {path or 'built-in demo'}", file=sys.stderr, flush=True)
            results.append(measure_file(label, path, args.steps, args.repeats, args.warmup,
                                        Path(cache_root)))
    print_tables(results, args.steps, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
