"""The bytes of an uploaded light curve as tables of numeric columns, before any choice is made.

Text (CSV, tab, semicolon, whitespace; header or not; '#' comments) gives one table, a FITS
file one per table extension, each with the time system its metadata declares. Choosing the
columns and the time system is :mod:`dashboard.data.lightcurves`' work.
"""

from __future__ import annotations

import io
import re
import warnings
import zlib
from dataclasses import dataclass, field

import numpy as np
from astropy.io import fits

from .errors import DataError

#: Days to add to a time in each system to get a (barycentric) Julian date.
SYSTEM_OFFSET = {"BKJD": 2454833.0, "BTJD": 2457000.0, "BJD": 0.0, "MJD": 2400000.5}


@dataclass
class RawTable:
    columns: dict[str, np.ndarray]  # numeric 1-D columns as float64, in file order
    label: str  # "name.fits [LIGHTCURVE]" or the filename
    context: str = ""  # lower-case text that may name the mission: filename, comments, TELESCOP
    headerless: bool = False
    notes: list[str] = field(default_factory=list)
    systems: dict[str, tuple[str, str]] = field(default_factory=dict)  # column -> (system, why)
    comment_names: list[str] | None = None  # a '# time flux' line that may name the columns


def read_tables(data: bytes, filename: str, max_bytes: int) -> list[RawTable]:
    """The tables in ``data``; DataError for anything that cannot hold a light curve."""
    if len(data) > max_bytes:
        raise DataError(f"{filename} is {_size(len(data))}, over the {_size(max_bytes)} limit for "
                        "light curves. Keep only the columns you need, or raise the limit.")
    if not data.strip():
        raise DataError(f"{filename} is empty: there is no light curve in it.")
    data = _gunzip(data, filename, max_bytes)
    if data.startswith(b"SIMPLE  ="):
        return _read_fits(data, filename)
    return [_read_text(data, filename)]


# -- text ---------------------------------------------------------------------------------------

def _read_text(data: bytes, filename: str) -> RawTable:
    text = _decode(data, filename)
    comments, lines = [], []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#"):
            if not lines:  # only comments above the data may name columns or the mission
                comments.append(line.lstrip("#").strip())
        elif line:
            lines.append(line)
    if not lines:
        raise DataError(f"{filename} holds only comments or blank lines, no data rows.")
    delimiter, width = _find_delimiter(lines[1:51] or lines[:1], filename)
    sample = lines[1:51]
    if delimiter == ";" and any("," in s for s in sample) and not any("." in s for s in sample):
        lines = [s.replace(",", ".") for s in lines]  # decimal commas, as European CSV writes
    first = _split(lines[0], delimiter)
    notes, comment_names = [], None
    if not all(_is_number(v) for v in first):
        names, body = first, lines[1:]
    else:
        names, body = None, lines
        header = _split(comments[-1], delimiter) if comments else []
        if len(header) == width and not any(_is_number(v) for v in header):
            comment_names = _unique_names(header, width)  # numpy.savetxt writes headers so
    if not body:
        raise DataError(f"{filename} has a header row but no data rows.")
    headerless = names is None
    names = _unique_names(names or [f"col{i + 1}" for i in range(width)], width)
    table, dropped = _parse_rows(body, delimiter, width, names)
    if dropped:
        notes.append(f"{dropped} row(s) without {width} values were skipped.")
    if not table:
        raise DataError(f"{filename} has no numeric columns: a light curve needs a numeric time "
                        "and flux column.")
    if len(table) < 2:
        raise DataError(f"{filename} has only one numeric column ({next(iter(table))}); a light "
                        "curve needs two, time and flux.")
    context = (filename + " " + " ".join(comments)).lower()
    return RawTable(table, filename, context, headerless, notes, comment_names=comment_names)


def _decode(data: bytes, filename: str) -> str:
    text = data[:65536].decode("utf-8", errors="replace")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f" or ch == "\ufffd")
    if "\x00" in text or controls > 0.01 * len(text):
        raise DataError(f"{filename} is not a text table or a FITS file: it holds binary data. "
                        "Give a CSV or text table of time and flux, or a FITS light curve.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _split(line: str, delimiter: str | None) -> list[str]:
    if delimiter is None:
        return line.split()
    return [v.strip().strip("\"'") for v in line.split(delimiter)]


def _find_delimiter(sample: list[str], filename: str) -> tuple[str | None, int]:
    """The delimiter splitting (nearly) every sample line into the same number (>= 2) of fields."""
    for delimiter in ("\t", ";", ",", "|", None):
        counts = [len(_split(line, delimiter)) for line in sample]
        width = max(set(counts), key=counts.count)
        if width >= 2 and counts.count(width) >= 0.9 * len(counts):
            return delimiter, width
    if all(len(_split(line, None)) == 1 for line in sample):
        raise DataError(f"{filename} has only one column; a light curve needs at least two "
                        "(time and flux), separated by commas, tabs, semicolons or spaces.")
    raise DataError(f"{filename} does not look like a table: its lines do not split into the "
                    "same number of columns. Give a CSV or text table of time and flux.")


def _is_number(value: str) -> bool:
    try:
        float(value)
        return True
    except ValueError:
        return False


def _unique_names(names: list[str], width: int) -> list[str]:
    names = [n or f"col{i + 1}" for i, n in enumerate(names[:width])]
    names += [f"col{i + 1}" for i in range(len(names), width)]
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}_{seen[n]}")
    return out


