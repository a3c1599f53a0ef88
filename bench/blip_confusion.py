"""The blip report's confusion matrix: inject each kind of blip at known frames into real and
synthetic target pixel files and count what ``explain`` and ``find_blips`` call it.

    python bench/blip_confusion.py              # the matrix in docs/blips.md
    python bench/blip_confusion.py --per-file 2 --quick

Injections come from tests/blip_injection.py (numpy only, independent of the report); the real
files from ../shared/data (skipped when absent), the synthetic ones from tests/synthetic.py.
Rows are the injected kind, columns the kind ``explain`` ranks first over the injected frames;
a second table does the same for the find_blips event that overlaps the injection ("missed"
when none does; cosmic rays put on the stamp's edge are outside the aperture, make no blip in its
light curve and are left out of that table). Prints markdown; nothing passes or fails.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard.data import open_tpf  # noqa: E402
from dashboard.data.blips import KINDS, explain, find_blips  # noqa: E402
from tests.blip_injection import KINDS as INJECTED  # noqa: E402
from tests.blip_injection import inject, quiet_frames  # noqa: E402
from tests.conftest import SHARED_DATA  # noqa: E402
from tests.synthetic import star_tpf_bytes  # noqa: E402

REAL = {
    "Kepler Q4 (KIC 11904151)": "kplr011904151-2010009091648_lpd-targ.fits",
    "K2 C9 (EPIC 221312395)": "ktwo221312395-c91_lpd-targ.fits.gz",
    "TESScut 6x6": "tess-s0001-4-2_84.291190_-80.469170_6x6_astrocut.fits",
}


def files():
    """(label, TargetPixelFile) for the real files that are present and the synthetic ones."""
    for label, name in REAL.items():
        path = SHARED_DATA / name
        if path.exists():
            yield label, open_tpf(path)
    yield "synthetic K2 bright 11x11", open_tpf(star_tpf_bytes(
        400, (11, 11), "K2", star_flux=200_000, seed=1).data)
    yield "synthetic K2 faint 11x11", open_tpf(star_tpf_bytes(
        400, (11, 11), "K2", star_flux=3_000, sky=300, seed=2).data)
    yield "synthetic TESS 9x9", open_tpf(star_tpf_bytes(
        400, (9, 9), "TESS", star_flux=20_000, psf_sigma=0.8, exposure=120, seed=3,
        neighbours=((1.5, 7.0, 8_000),)).data)


def run(per_file: int, seed: int, edge_every: int):
    rng = np.random.default_rng(seed)
    top, listed, rows = defaultdict(Counter), defaultdict(Counter), []
    for label, tpf in files():
        aperture = tpf.pipeline_mask
        existing = [e.peak for e in find_blips(tpf, explain_events=False)]
        margin = min(20, tpf.n_cadences // 4)
        frames = quiet_frames(tpf, aperture, per_file, rng, margin=margin, avoid=existing)
        for kind in INJECTED:
            if kind == "rolling_band" and tpf.mission == "TESS":
                continue  # a Kepler detector artifact: the report does not look for it in TESS
            for k, frame in enumerate(frames):
                edge = edge_every and (k % edge_every == edge_every - 1) and kind in (
                    "cosmic_ray", "off_target")
                injected = inject(tpf, kind, frame, rng=rng, edge=edge)
                report = explain(injected.tpf, injected.first, last=injected.last)
                said = report.top.kind
                top[kind][said] += 1
                if edge and kind == "cosmic_ray":  # outside the aperture: no light-curve blip
                    rows.append((label, kind, frame, edge, said, "-"))
                    continue
                events = find_blips(injected.tpf, max_events=100)
                hit = [e for e in events if e.first <= injected.last and e.last >= injected.first]
                found = hit[0].kind if hit else "missed"
                listed[kind][found] += 1
                rows.append((label, kind, frame, edge, said, found))
    return top, listed, rows


def table(counts, columns) -> str:
    lines = ["| injected \\ reported | " + " | ".join(columns) + " | right |",
             "|---" * (len(columns) + 2) + "|"]
    for kind in INJECTED:
        if kind not in counts:
            continue
        row = counts[kind]
        total = sum(row.values())
        cells = [str(row[c]) if row[c] else "." for c in columns]
        lines.append(f"| **{kind}** | " + " | ".join(cells) + f" | {row[kind]}/{total} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-file", type=int, default=3, help="frames per kind and file")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--edge-every", type=int, default=3,
                        help="every Nth cosmic ray / neighbour goes on the stamp's edge")
    parser.add_argument("--list", action="store_true", help="print every injection")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    top, listed, rows = run(args.per_file, args.seed, args.edge_every)
    used = [k for k in KINDS if any(c[k] for c in top.values())]
    found = [k for k in KINDS if any(c[k] for c in listed.values())] + ["missed"]
    total = sum(sum(c.values()) for c in top.values())
    right = sum(c[k] for k, c in top.items())
    print(f"{total} injections ({right} ranked right by explain), "
          f"{time.perf_counter() - start:.0f} s\n")
    print("explain over the injected frames: the kind ranked first\n")
    print(table(top, used))
    print("\nfind_blips: the kind of the event overlapping the injection\n")
    print(table(listed, found))
    if args.list:
        print()
        for row in rows:
            print(*row, sep="\t")
    return 0


if __name__ == "__main__":
    sys.exit(main())
