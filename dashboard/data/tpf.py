"""Reading Kepler, K2 and TESS target pixel files into one native-endian object.

A target pixel file (TPF) is a FITS file whose first table holds one row per cadence: TIME,
CADENCENO, QUALITY and the FLUX image of the stamp (plus FLUX_ERR, FLUX_BKG, POS_CORR1/2 where the
pipeline wrote them), followed by an APERTURE image whose bit 2 marks the pipeline's optimal
aperture. Kepler and K2 call the table TARGETTABLES, TESS SPOC and TESScut call it PIXELS.

Everything is read once, converted to native byte order (astropy hands back big-endian arrays,
which Plotly and orjson refuse), and kept on a :class:`TargetPixelFile`.
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.time import Time

from .apertures import default_aperture
from .errors import DataError, reading
from .fits_headers import (
    BJD_REFERENCE,
    float_or_none,
    int_or_none,
    mission_of,
    target_name,
    time_system_of,
)
from .fits_integrity import (
    check_complete,
    check_extensions_present,
    check_whole_blocks,
    describe_unreadable,
)
from .gunzip import gunzip
from .quality import QualityFlags, flags_for
from .wcs import read_wcs

_PIXEL_TABLE_NAMES = ("TARGETTABLES", "PIXELS")
_LIGHTCURVE_COLUMNS = {"SAP_FLUX", "PDCSAP_FLUX", "FCOR", "FRAW", "KSPSAP_FLUX"}
_PIPELINE_APERTURE_BIT = 2
# Stretch levels come from a sorted sample of the cube; this many values keep any percentile
# within a small fraction of a percent of the exact one while the sort stays in milliseconds.
_LEVEL_SAMPLE_SIZE = 1_000_000


@dataclass(eq=False)
class TargetPixelFile:
    """The pixels, times and metadata of one target pixel file, ready to display.

    Arrays are native-endian and indexed by frame (0 .. n_cadences-1), the position of a
    cadence in the file; ``cadenceno`` gives the mission's own cadence number for each frame.
    """

    flux: np.ndarray  # (cadences, rows, columns) float32, e-/s
    time: np.ndarray  # (cadences,) float64 in the mission system, NaN where the file has none
    cadenceno: np.ndarray  # (cadences,) int64
    quality: np.ndarray  # (cadences,) int64 QUALITY bits
    pipeline_mask: np.ndarray  # (rows, columns) bool
    mission: str  # "Kepler", "K2" or "TESS"
    target: str  # as a person would say it: "KIC 11904151", "EPIC 221312395", "TIC 322899250"
    time_system: str  # "BKJD" or "BTJD"
    column: int = 0  # CCD column of the stamp's first pixel
    row: int = 0  # CCD row of the stamp's first pixel
    flux_err: np.ndarray | None = None
    flux_bkg: np.ndarray | None = None
    pos_corr1: np.ndarray | None = None
    pos_corr2: np.ndarray | None = None
    target_id: int | None = None
    quarter: int | None = None
    campaign: int | None = None
    sector: int | None = None
    cadence_days: float | None = None  # TIMEDEL
    bjd_reference: float = BJD_REFERENCE["BKJD"]
    aperture_from_file: bool = True  # False when pipeline_mask is our documented default
    cadenceno_synthesised: bool = False
    simulated: bool = False
    filename: str = ""
    header: dict = field(default_factory=dict)  # target keywords of the primary header
    # Sentences the page shows beside the file: it opened, but something about it is not whole.
    notices: list[str] = field(default_factory=list)
    wcs_header: dict | None = None  # the stamp's WCS as FITS keywords (see .wcs), None if absent
    timecorr: np.ndarray | None = None  # (cadences,) TIMECORR, days: TIME minus spacecraft time

    # -- shape -------------------------------------------------------------------------------
    @property
    def n_cadences(self) -> int:
        return self.flux.shape[0]

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns) of the stamp."""
        return self.flux.shape[1], self.flux.shape[2]

    @property
    def flags(self) -> QualityFlags:
        return flags_for(self.mission)

    @property
    def period(self) -> str:
        """'Quarter 4', 'Campaign 9', 'Sector 1', or '' when the file does not say."""
        for label, value in (("Quarter", self.quarter), ("Campaign", self.campaign),
                             ("Sector", self.sector)):
            if value is not None:
                return f"{label} {value}"
        return ""

    # -- science -----------------------------------------------------------------------------
    def lightcurve(self, mask: np.ndarray | None = None) -> np.ndarray:
        """Sum of FLUX over the aperture ``mask`` (default: the pipeline aperture) per cadence.

        Summed in float64 (a float32 sum over a large stamp drifts by ~1e-6). NaN pixels are
        skipped; a cadence whose aperture pixels are all NaN gives NaN, not a misleading zero.
        """
        mask = self.pipeline_mask if mask is None else np.asarray(mask, dtype=bool)
        if mask.shape != self.shape:
            raise DataError(f"Aperture shape {mask.shape} does not match the stamp {self.shape}.")
        if not mask.any():
            return np.full(self.n_cadences, np.nan)
        pixels = self.flux[:, mask]
        total = np.nansum(pixels, axis=1, dtype=np.float64)
        total[np.isnan(pixels).all(axis=1)] = np.nan
        return total

    @cached_property
    def pipeline_lightcurve(self) -> np.ndarray:
        return self.lightcurve()

    def quality_names(self, frame: int) -> list[str]:
        return self.flags.decode(self.quality[frame])

    def utc(self, frame: int) -> str:
        """UTC calendar time of one cadence ('' when the file has no time for it).

        Mission times are barycentric dynamical times (TDB); astropy converts them to the UTC a
        person reads, leap seconds included. One cadence at a time on purpose: converting a whole
        20,000-cadence file takes ~0.4 s, one value ~1 ms, and only the shown cadence is needed.
        """
        time = self.time[frame]
        if not np.isfinite(time):
            return ""
        return _utc_string(float(time) + self.bjd_reference)

    def utc_many(self, start: int, stop: int) -> list[str]:
        """UTC calendar times of cadences ``start`` to ``stop`` (exclusive), in one astropy
        conversion: the per-frame cost of a batch of frames (~40 µs) instead of ~1 ms each."""
        times = self.time[start:stop]
        finite = np.isfinite(times)
        out = [""] * len(times)
        if finite.any():
            jd = Time(times[finite] + self.bjd_reference, format="jd", scale="tdb")
            for index, text in zip(np.flatnonzero(finite),
                                   jd.utc.strftime("%Y-%m-%d %H:%M:%S"), strict=True):
                out[index] = str(text)
        return out

    @cached_property
    def _sorted_sample(self) -> np.ndarray:
        # Past the sample size, whole frames spread evenly over the file: a random choice of
        # values needed the cube's finite values copied and a permutation of them (~250 MB
        # and ~1 s for a 120,000 x 13 x 13 file), and frames read from a memory-mapped cube
        # touch only their own pages.
        flux = self.flux
        per_frame = max(1, int(np.prod(flux.shape[1:])))
        if flux.size > _LEVEL_SAMPLE_SIZE:
            count = max(1, _LEVEL_SAMPLE_SIZE // per_frame)
            flux = flux[np.linspace(0, len(flux) - 1, count).round().astype(np.intp)]
        values = flux[np.isfinite(flux)]
        return np.sort(values)

    def levels(self, low: float, high: float) -> tuple[float, float]:
        """Flux values at percentiles ``low`` and ``high`` (0-100) of the whole cube."""
        sample = self._sorted_sample
        if sample.size == 0:
            return 0.0, 1.0
        lo, hi = np.percentile(sample, [low, high])
        if not hi > lo:
            hi = lo + max(abs(lo) * 1e-6, 1e-6)
        return float(lo), float(hi)

    def nearest_frame(self, time: float) -> int:
        """The frame whose time is nearest to ``time`` (frames without a time are skipped)."""
        finite = np.flatnonzero(np.isfinite(self.time))
        if finite.size == 0:
            return 0
        return int(finite[np.argmin(np.abs(self.time[finite] - time))])


@lru_cache(maxsize=4096)
def _utc_string(jd_tdb: float) -> str:
    return Time(jd_tdb, format="jd", scale="tdb").utc.strftime("%Y-%m-%d %H:%M:%S")


def open_tpf(source: str | os.PathLike | bytes | bytearray | memoryview,
             filename: str | None = None, *, max_bytes: int | None = None) -> TargetPixelFile:
    """Read a Kepler, K2, TESS SPOC or TESScut target pixel file (``.fits`` or ``.fits.gz``).

    ``source`` is a path or the file's bytes. Anything that is not a readable target pixel file
    raises :class:`DataError` with a message saying what the file is and what to do.
    ``max_bytes`` caps what a ``.fits.gz`` may unpack to (default: :mod:`.gunzip`'s, from
    ``TPF_DASHBOARD_MAX_PIXELS_MB``); a file past it is refused before it is unpacked.
    """
    data, filename = _read_source(source, filename)
    data = gunzip(data, filename, max_bytes)
    check_whole_blocks(data, filename)
    try:
        with warnings.catch_warnings():
            # Kepler files often carry CHECKSUM without DATASUM; astropy warns but the data is fine.
            warnings.simplefilter("ignore")
            with fits.open(io.BytesIO(data), memmap=False, lazy_load_hdus=False) as hdul:
                tpf = _from_hdulist(hdul, filename)
                tpf.notices = check_complete(hdul, len(data), filename)
                return tpf
    except DataError:
        raise
    except (OSError, ValueError, TypeError, IndexError, KeyError, EOFError) as exc:
        raise DataError(describe_unreadable(data, filename, exc)) from None


def _read_source(source, filename: str | None) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), filename or "uploaded file"
    path = Path(source)
    with reading(path):
        return path.read_bytes(), filename or path.name