def _parse_rows(body, delimiter, width, names) -> tuple[dict[str, np.ndarray], int]:
    """Numeric columns by name, and how many ragged rows were skipped. numpy's C parser reads
    clean files; rows with blanks, words or a wrong count take the slower forgiving path."""
    if not body:
        return {}, 0
    try:
        values = np.loadtxt(io.StringIO("\n".join(body)), delimiter=delimiter, ndmin=2,
                            dtype=np.float64, comments=None)
        if values.shape[1] == width:
            return {n: np.ascontiguousarray(values[:, i]) for i, n in enumerate(names)}, 0
    except ValueError:
        pass
    rows = [_split(line, delimiter) for line in body]
    kept = [r for r in rows if len(r) == width]
    table = {}
    for i, n in enumerate(names):
        column, failures = np.full(len(kept), np.nan), 0
        for j, row in enumerate(kept):
            try:
                column[j] = float(row[i])
            except ValueError:
                failures += 1
        if kept and failures < 0.5 * len(kept):  # a few '--' or blanks are missing values
            table[n] = column
    return table, len(rows) - len(kept)


# -- FITS ---------------------------------------------------------------------------------------

def _read_fits(data: bytes, filename: str) -> list[RawTable]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Kepler checksum warnings and the like
        try:
            hdul = fits.open(io.BytesIO(data), memmap=False, lazy_load_hdus=False)
        except Exception as exc:
            raise DataError(f"{filename} looks like FITS but could not be read ({exc}); it is "
                            "probably truncated or corrupt. Download it again.") from None
        tables = [h for h in hdul if isinstance(h, (fits.BinTableHDU, fits.TableHDU))]
        for hdu in tables:
            flux = next((c for c in hdu.columns if c.name.upper() == "FLUX"), None)
            if hdu.name in ("TARGETTABLES", "PIXELS") or flux is not None and flux.dim:
                raise DataError(f"{filename} is a target pixel file (per-cadence images), not "
                                "a light curve. Open it as the target pixel file, and give its "
                                "light curve (e.g. *_llc.fits, *_lc.fits or a CSV) here.")
        if not tables:
            raise DataError(f"{filename} is a FITS file without any table, so it holds no light "
                            "curve. Give a FITS light curve (a table of time and flux).")
        primary = hdul[0].header
        context = " ".join(str(primary.get(k, "")) for k in ("TELESCOP", "MISSION", "OBJECT"))
        context = (filename + " " + context).lower()
        found = []
        for hdu in tables:
            table, systems = _fits_columns(hdu, primary)
            label = f"{filename} [{hdu.name or 'table'}]"
            found.append(RawTable(table, label, context, systems=systems))
        return found


def _fits_columns(hdu, primary) -> tuple[dict[str, np.ndarray], dict[str, tuple[str, str]]]:
    """Scalar numeric columns as float64, and the time system each time-like column declares."""
    table, systems = {}, {}
    header = hdu.header
    for index, column in enumerate(hdu.columns, start=1):
        if getattr(column.format, "repeat", 1) == 0:
            continue  # zero-width columns ('0E') store nothing
        values = np.asarray(hdu.data[column.name])
        if values.ndim == 2 and values.shape[1] == 2 and f"TCTYP{index}" in header:
            # astropy (and lightkurve's write()) store a Time column as jd1, jd2 pairs
            ref = float(header.get("JDREF", 0.0))
            if "MJDREF" in header:
                ref = float(header["MJDREF"]) + 2400000.5
            values = values[:, 0] + values[:, 1] + ref
            systems[column.name] = ("BJD", f"an astropy Time column ({header[f'TCTYP{index}']} "
                                           "Julian dates)")
        if values.ndim != 1 or values.dtype.kind not in "biuf":
            continue
        table[column.name] = values.astype(np.float64)
        # what the file says its times are; used only for the column chosen as time
        declared = systems.get(column.name) or _declared_system(column.unit or "", header, primary)
        if declared:
            systems[column.name] = declared
    return table, systems


def _declared_system(unit: str, header, primary) -> tuple[str, str] | None:
    """The time system a FITS column declares, from TUNITn first, then BJDREFI/BJDREFF."""
    upper = unit.upper()
    for system in ("BTJD", "BKJD", "MJD"):
        if system in upper:
            return system, f"its unit '{unit}'"
    match = re.search(r"JD\s*-\s*(\d+(?:\.\d*)?)", upper)
    if match:
        return _system_of_reference(float(match.group(1)), f"its unit '{unit}'")
    for source in (header, primary):
        if "BJDREFI" in source:
            ref = float(source["BJDREFI"]) + float(source.get("BJDREFF", 0.0))
            return _system_of_reference(ref, f"the header (BJDREFI={source['BJDREFI']})")
    return None


def _system_of_reference(reference: float, source: str) -> tuple[str, str]:
    for system, offset in SYSTEM_OFFSET.items():
        if abs(reference - offset) < 1e-6:
            return system, f"{system} according to {source}"
    return f"BJD+{reference!r}", f"BJD - {reference:g} according to {source}"



def _gunzip(data: bytes, filename: str, max_bytes: int) -> bytes:
    if data[:2] != b"\x1f\x8b":
        return data
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflate.decompress(data, max_bytes + 1)  # bounded: a small bomb stays small
    except zlib.error:
        raise DataError(f"{filename} is a damaged gzip file; download it again.") from None
    if len(out) > max_bytes:
        raise DataError(f"{filename} unpacks to more than {_size(max_bytes)}, the limit for "
                        "light curves. Keep only the columns you need.")
    if not inflate.eof:  # zlib returns what it could without complaint when the end is missing
        raise DataError(f"{filename} is a damaged gzip file (it ends early); download it again.")
    return out


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n:,} bytes"
