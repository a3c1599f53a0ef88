"""Catalogue sources: the :class:`Source` record, a user's CSV catalogue, and the file's target.

A source's position is ICRS at its catalogue's reference epoch (Gaia DR3: 2016.0, TIC: 2000.0,
a user CSV: its ``ref_epoch`` column, 2016.0 when absent); :mod:`.field` moves it to the file's
epoch with its proper motion. Proper motions are in mas/yr, ``pmra`` including the cos(dec)
factor (as Gaia and the TIC give them).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..errors import DataError

if TYPE_CHECKING:
    from ..tpf import TargetPixelFile

DEFAULT_REF_EPOCH = 2016.0
MAX_CSV_BYTES = 20 * 2**20
MAX_CSV_ROWS = 200_000
_REQUIRED = ("id", "ra", "dec")
_OPTIONAL = ("pmra", "pmdec", "ref_epoch", "mag")
# Kepler/K2 primary headers give PMRA/PMDEC in arcsec/yr, TESS in mas/yr (archive manuals).
_HEADER_PM_TO_MAS = {"Kepler": 1000.0, "K2": 1000.0, "TESS": 1.0}
_HEADER_MAG = {"Kepler": ("KEPMAG", "Kp"), "K2": ("KEPMAG", "Kp"), "TESS": ("TESSMAG", "T")}
# KIC/EPIC/TIC positions in the headers are J2000 at epoch 2000.0.
_HEADER_EPOCH = 2000.0


@dataclass
class Source:
    id: str
    ra: float  # degrees, ICRS, at ref_epoch
    dec: float
    pmra: float | None = None  # mas/yr, times cos(dec)
    pmdec: float | None = None  # mas/yr
    ref_epoch: float = DEFAULT_REF_EPOCH  # Julian year of ra/dec
    mag: float | None = None  # in ``band``; sets marker size and flux ratios
    band: str = ""  # "G" (Gaia), "T" (TESS), "Kp" (Kepler), "" when the catalogue does not say
    catalogue: str = ""  # "Gaia DR3", "TIC", "catalogue.csv", "file header"
    magnitudes: dict = field(default_factory=dict)  # every magnitude known, band -> value

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Source:
        return cls(**data)


def finite_or_none(value) -> float | None:
    """A float, or None for a missing, masked, NaN or non-numeric value."""
    if value is None or np.ma.is_masked(value):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


# -- the file's own target ------------------------------------------------------------------
def target_source(tpf: TargetPixelFile) -> Source | None:
    """The target as the file's primary header describes it (RA_OBJ, DEC_OBJ, PMRA, PMDEC,
    KEPMAG/TESSMAG), or None without RA_OBJ/DEC_OBJ. TESScut writes 0 for an unknown TESSMAG,
    which is read as unknown."""
    header = tpf.header
    ra, dec = finite_or_none(header.get("RA_OBJ")), finite_or_none(header.get("DEC_OBJ"))
    if ra is None or dec is None:
        return None
    scale = _HEADER_PM_TO_MAS.get(tpf.mission, 1.0)
    pmra, pmdec = finite_or_none(header.get("PMRA")), finite_or_none(header.get("PMDEC"))
    keyword, band = _HEADER_MAG.get(tpf.mission, ("KEPMAG", "Kp"))
    mag = finite_or_none(header.get(keyword))
    if mag == 0.0:
        mag = None
    return Source(id=tpf.target, ra=ra, dec=dec,
                  pmra=None if pmra is None else pmra * scale,
                  pmdec=None if pmdec is None else pmdec * scale,
                  ref_epoch=_HEADER_EPOCH, mag=mag, band=band if mag is not None else "",
                  catalogue="file header", magnitudes={band: mag} if mag is not None else {})


# -- a user's CSV catalogue -------------------------------------------------------------------
def read_catalogue_csv(data: bytes | str, name: str = "catalogue.csv") -> list[Source]:
    """Sources from a CSV with columns ``id, ra, dec`` (degrees) and optionally ``pmra, pmdec``
    (mas/yr), ``ref_epoch`` (Julian year, default 2016.0) and ``mag``. Column names are matched
    without regard to case or surrounding spaces; lines starting with ``#`` are comments.
    Raises DataError naming the line and column of the first bad value."""
    text = _decode(data, name)
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip()
             .startswith("#")]
    if not lines:
        raise DataError(f"{name} is empty: a catalogue needs a header row (id, ra, dec) and at "
                        "least one source.")
    try:
        rows = list(csv.reader(io.StringIO("\n".join(lines)), skipinitialspace=True))
    except csv.Error as exc:
        raise DataError(f"{name} is not a readable CSV file ({exc}).") from None
    header = [cell.strip().lower() for cell in rows[0]]
    missing = [column for column in _REQUIRED if column not in header]
    if missing:
        raise DataError(f"{name} has no {', '.join(repr(m) for m in missing)} column; a "
                        "catalogue needs the columns id, ra, dec (degrees) and may add pmra, "
                        f"pmdec (mas/yr), ref_epoch (Julian year) and mag. Found: "
                        f"{', '.join(header) or 'nothing'}.")
    if len(rows) - 1 > MAX_CSV_ROWS:
        raise DataError(f"{name} has {len(rows) - 1:,} sources, more than the {MAX_CSV_ROWS:,} "
                        "a catalogue may hold here.")
    if len(rows) == 1:
        raise DataError(f"{name} has a header row but no sources.")
    index = {column: header.index(column) for column in (*_REQUIRED, *_OPTIONAL)
             if column in header}
    return [_source_from_row(row, index, line, name)
            for line, row in enumerate(rows[1:], start=2)]


def _decode(data: bytes | str, name: str) -> str:
    if isinstance(data, str):
        return data
    if len(data) > MAX_CSV_BYTES:
        raise DataError(f"{name} is {len(data) / 2**20:.1f} MB, over the "
                        f"{MAX_CSV_BYTES // 2**20} MB limit for a catalogue.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"{name} is not a text CSV file (it is not UTF-8 text).") from None


def _source_from_row(row: list[str], index: dict, line: int, name: str) -> Source:
    def cell(column: str) -> str:
        position = index.get(column)
        return row[position].strip() if position is not None and position < len(row) else ""

    def number(column: str, required: bool = False) -> float | None:
        text = cell(column)
        if not text:
            if required:
                raise DataError(f"{name}, line {line}: the {column} value is empty.")
            return None
        try:
            value = float(text)
        except ValueError:
            raise DataError(f"{name}, line {line}: {column} {text!r} is not a number.") from None
        if not math.isfinite(value):
            raise DataError(f"{name}, line {line}: {column} {text!r} is not a finite number.")
        return value

    source_id = cell("id")
    if not source_id:
        raise DataError(f"{name}, line {line}: the id value is empty.")
    ra, dec = number("ra", required=True), number("dec", required=True)
    if not 0.0 <= ra <= 360.0:
        raise DataError(f"{name}, line {line}: ra {ra:g} is outside 0..360 degrees (ra is in "
                        "decimal degrees, not hours).")
    if not -90.0 <= dec <= 90.0:
        raise DataError(f"{name}, line {line}: dec {dec:g} is outside -90..+90 degrees.")
    epoch = number("ref_epoch")
    if epoch is not None and not 1000.0 <= epoch <= 3000.0:
        raise DataError(f"{name}, line {line}: ref_epoch {epoch:g} is not a Julian year such as "
                        "2016.0.")
    mag = number("mag")
    return Source(id=source_id, ra=ra % 360.0, dec=dec, pmra=number("pmra"),
                  pmdec=number("pmdec"),
                  ref_epoch=DEFAULT_REF_EPOCH if epoch is None else epoch, mag=mag, band="",
                  catalogue=name, magnitudes={"mag": mag} if mag is not None else {})
