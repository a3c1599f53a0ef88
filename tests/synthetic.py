"""Synthetic target pixel files written with astropy alone, independent of dashboard code.

Tests compare what the dashboard reads against the arrays returned here, so a bug in the
reader cannot hide behind the same bug in a shared writer.
"""

from __future__ import annotations

import gzip as gzip_module
import io
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io import fits

BJDREF = {"Kepler": 2454833, "K2": 2454833, "TESS": 2457000}


@dataclass
class Synthetic:
    data: bytes
    flux: np.ndarray  # (n, rows, cols) float32 as written
    time: np.ndarray
    cadenceno: np.ndarray
    quality: np.ndarray
    aperture: np.ndarray  # APERTURE image as written (int32 bits)
    flux_bkg: np.ndarray
    column: int
    row: int


def tpf_bytes(n_cadences: int = 40, shape: tuple[int, int] = (5, 6), mission: str = "Kepler",
              seed: int = 0, aperture: np.ndarray | None = None, quality: np.ndarray | None = None,
              cadenceno: np.ndarray | None = None, time_start: float = 1000.0,
              cadence_days: float = 0.0204, column: int = 100, row: int = 200,
              gzip: bool = False, target_id: int = 123456789,
              nextend: int | None = None) -> Synthetic:
    """Bytes of a TPF in the mission's own layout, with random but reproducible contents.

    ``nextend`` writes a NEXTEND card (the number of extensions announced) with that value.
    """
    rng = np.random.default_rng(seed)
    rows, cols = shape
    flux = rng.normal(1000.0, 50.0, (n_cadences, rows, cols)).astype(np.float32)
    flux_bkg = rng.normal(100.0, 5.0, (n_cadences, rows, cols)).astype(np.float32)
    time = time_start + cadence_days * np.arange(n_cadences)
    if cadenceno is None:
        cadenceno = 5000 + np.arange(n_cadences)
    if quality is None:
        quality = np.zeros(n_cadences, dtype=np.int32)
    if aperture is None:
        aperture = np.ones(shape, dtype=np.int32)
        aperture[rows // 2, cols // 2] |= 2
    dim = f"({cols},{rows})"
    npix = rows * cols
    table = fits.BinTableHDU.from_columns([
        fits.Column("TIME", "D", array=time),
        fits.Column("TIMECORR", "E", array=np.zeros(n_cadences)),
        fits.Column("CADENCENO", "J", array=cadenceno),
        fits.Column("RAW_CNTS", f"{npix}J", dim=dim,
                    array=np.zeros((n_cadences, rows, cols), dtype=np.int32)),
        fits.Column("FLUX", f"{npix}E", dim=dim, array=flux),
        fits.Column("FLUX_ERR", f"{npix}E", dim=dim, array=np.sqrt(np.abs(flux))),
        fits.Column("FLUX_BKG", f"{npix}E", dim=dim, array=flux_bkg),
        fits.Column("QUALITY", "J", array=quality),
    ], name="PIXELS" if mission == "TESS" else "TARGETTABLES")
    table.header["1CRV5P"] = column
    table.header["2CRV5P"] = row
    table.header["BJDREFI"] = BJDREF[mission]
    table.header["BJDREFF"] = 0.0
    table.header["TIMEDEL"] = cadence_days
    primary = fits.PrimaryHDU()
    primary.header["TELESCOP"] = "TESS" if mission == "TESS" else "Kepler"
    primary.header["MISSION"] = mission
    if nextend is not None:
        primary.header["NEXTEND"] = nextend
    if mission == "TESS":
        primary.header["TICID"] = target_id
        primary.header["SECTOR"] = 7
        primary.header["OBJECT"] = f"TIC {target_id}"
    else:
        primary.header["KEPLERID"] = target_id
        if mission == "K2":
            primary.header["CAMPAIGN"] = 5
        else:
            primary.header["QUARTER"] = 3
    buffer = io.BytesIO()
    fits.HDUList([primary, table, fits.ImageHDU(aperture, name="APERTURE")]).writeto(buffer)
    data = buffer.getvalue()
    if gzip:
        data = gzip_module.compress(data)
    return Synthetic(data, flux, time, np.asarray(cadenceno), np.asarray(quality), aperture,
                     flux_bkg, column, row)


def write_gzip_bomb(path: Path, head: bytes, zeros: int, chunk: int = 2**24) -> None:
    """Write a gzip file of ``head`` followed by ``zeros`` zero bytes (a multiple of ``chunk``)
    without ever holding it inflated, or deflating gigabytes: one chunk of zeros is deflated and
    ended with a full flush, which resets the compressor, so each copy of that output stands
    alone and the copies are simply written one after another. 3 GiB of zeros take ~3 MB."""
    if zeros % chunk:
        raise ValueError("zeros must be a multiple of chunk")
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    zero = bytes(chunk)
    crc = zlib.crc32(head)
    with open(path, "wb") as out:
        out.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff")  # deflate, no name, mtime 0
        out.write(deflate.compress(head) + deflate.flush(zlib.Z_FULL_FLUSH))
        piece = deflate.compress(zero) + deflate.flush(zlib.Z_FULL_FLUSH)
        for _ in range(zeros // chunk):
            out.write(piece)
            crc = zlib.crc32(zero, crc)
        out.write(deflate.flush())
        out.write(struct.pack("<II", crc, (len(head) + zeros) & 0xFFFFFFFF))


def star_tpf_bytes(n_cadences: int = 400, shape: tuple[int, int] = (11, 11),
                   mission: str = "K2", star_flux: float = 50_000.0,
                   star: tuple[float, float] | None = None, psf_sigma: float = 1.0,
                   sky: float = 100.0, exposure: float = 1800.0, read_noise: float = 10.0,
                   jitter: float = 0.01, neighbours: tuple = (), seed: int = 0,
                   aperture_radius: float = 2.2) -> Synthetic:
    """A TPF of one star (Gaussian PSF, ``star_flux`` e-/s at stamp ``star`` (row, column),
    default the centre) with photon and read noise, optional (row, column, flux) neighbours,
    a pointing jitter of ``jitter`` px rms, and a pipeline aperture of the pixels within
    ``aperture_radius`` of the star. FLUX is background-subtracted, FLUX_BKG holds ``sky``."""
    rng = np.random.default_rng(seed)
    rows, cols = shape
    r0, c0 = star if star is not None else ((rows - 1) / 2, (cols - 1) / 2)
    dr, dc = rng.normal(0, jitter, (2, n_cadences))
    r = np.arange(rows)[None, :, None]
    c = np.arange(cols)[None, None, :]
    image = np.zeros((n_cadences, rows, cols))
    for row, col, flux in ((r0, c0, star_flux), *neighbours):
        distance2 = (r - (row + dr[:, None, None])) ** 2 + (c - (col + dc[:, None, None])) ** 2
        image += flux * np.exp(-distance2 / (2 * psf_sigma ** 2)) / (2 * np.pi * psf_sigma ** 2)
    noise = np.sqrt((image + sky) / exposure + (read_noise / exposure) ** 2)
    flux = (image + noise * rng.standard_normal(image.shape)).astype(np.float32)
    flux_err = noise.astype(np.float32)
    flux_bkg = np.full(image.shape, sky, dtype=np.float32)
    time = 2000.0 + (0.0204 if mission != "TESS" else 2 / 1440) * np.arange(n_cadences)
    cadenceno = 1000 + np.arange(n_cadences)
    quality = np.zeros(n_cadences, dtype=np.int32)
    aperture = np.ones(shape, dtype=np.int32)
    aperture[((r[0] - r0) ** 2 + (c[0] - c0) ** 2) <= aperture_radius ** 2] |= 2
    dim, npix = f"({cols},{rows})", rows * cols
    table = fits.BinTableHDU.from_columns([
        fits.Column("TIME", "D", array=time),
        fits.Column("CADENCENO", "J", array=cadenceno),
        fits.Column("FLUX", f"{npix}E", dim=dim, array=flux),
        fits.Column("FLUX_ERR", f"{npix}E", dim=dim, array=flux_err),
        fits.Column("FLUX_BKG", f"{npix}E", dim=dim, array=flux_bkg),
        fits.Column("QUALITY", "J", array=quality),
        fits.Column("POS_CORR1", "E", array=dc.astype(np.float32)),
        fits.Column("POS_CORR2", "E", array=dr.astype(np.float32)),
    ], name="PIXELS" if mission == "TESS" else "TARGETTABLES")
    table.header["1CRV3P"], table.header["2CRV3P"] = 300, 400
    table.header["BJDREFI"], table.header["BJDREFF"] = BJDREF[mission], 0.0
    table.header["TIMEDEL"] = float(time[1] - time[0])
    primary = fits.PrimaryHDU()
    primary.header["TELESCOP"] = "TESS" if mission == "TESS" else "Kepler"
    primary.header["MISSION"] = mission
    primary.header["OBJECT"] = "synthetic star"
    buffer = io.BytesIO()
    fits.HDUList([primary, table, fits.ImageHDU(aperture, name="APERTURE")]).writeto(buffer)
    return Synthetic(buffer.getvalue(), flux, time, cadenceno, quality, aperture, flux_bkg,
                     300, 400)
