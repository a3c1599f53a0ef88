"""A simulated K2-like target pixel file that shows each kind of blip the dashboard is for.

It is written as a real FITS file (TARGETTABLES + APERTURE, the Kepler/K2 layout) and read back
through :func:`open_tpf`, so the demo exercises the same path as a user's file. Everything is
seeded: the same bytes every time. ``TRUTH`` records where each artifact is, for tests and for
the page's description of the demo.

What is in it:
- a star (Gaussian PSF) with a 1% transit every ``period`` days,
- a sky background, reported in FLUX_BKG and subtracted from FLUX as the pipeline does,
- photon and read noise,
- K2's roll: the pointing drifts along the column axis and jumps back at each thruster firing
  every 6 hours; those cadences carry the Thruster firing quality bit (1048576),
- one cosmic ray: a single bright pixel in the aperture on one cadence,
- an asteroid: a faint point source crossing the stamp over a few dozen cadences.
"""

from __future__ import annotations

import io
from functools import lru_cache

import numpy as np
from astropy.io import fits

from .tpf import TargetPixelFile, open_tpf

ROWS, COLUMNS = 15, 15
N_CADENCES = 2000
CADENCE_DAYS = 0.02043359821692  # K2 long cadence, 29.4 min
START_BKJD = 2750.0
ORIGIN_COLUMN, ORIGIN_ROW = 612, 408

STAR = {"row": 7.3, "column": 7.1, "flux": 60_000.0, "sigma": 1.05}
TRANSIT = {"period": 3.27, "epoch": START_BKJD + 1.6, "duration": 0.14, "depth": 0.01}
BACKGROUND = {"level": 180.0, "slope": 40.0}  # e-/s per pixel, and its rise over the demo
THRUSTER_EVERY = 12  # cadences (about 6 hours); the roll drift resets at each firing
ROLL_DRIFT = 0.35  # pixels of column drift between firings
COSMIC_RAY = {"frame": 1234, "row": 8, "column": 7, "flux": 9000.0}
ASTEROID = {"first_frame": 600, "last_frame": 660, "row": (2.0, 12.5), "column": (-1.0, 15.5),
            "flux": 4500.0}

TRUTH = {
    "star": STAR,
    "transit": TRANSIT,
    "cosmic_ray": COSMIC_RAY,
    "asteroid": ASTEROID,
    "thruster_every": THRUSTER_EVERY,
}

_THRUSTER_FIRING = 1048576


def asteroid_position(frame: int) -> tuple[float, float] | None:
    """(row, column) of the asteroid's centre in stamp pixels on ``frame``, or None."""
    first, last = ASTEROID["first_frame"], ASTEROID["last_frame"]
    if not first <= frame <= last:
        return None
    f = (frame - first) / (last - first)
    row = ASTEROID["row"][0] + f * (ASTEROID["row"][1] - ASTEROID["row"][0])
    column = ASTEROID["column"][0] + f * (ASTEROID["column"][1] - ASTEROID["column"][0])
    return row, column