def _find_pixel_table(hdul: fits.HDUList, filename: str) -> fits.BinTableHDU:
    tables = [hdu for hdu in hdul if isinstance(hdu, fits.BinTableHDU)]
    for hdu in tables:
        if hdu.name in _PIXEL_TABLE_NAMES:
            return hdu
    for hdu in tables:
        names = {name.upper() for name in hdu.columns.names}
        if "FLUX" in names and len(hdu.columns["FLUX"].dim or "") > 0:
            return hdu
    if not tables:
        images = [hdu for hdu in hdul if getattr(hdu, "data", None) is not None
                  and getattr(hdu.data, "ndim", 0) >= 2]
        if images:
            raise DataError(
                f"{filename} holds only images ({len(images)} image extension(s)), not the "
                "per-cadence pixel table of a target pixel file. Give the *_lpd-targ.fits(.gz) "
                "(Kepler/K2) or *_tp.fits (TESS) file.")
        check_extensions_present(hdul, filename)  # primary header only: was it cut short?
        raise DataError(f"{filename} is a FITS file without any table: it is not a target "
                        "pixel file.")
    names = {name.upper() for hdu in tables for name in hdu.columns.names}
    if names & _LIGHTCURVE_COLUMNS or any(hdu.name == "LIGHTCURVE" for hdu in tables):
        found = ", ".join(sorted(names & _LIGHTCURVE_COLUMNS)) or "a LIGHTCURVE table"
        raise DataError(
            f"{filename} is a light-curve file (it has {found} "
            "but no pixel images). Open the matching target pixel file here; a light curve can "
            "be shown beside it as a custom curve.")
    first = tables[0]
    missing = [c for c in ("TIME", "FLUX") if c not in {n.upper() for n in first.columns.names}]
    raise DataError(f"{filename} has a table ({first.name or 'extension 1'}) but it lacks the "
                    f"column(s) {', '.join(missing) or 'FLUX as an image'} of a target pixel file.")


