"""Scale curves: first view, key press to painted frame, server memory and time to serve
against the number of cadences and the size of the stamp, in one run.

Two families of synthetic TESS-like files (bench/synthetic.py's ``tess-<R>x<C>-<N>``):

* cadences: 1,000, 5,000, 20,000, 50,000 and 120,000, each at 11 x 11 and 13 x 13;
* stamps: 10 x 10, 25 x 25, 50 x 50, 75 x 75 and 100 x 100, each with 3,500 cadences (a
  TESScut sector of 200-second images).

Each file is measured as bench/big_files.py measures one (``python -m dashboard FILE``: time
until it serves; cold and warm first view; ``--presses`` key presses to the painted frame;
every frame batch fetched; VmRSS then, beside 1.5 x the FLUX cube + 100 MiB). A table is
printed; ``--json`` keeps the numbers for ``bench/scale_plots.py``, which draws them beside
lightkurve's (docs/performance.md). Numbers only: nothing passes or fails. About 10 minutes.

    python bench/scale.py --json bench/results/scale.json
    python bench/scale.py --cadences 1000,20000 --stamps 10,50 --loads 2 --presses 10
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from big_files import CHROMIUM, CHROMIUM_ARGS, measure  # noqa: E402
from step_server_app import bench_files  # noqa: E402

DEFAULT_DATA = Path(tempfile.gettempdir()) / "tpf-dashboard-bench"
STAMP_CADENCES = 3_500


def keys(cadences: list[int], stamps: list[int]) -> list[tuple[str, str]]:
    """(family, file key) for every file of the run."""
    out = [("cadences", f"tess-{side}x{side}-{n}") for side in (11, 13) for n in cadences]
    out += [("stamp", f"tess-{side}x{side}-{STAMP_CADENCES}") for side in stamps]
    return out


def row(family: str, key: str, r: dict) -> dict:
    _, shape, n = key.split("-")
    paint = sorted(r.get("paint") or [float("nan")])
    return {"family": family, "key": key, "stamp": shape, "cadences": int(n),
            "pixels": int(shape.split("x")[0]) * int(shape.split("x")[1]),
            "startup_s": r["startup"], "cold_s": r["cold"], "warm_s": r["warm"],
            "paint_p50_ms": statistics.median(paint),
            "paint_p90_ms": paint[int(0.9 * (len(paint) - 1))],
            "agree": r.get("agree"), "presses": r.get("presses"),
            "rss_open_mib": r["rss_open"]["rss"], "rss_mib": r["rss_stepped"]["rss"],
            "anon_mib": r["rss_stepped"]["anon"],
            "flux_mib": r.get("flux_mib"), "budget_mib": 1.5 * r.get("flux_mib", 0) + 100,
            "loaded_mb": r["bytes"] / 2**20}


def print_table(rows: list[dict]) -> None:
    print(f"{'file':20} {'serve s':>7} {'cold s':>6} {'warm s':>6} {'p50 ms':>6} {'p90 ms':>6}"
          f" {'agree':>6} {'RSS MiB':>7} {'budget':>6} {'cube':>6} {'loaded MB':>9}")
    for r in rows:
        print(f"{r['key']:20} {r['startup_s']:7.2f} {r['cold_s']:6.2f} {r['warm_s']:6.2f} "
              f"{r['paint_p50_ms']:6.1f} {r['paint_p90_ms']:6.1f} "
              f"{r['agree']}/{r['presses']:<3} {r['rss_mib']:7.0f} {r['budget_mib']:6.0f} "
              f"{r['flux_mib'] or 0:6.1f} {r['loaded_mb']:9.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cadences", default="1000,5000,20000,50000,120000")
    parser.add_argument("--stamps", default="10,25,50,75,100")
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--presses", type=int, default=20)
    parser.add_argument("--spacing", type=float, default=0.25)
    parser.add_argument("--timeout", type=float, default=90)
    parser.add_argument("--json", type=Path, help="write the rows here (for scale_plots.py)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    plan = keys([int(v) for v in args.cadences.split(",") if v],
                [int(v) for v in args.stamps.split(",") if v])
    paths = dict(bench_files([k for _, k in plan], args.data))
    before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory(prefix="tpf-scale-") as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for family, key in plan:
                print(f"# {key}", file=sys.stderr, flush=True)
                workdir = Path(tmp) / key
                workdir.mkdir()
                rows.append(row(family, key, measure(browser, key, paths[key], args, workdir)))
        finally:
            browser.close()
    after = os.getloadavg()
    print(f"load average before {before[0]:.2f} {before[1]:.2f}, after {after[0]:.2f} "
          f"{after[1]:.2f}")
    print_table(rows)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"load_before": before, "load_after": after,
                                         "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
