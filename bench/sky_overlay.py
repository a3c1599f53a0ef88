"""What the sky overlay costs per file and per aperture change; prints numbers only.

For a Kepler-like 9 x 7 stamp, the TESS-like 11 x 11 and the tall 1287 x 11 Sirius shape, with
N synthetic catalogue sources spread over the stamp: placing them (proper motion + WCS), the
PSF profiles (once per field), the aperture fractions and contamination (per aperture change),
the per-pixel RA/Dec hover text (once per file) and the overlay traces.

    python bench/sky_overlay.py [--sources 200,2000] [--repeats 20]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard.data.sky import ApertureFlux, Source, place_sources  # noqa: E402
from dashboard.data.tpf import open_tpf  # noqa: E402
from dashboard.data.wcs import pixel_to_sky, stamp_wcs  # noqa: E402
from dashboard.figures.sky import radec_text, source_traces  # noqa: E402
from tests.data.sky_stamps import KEPLER10, PI_MEN, with_sky  # noqa: E402
from tests.synthetic import tpf_bytes  # noqa: E402

SHAPES = {"kepler 9x7": ("Kepler", (9, 7), KEPLER10), "tess 11x11": ("TESS", (11, 11), PI_MEN),
          "tess 1287x11": ("TESS", (1287, 11), PI_MEN)}


def _best(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times) * 1e3


def _measure(tpf, mission: str, sources: list, repeats: int) -> tuple[float, ...]:
    shape, mask, wcs = tpf.shape, tpf.pipeline_mask, stamp_wcs(tpf)
    field = place_sources(tpf, sources, mag_range=None)
    flux = ApertureFlux.for_field(field, mission, shape)
    return (
        _best(lambda: place_sources(tpf, sources, mag_range=None), repeats),
        _best(lambda: ApertureFlux.for_field(field, mission, shape), repeats),
        _best(lambda: (flux.fractions(mask), flux.contamination(mask)), repeats),
        _best(lambda: radec_text(wcs, shape), max(1, repeats // 4)),
        _best(lambda: source_traces(field, column=0, row=0, fractions=flux.fractions(mask)),
              repeats),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", default="200,2000")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    counts = [int(n) for n in args.sources.split(",")]
    print(f"{'stamp':14} {'sources':>7} {'place':>8} {'profiles':>9} {'aperture':>9} "
          f"{'radec text':>10} {'traces':>8}   (ms, best of {args.repeats})")
    for label, (mission, shape, sky) in SHAPES.items():
        header = {"RA_OBJ": sky.crval[0], "DEC_OBJ": sky.crval[1]}
        tpf = open_tpf(with_sky(tpf_bytes(mission=mission, shape=shape, n_cadences=4).data,
                                sky, header))
        wcs = stamp_wcs(tpf)
        rng = np.random.default_rng(0)
        for count in counts:
            x = rng.uniform(-1, shape[1], count)
            y = rng.uniform(-1, shape[0], count)
            ra, dec = pixel_to_sky(wcs, x, y)
            sources = [Source(id=f"s{i}", ra=float(a), dec=float(d), pmra=5.0, pmdec=-3.0,
                              mag=float(m)) for i, (a, d, m) in
                       enumerate(zip(ra, dec, rng.uniform(8, 18, count), strict=True))]
            place, profiles, aperture, text, traces = _measure(tpf, mission, sources,
                                                               args.repeats)
            print(f"{label:14} {count:7d} {place:8.2f} {profiles:9.2f} {aperture:9.3f} "
                  f"{text:10.2f} {traces:8.2f}")


if __name__ == "__main__":
    main()
