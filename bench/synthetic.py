"""Deterministic synthetic target pixel files for the benchmarks, written with astropy alone.

``python bench/synthetic.py FOLDER`` writes (or reuses, when already there) two files:

==========================  =========  =========  ===========================================
name                        stamp      cadences   layout
==========================  =========  =========  ===========================================
bench-tess-11x11.fits       11 x 11    20,000     TESS SPOC 2-min: PIXELS + APERTURE, BTJD
bench-k2-50x50.fits         50 x 50    4,000      K2 long cadence: TARGETTABLES + APERTURE, BKJD
bench-tess20s-13x13.fits    13 x 13    120,000    TESS SPOC 20-second (a sector): 313 MB
bench-tesscut-100x100.fits  100 x 100  3,500      TESScut cutout (200-s FFIs, CADENCENO 0,
                                                  no pipeline aperture): 534 MB
==========================  =========  =========  ===========================================

Only ``tess`` and ``k2`` are written by default; name the others (``--only tess20s``). The
scale curves (bench/scale.py) use a family of TESS-like files named ``tess-<R>x<C>-<N>``
(``scaled_spec``), e.g. ``tess-13x13-50000``.

Each holds a drifting star (Gaussian PSF) with a transit, sky background, noise and some
QUALITY flags, in the FLUX, FLUX_ERR, FLUX_BKG and RAW_CNTS columns a pipeline writes. The same
arguments always give byte-identical files (fixed seeds, no dates or checksums in the headers).
This module does not import the dashboard, so a reader bug cannot hide behind a writer bug.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io import fits

FORMAT_VERSION = 1  # bump when the contents change, so cached files are rewritten


@dataclass(frozen=True)
class Spec:
    key: str
    filename: str
    mission: str  # "TESS" or "K2"
    rows: int
    cols: int
    n_cadences: int
    cadence_days: float
    seed: int
    tesscut: bool = False  # CADENCENO all 0, an APERTURE of zeros (TESScut writes no mask)


SPECS = {
    "tess": Spec("tess", "bench-tess-11x11.fits", "TESS", 11, 11, 20_000, 2 / 1440, 11),
    "k2": Spec("k2", "bench-k2-50x50.fits", "K2", 50, 50, 4_000, 0.0204340, 50),
    "tess20s": Spec("tess20s", "bench-tess20s-13x13.fits", "TESS", 13, 13, 120_000,
                    20 / 86400, 13),
    "tesscut": Spec("tesscut", "bench-tesscut-100x100.fits", "TESS", 100, 100, 3_500,
                    200 / 86400, 100, tesscut=True),
}
DEFAULT_KEYS = ("tess", "k2")


def scaled_spec(key: str) -> Spec | None:
    """``tess-<rows>x<cols>-<cadences>``: a TESS-like 2-min file of that size, or None."""
    parts = key.split("-")
    if len(parts) != 3 or parts[0] != "tess" or "x" not in parts[1]:
        return None
    try:
        rows, cols = (int(v) for v in parts[1].split("x"))
        n = int(parts[2])
    except ValueError:
        return None
    return Spec(key, f"bench-{key}.fits", "TESS", rows, cols, n, 2 / 1440,
                1000 + rows * 7 + cols + n % 997)


def spec_of(key: str) -> Spec:
    spec = SPECS.get(key) or scaled_spec(key)
    if spec is None:
        raise KeyError(key)
    return spec


def _cube(spec: Spec) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(spec.seed)
    n, rows, cols = spec.n_cadences, spec.rows, spec.cols
    frames = np.arange(n)
    # A slow pointing drift plus jitter, in pixels.
    phase = 2 * np.pi * frames / n
    dx = 0.3 * np.sin(3 * phase) + rng.normal(0, 0.02, n)
    dy = 0.2 * np.cos(2 * phase) + rng.normal(0, 0.02, n)
    # A transit: 1% deep, lasting 2% of the span, three times.
    brightness = np.ones(n)
    for centre in (0.2, 0.5, 0.8):
        brightness[np.abs(frames / n - centre) < 0.01] -= 0.01
    amplitude = 50_000.0 if spec.mission == "TESS" else 200_000.0
    sigma = 0.9 if spec.mission == "TESS" else 1.6
    r0, c0 = (rows - 1) / 2, (cols - 1) / 2
    rr = np.arange(rows, dtype=np.float32)[None, :, None]
    cc = np.arange(cols, dtype=np.float32)[None, None, :]
    star = np.empty((n, rows, cols), dtype=np.float32)
    chunk = max(1, 2_000_000 // (rows * cols))
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        y = (rr - (r0 + dy[start:stop, None, None])) ** 2
        x = (cc - (c0 + dx[start:stop, None, None])) ** 2
        psf = np.exp(-(x + y) / (2 * sigma**2)) / (2 * np.pi * sigma**2)
        star[start:stop] = (amplitude * brightness[start:stop, None, None] * psf)
    sky = (20.0 + 5.0 * np.sin(phase))[:, None, None].astype(np.float32)
    flux_bkg = np.broadcast_to(sky, star.shape) + rng.standard_normal(star.shape, np.float32)
    flux_err = np.sqrt(np.abs(star) + 50.0).astype(np.float32)
    flux = star + flux_err * rng.standard_normal(star.shape, np.float32)
    raw = np.round((flux + flux_bkg) * (2.0 if spec.mission == "TESS" else 6.02)).astype(np.int32)

    quality = np.zeros(n, dtype=np.int32)
    flagged = rng.choice(n, size=n // 50, replace=False)
    bits = [1, 4, 8, 32, 128] if spec.mission == "TESS" else [1, 4, 8, 32, 1024]
    quality[flagged] = rng.choice(bits, size=flagged.size)
    aperture = np.ones((rows, cols), dtype=np.int32)  # bit 1: collected
    inside = (rr[0] - r0) ** 2 + (cc[0] - c0) ** 2 <= (2.2 * sigma) ** 2
    aperture[inside] |= 2  # bit 2: the pipeline's optimal aperture
    if spec.tesscut:
        aperture[:] = 0
    return {"flux": flux.astype(np.float32), "flux_err": flux_err, "flux_bkg": flux_bkg,
            "raw": raw, "quality": quality, "aperture": aperture, "dx": dx, "dy": dy}


def tpf_hdulist(spec: Spec) -> fits.HDUList:
    cube = _cube(spec)
    n, rows, cols = spec.n_cadences, spec.rows, spec.cols
    start = 1468.27 if spec.mission == "TESS" else 2750.35
    time = start + spec.cadence_days * np.arange(n)
    cadenceno = (120_000 if spec.mission == "TESS" else 150_000) + np.arange(n)
    if spec.tesscut:
        cadenceno = np.zeros(n, dtype=np.int64)
    dim, npix = f"({cols},{rows})", rows * cols
    columns = [
        fits.Column("TIME", "D", unit="BJD - 2457000, days" if spec.mission == "TESS"
                    else "BJD - 2454833", array=time),
        fits.Column("TIMECORR", "E", unit="d", array=np.zeros(n, dtype=np.float32)),
        fits.Column("CADENCENO", "J", array=cadenceno),
        fits.Column("RAW_CNTS", f"{npix}J", unit="count", dim=dim, array=cube["raw"]),
        fits.Column("FLUX", f"{npix}E", unit="e-/s", dim=dim, array=cube["flux"]),
        fits.Column("FLUX_ERR", f"{npix}E", unit="e-/s", dim=dim, array=cube["flux_err"]),
        fits.Column("FLUX_BKG", f"{npix}E", unit="e-/s", dim=dim, array=cube["flux_bkg"]),
        fits.Column("QUALITY", "J", array=cube["quality"]),
        fits.Column("POS_CORR1", "E", unit="pixel", array=cube["dx"].astype(np.float32)),
        fits.Column("POS_CORR2", "E", unit="pixel", array=cube["dy"].astype(np.float32)),
    ]
    table = fits.BinTableHDU.from_columns(
        columns, name="PIXELS" if spec.mission == "TESS" else "TARGETTABLES")
    column0, row0 = (1200, 640) if spec.mission == "TESS" else (612, 830)
    flux_index = 5  # FLUX is the fifth column: its WCS keywords give the stamp's CCD origin
    table.header[f"1CRV{flux_index}P"] = (column0, "CCD column of the first pixel")
    table.header[f"2CRV{flux_index}P"] = (row0, "CCD row of the first pixel")
    table.header["TIMEREF"] = "SOLARSYSTEM"
    table.header["TIMESYS"] = "TDB"
    table.header["BJDREFI"] = 2457000 if spec.mission == "TESS" else 2454833
    table.header["BJDREFF"] = 0.0
    table.header["TIMEUNIT"] = "d"
    table.header["TIMEDEL"] = spec.cadence_days

    primary = fits.PrimaryHDU()
    header = primary.header
    header["ORIGIN"] = "tpf-dashboard bench"
    header["CREATOR"] = f"bench/synthetic.py v{FORMAT_VERSION}"
    if spec.mission == "TESS":
        header["TELESCOP"] = "TESS"
        header["INSTRUME"] = "TESS Photometer"
        header["OBJECT"] = "TIC 900000011"
        header["TICID"] = 900000011
        header["SECTOR"] = 14
        header["CAMERA"] = 1
        header["CCD"] = 2
    else:
        header["TELESCOP"] = "Kepler"
        header["INSTRUME"] = "Kepler Photometer"
        header["MISSION"] = "K2"
        header["OBJECT"] = "EPIC 290000050"
        header["KEPLERID"] = 290000050
        header["CAMPAIGN"] = 13
    header["RA_OBJ"] = 84.291190
    header["DEC_OBJ"] = -80.469170
    header["SIMDATA"] = (False, "synthetic benchmark file; shown like a real one")
    return fits.HDUList([primary, table, fits.ImageHDU(cube["aperture"], name="APERTURE")])


def write(folder: str | os.PathLike, keys: list[str] | None = None,
          verbose: bool = False) -> dict[str, Path]:
    """Write (or reuse) the synthetic files in ``folder``; returns {key: path}."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for key in keys or list(DEFAULT_KEYS):
        spec = spec_of(key)
        path = folder / f"v{FORMAT_VERSION}-{spec.filename}"
        if not path.exists():
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=".writing-")
            os.close(handle)
            try:
                tpf_hdulist(spec).writeto(temporary, overwrite=True)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
            if verbose:
                print(f"wrote {path}", file=sys.stderr)
        out[key] = path
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="where to write the files (reused when present)")
    parser.add_argument("--only", action="append",
                        help=f"write only this file (repeatable): {', '.join(sorted(SPECS))} "
                             "or tess-<R>x<C>-<N>")
    parser.add_argument("--sha", action="store_true", help="print each file's SHA-256")
    args = parser.parse_args(argv)
    for key, path in write(args.folder, args.only, verbose=True).items():
        spec = spec_of(key)
        line = (f"{key:5} {path}  {spec.rows}x{spec.cols} x {spec.n_cadences:,} cadences  "
                f"{path.stat().st_size / 2**20:,.1f} MB")
        if args.sha:
            line += "  sha256 " + hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