def _psf(rows: np.ndarray, columns: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian PSF images, one per (row, column) centre, normalised to unit total flux."""
    r = np.arange(ROWS)[None, :, None] - rows[:, None, None]
    c = np.arange(COLUMNS)[None, None, :] - columns[:, None, None]
    return np.exp(-(r**2 + c**2) / (2 * sigma**2)) / (2 * np.pi * sigma**2)


def _simulate(seed: int):
    rng = np.random.default_rng(seed)
    frames = np.arange(N_CADENCES)
    time = START_BKJD + frames * CADENCE_DAYS

    phase = ((time - TRANSIT["epoch"]) / TRANSIT["period"] + 0.5) % 1 - 0.5
    in_transit = np.abs(phase * TRANSIT["period"]) < TRANSIT["duration"] / 2
    brightness = STAR["flux"] * (1 - TRANSIT["depth"] * in_transit)

    since_firing = frames % THRUSTER_EVERY
    drift = ROLL_DRIFT * (since_firing / THRUSTER_EVERY - 0.5)
    star_column = STAR["column"] + drift
    star_row = STAR["row"] + 0.25 * drift + rng.normal(0, 0.01, N_CADENCES)
    flux = brightness[:, None, None] * _psf(star_row, star_column, STAR["sigma"])

    moving = np.arange(ASTEROID["first_frame"], ASTEROID["last_frame"] + 1)
    path = np.array([asteroid_position(f) for f in moving])
    flux[moving] += ASTEROID["flux"] * _psf(path[:, 0], path[:, 1], 0.9)

    background = BACKGROUND["level"] + BACKGROUND["slope"] * frames / N_CADENCES
    read_noise = 12.0
    variance = np.clip(flux + background[:, None, None], 0, None) * 1800 + read_noise**2
    noise = rng.normal(0.0, 1.0, flux.shape) * np.sqrt(variance) / 1800
    # The pipeline's background estimate is good but not perfect: a small residual remains.
    flux = flux + noise + rng.normal(0, 0.5, (N_CADENCES, 1, 1))
    flux[COSMIC_RAY["frame"], COSMIC_RAY["row"], COSMIC_RAY["column"]] += COSMIC_RAY["flux"]

    quality = np.zeros(N_CADENCES, dtype=np.int32)
    quality[since_firing == 0] |= _THRUSTER_FIRING
    flux_err = np.sqrt(variance) / 1800
    flux_bkg = np.broadcast_to(background[:, None, None], flux.shape)
    return time, flux.astype(np.float32), flux_err.astype(np.float32), flux_bkg, quality


@lru_cache(maxsize=4)
def demo_bytes(seed: int = 42) -> bytes:
    """The demo target pixel file, as the bytes of a K2-layout FITS file."""
    time, flux, flux_err, flux_bkg, quality = _simulate(seed)
    dim = f"({COLUMNS},{ROWS})"
    npix = ROWS * COLUMNS
    # The pipeline's column order (lightkurve finds FLUX and FLUX_ERR's units by position);
    # the columns the simulation does not model are written as the pipeline writes "none".
    zeros = np.zeros((N_CADENCES, ROWS, COLUMNS), dtype=np.float32)
    columns = [
        fits.Column("TIME", "D", unit="BJD - 2454833", array=time),
        fits.Column("TIMECORR", "E", unit="d", array=np.zeros(N_CADENCES, dtype=np.float32)),
        fits.Column("CADENCENO", "J", array=100_000 + np.arange(N_CADENCES)),
        fits.Column("RAW_CNTS", f"{npix}J", unit="count", dim=dim,
                    array=np.full((N_CADENCES, ROWS, COLUMNS), -1, dtype=np.int32)),
        fits.Column("FLUX", f"{npix}E", unit="e-/s", dim=dim, array=flux),
        fits.Column("FLUX_ERR", f"{npix}E", unit="e-/s", dim=dim, array=flux_err),
        fits.Column("FLUX_BKG", f"{npix}E", unit="e-/s", dim=dim,
                    array=np.ascontiguousarray(flux_bkg, dtype=np.float32)),
        fits.Column("FLUX_BKG_ERR", f"{npix}E", unit="e-/s", dim=dim, array=zeros),
        fits.Column("COSMIC_RAYS", f"{npix}E", unit="e-/s", dim=dim, array=zeros),
        fits.Column("QUALITY", "J", array=quality),
    ]
    table = fits.BinTableHDU.from_columns(columns, name="TARGETTABLES")
    flux_index = 5  # FLUX's column number: its WCS keywords give the stamp's CCD origin
    table.header[f"1CRV{flux_index}P"] = (ORIGIN_COLUMN, "CCD column of the first pixel")
    table.header[f"2CRV{flux_index}P"] = (ORIGIN_ROW, "CCD row of the first pixel")
    table.header["TIMEREF"] = "SOLARSYSTEM"
    table.header["TIMESYS"] = "TDB"
    table.header["BJDREFI"] = 2454833
    table.header["BJDREFF"] = 0.0
    table.header["TIMEUNIT"] = "d"
    table.header["TIMEDEL"] = CADENCE_DAYS

    aperture = np.ones((ROWS, COLUMNS), dtype=np.int32)
    r, c = np.mgrid[:ROWS, :COLUMNS]
    aperture[(r - STAR["row"]) ** 2 + (c - STAR["column"]) ** 2 <= 2.3**2] |= 2

    primary = fits.PrimaryHDU()
    primary.header["TELESCOP"] = "Kepler"
    primary.header["MISSION"] = "K2"
    primary.header["OBJECT"] = "Simulated K2 star"
    primary.header["SIMDATA"] = (True, "file is based on simulated data")
    # Named as the pipeline names its TPFs, so lightkurve.read() takes it for one.
    primary.header["CREATOR"] = "tpf-dashboard demo, laid out as TargetPixelExporterPipelineModule"
    primary.header["ORIGIN"] = "tpf-dashboard (simulated)"
    buffer = io.BytesIO()
    fits.HDUList([primary, table, fits.ImageHDU(aperture, name="APERTURE")]).writeto(buffer)
    return buffer.getvalue()


def demo_tpf(seed: int = 42) -> TargetPixelFile:
    """The simulated demo, opened like any other target pixel file."""
    return open_tpf(demo_bytes(seed), filename="simulated demo")


def description() -> str:
    """What the demo contains and where to look, for the page."""
    first, last = ASTEROID["first_frame"], ASTEROID["last_frame"]
    return (
        "Simulated K2-like demo (not real data): a star with a 1% transit every "
        f"{TRANSIT['period']} days; thruster firings every {THRUSTER_EVERY} cadences, flagged "
        f"in QUALITY; a cosmic ray at frame {COSMIC_RAY['frame']}; an asteroid crossing the "
        f"stamp in frames {first}–{last} (frames are 0-based). Open your own TPF with the upload "
        "box.")
