"""How long the blip report takes: ``find_blips`` over a whole file and ``explain`` of one cadence.

    python bench/blips.py                 # tess (11x11 x 20,000) and k2 (50x50 x 4,000)
    python bench/blips.py --files demo --repeats 3

The files are bench/synthetic.py's (written once into --data, default
$TMPDIR/tpf-dashboard-bench) and the simulated demo. For each it prints the median and the
slowest of ``--repeats`` runs: find_blips with every event explained (the default), find_blips
without explaining (the light-curve search alone), and explain of single cadences spread over the
file (one cadence is what the page asks for each time stepping pauses). Numbers only; nothing
passes or fails.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import synthetic  # noqa: E402
from dashboard.data import open_tpf  # noqa: E402
from dashboard.data.blips import explain, find_blips  # noqa: E402
from dashboard.data.demo import demo_tpf  # noqa: E402


def _timed(function, repeats: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return times, result


def _line(label: str, times: list[float], extra: str = "") -> str:
    return (f"  {label:34} median {statistics.median(times) * 1000:8.1f} ms   "
            f"max {max(times) * 1000:8.1f} ms   ({len(times)} runs){extra}")


def bench(name: str, tpf, repeats: int, cadences: int) -> None:
    print(f"{name}: {tpf.shape[0]}x{tpf.shape[1]} x {tpf.n_cadences:,} cadences")
    times, events = _timed(lambda: find_blips(tpf), repeats)
    kinds = ", ".join(f"{e.kind}" for e in events[:5])
    print(_line("find_blips (events explained)", times,
                f"   {len(events)} events; first: {kinds}"))
    times, _ = _timed(lambda: find_blips(tpf, explain_events=False), repeats)
    print(_line("find_blips (search only)", times))
    step = max(tpf.n_cadences // cadences, 1)
    frames = list(range(step // 2, tpf.n_cadences, step))[:cadences]
    each = []
    for frame in frames:
        single, _ = _timed(lambda f=frame: explain(tpf, f), repeats)
        each += single
    print(_line(f"explain, one cadence ({len(frames)} frames)", each))
    times, _ = _timed(lambda: explain(tpf, frames[0], last=frames[0] + 9), repeats)
    print(_line("explain, 10-frame range", times))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", default="tess,k2", help="comma-separated: tess, k2, demo")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cadences", type=int, default=20,
                        help="single cadences to explain per file (each repeated)")
    parser.add_argument("--data", default=os.path.join(tempfile.gettempdir(),
                                                       "tpf-dashboard-bench"))
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for key in args.files.split(","):
        if key == "demo":
            bench("demo", demo_tpf(), args.repeats, args.cadences)
            continue
        path = synthetic.write(args.data, [key])[key]
        start = time.perf_counter()
        tpf = open_tpf(path)
        print(f"(opened {path.name} in {time.perf_counter() - start:.1f} s)")
        bench(key, tpf, args.repeats, args.cadences)
    return 0


if __name__ == "__main__":
    sys.exit(main())