def _table_column(table, name: str, dtype) -> np.ndarray | None:
    if name not in table.columns.names:
        return None
    if table.columns[name].format.repeat == 0:  # a zero-width column ('0E'): nothing stored
        return None
    return np.ascontiguousarray(table.data[name], dtype=dtype)


def from_hdulist_with_columns(hdul: fits.HDUList, filename: str, size: int,
                              read) -> TargetPixelFile:
    """A file opened without its data (``memmap=True``, nothing read yet) whose pixel table's
    columns come from ``read(table)``, a dict by upper-case name (data/tpf_stream.py reads
    them in pieces). ``size`` is the file's size in bytes."""
    table = _find_pixel_table(hdul, filename)
    if int(table.header.get("NAXIS2", 0)) == 0:
        raise DataError(f"{filename} is a target pixel file with no cadences in it.")
    tpf = _from_hdulist(hdul, filename, table, read(table))
    tpf.notices = check_complete(hdul, size, filename)
    return tpf


def _from_hdulist(hdul: fits.HDUList, filename: str, table=None,
                  columns: dict | None = None) -> TargetPixelFile:
    primary = hdul[0].header
    if table is None:
        table = _find_pixel_table(hdul, filename)
        if table.data is None or len(table.data) == 0:
            raise DataError(f"{filename} is a target pixel file with no cadences in it.")

    def _column(table, name: str, dtype):
        if columns is None:
            return _table_column(table, name, dtype)
        values = columns.get(name.upper()) if name in table.columns.names else None
        return None if values is None else np.ascontiguousarray(values, dtype=dtype)

    flux = _column(table, "FLUX", np.float32)
    time = _column(table, "TIME", np.float64)
    if flux is None or time is None or flux.ndim != 3:
        raise DataError(f"{filename}: the pixel table has no usable TIME and FLUX columns.")
    n = flux.shape[0]

    mission = mission_of(primary)
    time_system, reference = time_system_of(table.header, mission)

    cadenceno = _column(table, "CADENCENO", np.int64)
    synthesised = cadenceno is None or n > 1 and np.all(cadenceno == cadenceno[0])
    if synthesised:
        # TESScut writes 0 on every row; number frames in file order so each is distinct.
        cadenceno = np.arange(n, dtype=np.int64)
    quality = _column(table, "QUALITY", np.int64)
    if quality is None:
        quality = np.zeros(n, dtype=np.int64)

    mask, from_file = _pipeline_mask(hdul, flux)
    flux_index = [c.upper() for c in table.columns.names].index("FLUX") + 1
    column = table.header.get(f"1CRV{flux_index}P", primary.get("1CRV4P", 0))
    row = table.header.get(f"2CRV{flux_index}P", primary.get("2CRV4P", 0))

    target, target_id = target_name(primary, mission)
    return TargetPixelFile(
        flux=flux,
        time=time,
        cadenceno=cadenceno,
        quality=quality,
        pipeline_mask=mask,
        mission=mission,
        target=target,
        target_id=target_id,
        time_system=time_system,
        bjd_reference=reference,
        column=int(column),
        row=int(row),
        flux_err=_column(table, "FLUX_ERR", np.float32),
        flux_bkg=_column(table, "FLUX_BKG", np.float32),
        pos_corr1=_column(table, "POS_CORR1", np.float32),
        pos_corr2=_column(table, "POS_CORR2", np.float32),
        quarter=int_or_none(primary.get("QUARTER")),
        campaign=int_or_none(primary.get("CAMPAIGN")),
        sector=int_or_none(primary.get("SECTOR")),
        cadence_days=float_or_none(table.header.get("TIMEDEL")),
        aperture_from_file=from_file,
        cadenceno_synthesised=bool(synthesised),
        simulated=bool(primary.get("SIMDATA", False)),
        filename=filename,
        header={k: primary[k] for k in ("TELESCOP", "INSTRUME", "OBJECT", "KEPLERID", "TICID",
                                        "RA_OBJ", "DEC_OBJ", "QUARTER", "CAMPAIGN", "SECTOR",
                                        "CHANNEL", "CAMERA", "CCD", "MODULE", "OUTPUT",
                                        "KEPMAG", "TESSMAG", "PMRA", "PMDEC")
                if k in primary},
        wcs_header=read_wcs(hdul),
        timecorr=_column(table, "TIMECORR", np.float64),
    )


def _pipeline_mask(hdul: fits.HDUList, flux: np.ndarray) -> tuple[np.ndarray, bool]:
    shape = flux.shape[1:]
    if "APERTURE" in hdul and hdul["APERTURE"].data is not None:
        bits = np.asarray(hdul["APERTURE"].data, dtype=np.int64)
        if bits.shape == shape:
            mask = (bits & _PIPELINE_APERTURE_BIT) != 0
            if mask.any():
                return mask, True
    return default_aperture(flux), False
