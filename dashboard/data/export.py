"""The current light curve as a file: CSV with a commented header, or a light-curve FITS file.

The FITS layout follows the missions' own light-curve files closely enough that lightkurve's
``read()`` opens it as a ``KeplerLightCurve`` or ``TessLightCurve`` (its ``detect_filetype``
wants TELESCOP plus a CREATOR naming a light curve and an ORIGIN; its Kepler reader needs a
SAP_QUALITY column and its TESS reader FRAMETIM and NUM_FRM), and the dashboard's own
light-curve upload reads both formats back onto the same cadences.

No Dash here: everything takes a :class:`TargetPixelFile` and arrays.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from astropy.io import fits

from .. import __version__
from .tpf import TargetPixelFile

FLUX_UNIT = "e-/s"  # as the missions write it; lightkurve reads it as electron / s
TESS_FRAME_SECONDS = 2.0  # one TESS 2-s frame: FRAMETIM; NUM_FRM is the cadence over it
BACKGROUND_WORDS = {"none": "no background subtracted",
                    "file": "the pipeline's FLUX_BKG subtracted",
                    "aperture": "the median of the chosen background pixels subtracted"}
# APERTURE image bits, as in Kepler and TESS files: 1 collected, 2 in the optimal aperture,
# 4 used for the background.
_COLLECTED, _IN_APERTURE, _BACKGROUND = 1, 2, 4


@dataclass
class CurveExport:
    """What is exported: the curve of one view and the choices that made it."""

    tpf: TargetPixelFile
    flux: np.ndarray  # float64 per frame (NaN where the aperture had no data)
    flux_err: np.ndarray  # float64 per frame (NaN when the file has no FLUX_ERR)
    target_mask: np.ndarray  # bool (rows, columns)
    background_mask: np.ndarray  # bool (rows, columns), may be empty
    background: str  # 'none' | 'file' | 'aperture'
    hidden: np.ndarray  # bool per frame: what the quality mask hides
    quality: str  # the preset and extra bits, in words
    quality_bitmask: int
    drop_hidden: bool  # True: hidden cadences are left out; False: kept and flagged

    @property
    def rows(self) -> np.ndarray:
        """Frames written to the file: those with a valid time (a cadence without one is no
        point of a light curve), less the hidden ones when they are dropped."""
        keep = np.isfinite(self.tpf.time)
        if self.drop_hidden:
            keep &= ~self.hidden
        return np.flatnonzero(keep)

    @property
    def without_time(self) -> int:
        return int((~np.isfinite(self.tpf.time)).sum())


def aperture_flux_err(tpf: TargetPixelFile, mask: np.ndarray) -> np.ndarray:
    """The aperture sum's uncertainty per frame: FLUX_ERR of its pixels added in quadrature
    (the background's own error is not included). NaN when the file has no FLUX_ERR."""
    mask = np.asarray(mask, dtype=bool)
    if tpf.flux_err is None or not mask.any():
        return np.full(tpf.n_cadences, np.nan)
    errors = np.take(tpf.flux_err.reshape(tpf.n_cadences, -1), np.flatnonzero(mask), axis=1)
    squared = np.square(errors, dtype=np.float64)
    total = np.sqrt(np.nansum(squared, axis=1))
    total[np.isnan(errors).all(axis=1)] = np.nan
    return total


def quality_words(export: CurveExport) -> str:
    hidden = int(export.hidden.sum())
    if export.drop_hidden:
        return (f"quality mask {export.quality} (bitmask {export.quality_bitmask}) applied: "
                f"{hidden} cadences left out")
    return (f"quality mask {export.quality} (bitmask {export.quality_bitmask}) flagged: "
            f"{hidden} cadences kept with masked = 1")


def file_stem(tpf: TargetPixelFile) -> str:
    """A filename stem from the target and period: 'EPIC_201572338_Campaign_1_lightcurve'."""
    name = "_".join(part for part in (tpf.target, tpf.period) if part)
    safe = "".join(c if c.isalnum() or c in "-." else "_" for c in name).strip("_")
    return f"{safe or 'target'}_lightcurve"


# -- CSV ---------------------------------------------------------------------------------------

def lightcurve_csv(export: CurveExport) -> str:
    """Comma-separated time, flux, flux_err, quality, cadenceno, masked; '#' header lines say
    the target, mission, aperture pixels, time system and how the quality mask was used."""
    tpf, rows = export.tpf, export.rows
    lines = [f"# {line}" for line in _description(export)]
    lines.append("time,flux,flux_err,quality,cadenceno,masked")
    table = zip(tpf.time[rows], export.flux[rows], export.flux_err[rows], tpf.quality[rows],
                tpf.cadenceno[rows], export.hidden[rows].astype(int), strict=True)
    lines.extend(f"{t:.10f},{f:.10g},{e:.8g},{q:d},{c:d},{m:d}" for t, f, e, q, c, m in table)
    return "\n".join(lines) + "\n"


def _description(export: CurveExport) -> list[str]:
    tpf = export.tpf
    target = np.argwhere(export.target_mask)
    pixels = " ".join(f"({tpf.column + j},{tpf.row + i})" for i, j in target)
    lines = [
        f"Light curve exported by tpf-dashboard {__version__} on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC",
        f"target: {tpf.target}" + (f" ({tpf.period})" if tpf.period else ""),
        f"mission: {tpf.mission}",
        f"source file: {tpf.filename}",
        f"aperture: {len(target)} pixels, CCD (column,row): {pixels}",
        f"background: {BACKGROUND_WORDS.get(export.background, export.background)}",
    ]
    if export.background == "aperture":
        sky = np.argwhere(export.background_mask)
        lines.append(f"background pixels: {len(sky)}, CCD (column,row): " + " ".join(
            f"({tpf.column + j},{tpf.row + i})" for i, j in sky))
    lines += [
        f"time system: {tpf.time_system} = BJD - {tpf.bjd_reference:.1f}, TDB",
        quality_words(export),
        *([f"{export.without_time} cadences without a valid time left out"]
          if export.without_time else []),
        "flux, flux_err: e-/s; flux_err adds the aperture pixels' FLUX_ERR in quadrature",
    ]
    return lines


# -- FITS --------------------------------------------------------------------------------------

def lightcurve_fits(export: CurveExport) -> bytes:
    """A light-curve FITS file: primary header with the source's target keywords, a LIGHTCURVE
    table (TIME, FLUX, FLUX_ERR, QUALITY, CADENCENO, ...) and the aperture as an APERTURE image."""
    tpf, rows = export.tpf, export.rows
    primary = fits.PrimaryHDU(header=_primary_header(export))
    columns = [
        fits.Column("TIME", "D", unit="d", array=tpf.time[rows]),
        fits.Column("FLUX", "D", unit=FLUX_UNIT, array=export.flux[rows]),
        fits.Column("FLUX_ERR", "D", unit=FLUX_UNIT, array=export.flux_err[rows]),
        fits.Column("QUALITY", "J", array=tpf.quality[rows].astype(np.int32)),
        fits.Column("CADENCENO", "J", array=tpf.cadenceno[rows].astype(np.int32)),
        fits.Column("MASKED", "L", array=export.hidden[rows]),
    ]
    if tpf.mission != "TESS":  # lightkurve's Kepler reader looks for SAP_QUALITY
        columns.append(fits.Column("SAP_QUALITY", "J", array=tpf.quality[rows].astype(np.int32)))
    table = fits.BinTableHDU.from_columns(columns, name="LIGHTCURVE",
                                          header=_table_header(export, rows))
    image = fits.ImageHDU(data=_aperture_image(export), name="APERTURE")
    image.header["CRVAL1P"] = (tpf.column, "CCD column of the stamp's first pixel")
    image.header["CRVAL2P"] = (tpf.row, "CCD row of the stamp's first pixel")
    image.header["NPIXSAP"] = (int(export.target_mask.sum()), "pixels in the aperture")
    image.header["NPIXBKG"] = (int(export.background_mask.sum()), "background pixels")
    buffer = io.BytesIO()
    fits.HDUList([primary, table, image]).writeto(buffer, checksum=True)
    return buffer.getvalue()


def _primary_header(export: CurveExport) -> fits.Header:
    tpf = export.tpf
    header = fits.Header()
    header["ORIGIN"] = ("tpf-dashboard", "institution responsible for creating this file")
    header["CREATOR"] = ("tpf-dashboard LightCurveExport", "aperture photometry of a TPF")
    header["PROCVER"] = (__version__, "tpf-dashboard version")
    header["DATE"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    telescope = tpf.header.get("TELESCOP") or ("TESS" if tpf.mission == "TESS" else "Kepler")
    header["TELESCOP"] = (telescope, "telescope")
    header["MISSION"] = (tpf.mission, "mission")
    for key, value in tpf.header.items():
        if key not in header:
            header[key] = value
    header["OBJECT"] = (tpf.target, "string version of the target id")
    header["SRCFILE"] = (tpf.filename[:68], "source target pixel file")
    return header


def _table_header(export: CurveExport, rows: np.ndarray) -> fits.Header:
    tpf = export.tpf
    reference_day = float(np.floor(tpf.bjd_reference))
    header = fits.Header()
    header["TIMEREF"] = ("SOLARSYSTEM", "barycentric correction applied to times")
    header["TASSIGN"] = ("SPACECRAFT", "where time is assigned")
    header["TIMESYS"] = ("TDB", "time system is barycentric JD")
    header["BJDREFI"] = (int(reference_day), "integer part of BJD reference date")
    header["BJDREFF"] = (tpf.bjd_reference - reference_day, "fraction of the day in BJD ref")
    header["TIMEUNIT"] = ("d", "time unit for TIME, TSTART and TSTOP")
    times = tpf.time[rows]
    finite = times[np.isfinite(times)]
    if finite.size:
        header["TSTART"] = (float(finite.min()), "observation start time in BJD - BJDREF")
        header["TSTOP"] = (float(finite.max()), "observation stop time in BJD - BJDREF")
        header["TELAPSE"] = (float(finite.max() - finite.min()), "[d] TSTOP - TSTART")
    if tpf.cadence_days:
        header["TIMEDEL"] = (tpf.cadence_days, "[d] time resolution of data")
        if tpf.mission == "TESS":  # lightkurve's TESS reader multiplies these
            header["FRAMETIM"] = (TESS_FRAME_SECONDS, "[s] frame time")
            header["NUM_FRM"] = (max(1, round(tpf.cadence_days * 86400 / TESS_FRAME_SECONDS)),
                                 "number of frames per time stamp")
    elif tpf.mission == "TESS":
        header["FRAMETIM"], header["NUM_FRM"] = TESS_FRAME_SECONDS, 60
    header["TIMSYSTM"] = (tpf.time_system, "the mission's name for BJD - BJDREF")
    header["NPIXSAP"] = (int(export.target_mask.sum()), "pixels in the aperture")
    header["BKGMODE"] = (export.background, "background subtraction: none, file or aperture")
    header["QMASK"] = (export.quality[:68], "quality mask preset and bits")
    header["QBITMASK"] = (export.quality_bitmask, "QUALITY bits the mask hides")
    header["QAPPLIED"] = (export.drop_hidden, "T: masked cadences left out; F: MASKED flags")
    return header


def _aperture_image(export: CurveExport) -> np.ndarray:
    image = np.full(export.tpf.shape, _COLLECTED, dtype=np.int32)
    image[export.target_mask] |= _IN_APERTURE
    image[export.background_mask] |= _BACKGROUND
    return image
