"""A person's own light curve: read from CSV/text or FITS, or taken from Python objects.

Whatever the source, the result is one :class:`CustomLightCurve`: native-endian float64 arrays
sorted by time, which columns were used and which others could be, the time system assumed and
why, and notes on anything changed on the way (rows dropped, times sorted). Every problem a
person can fix is a :class:`DataError` saying what to do; junk never escapes as another error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .errors import DataError
from .lightcurve_files import SYSTEM_OFFSET, RawTable, read_tables

TIME_SYSTEMS = (*SYSTEM_OFFSET, "unknown")
ROLES = ("time", "flux", "flux_err", "cadenceno", "quality")
DEFAULT_MAX_BYTES = 50 * 2**20

# Recognised names per role, best first, compared as lower-case letters and digits only
# ("PDCSAP_FLUX" -> "pdcsapflux"). A bare 'flux' leads because lightkurve and most people put
# the curve they mean there; then corrected fluxes come before raw ones.
_NAMES = {
    "time": ("time", "t", "tbjd", "btjd", "bkjd", "bjd", "bjdtdb", "jd", "mjd", "hjd",
             "barycentrictime", "times", "date"),
    "flux": ("flux", "pdcsapflux", "fcor", "fluxcorr", "corrflux", "kspsapflux", "detflux",
             "f", "normflux", "relflux", "sapflux", "fraw", "rawflux"),
    "flux_err": ("fluxerr", "pdcsapfluxerr", "fluxerror", "err", "error", "eflux", "sigma",
                 "fluxsigma", "dflux", "uncertainty", "kspsapfluxerr", "sapfluxerr"),
    "cadenceno": ("cadenceno", "cadencenumber", "cadence", "cadno"),
    "quality": ("quality", "sapquality", "qualityflag", "qual", "dqflag", "flag", "flags", "dq"),
}
# Looser matches, ranked after the exact names; TIMECORR is a correction, not a time.
_LOOSE = {
    "time": lambda k: ("time" in k and "corr" not in k) or "bjd" in k or k.endswith("jd"),
    "flux": lambda k: "flux" in k and not any(w in k for w in ("err", "bkg", "background", "sig")),
    "flux_err": lambda k: "flux" in k and any(w in k for w in ("err", "sig", "unc")),
    "cadenceno": lambda k: "cadence" in k,
    "quality": lambda k: "qual" in k or "flag" in k,
}
_EXAMPLES = {"time": "time, bjd, btjd or mjd", "flux": "flux, pdcsap_flux or fcor"}
_TESS_CONTEXT = re.compile(r"(?<![a-z])tess|btjd|(?<![a-z])tic(?![a-z])")
_KEPLER_CONTEXT = re.compile(r"kepler|kplr|ktwo|bkjd|epic|(?<![a-z0-9])k2(?![0-9])|(?<![a-z])kic")
_FIRST_TESS_BTJD = 1325.0  # TESS's first sector began at BTJD ~1325; earlier values are Kepler's


@dataclass
class CustomLightCurve:
    time: np.ndarray  # float64, as read (in `time_system`), sorted ascending
    flux: np.ndarray  # float64
    flux_err: np.ndarray | None
    cadenceno: np.ndarray | None  # int64
    quality: np.ndarray | None  # int64
    time_system: str  # 'BKJD' | 'BTJD' | 'BJD' | 'MJD' | 'unknown': what we assumed
    time_system_reason: str
    columns: dict[str, str] = field(default_factory=dict)  # role -> source column name
    candidates: dict[str, list[str]] = field(default_factory=dict)  # role -> choosable columns
    name: str = "custom"
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return self.time.size


# -- public entry points -----------------------------------------------------------------------

def read_lightcurve(data: bytes, filename: str, *, columns: dict[str, str] | None = None,
                    time_system: str | None = None,
                    max_bytes: int = DEFAULT_MAX_BYTES) -> CustomLightCurve:
    """Read a light curve from the bytes of a CSV/text table or a FITS file (optionally gzipped).

    ``columns`` (role -> column name) and ``time_system`` override what is recognised or guessed.
    """
    filename = filename or "uploaded file"
    try:
        tables = read_tables(bytes(data), filename, max_bytes)
        wanted = [c for r, c in (columns or {}).items() if c and r in ("time", "flux")]
        for table in tables:
            if wanted:  # the table holding the columns the person picked
                usable = all(c in table.columns for c in wanted)
            else:
                usable = all(any(_rank(r, n) is not None for n in table.columns)
                             for r in ("time", "flux"))
            if usable or table.headerless or len(tables) == 1:
                lc = _from_table(table, columns, time_system)
                lc.name = filename
                return lc
        first = tables[0]
        raise DataError(f"{filename} has {len(tables)} tables but none with a time and a flux "
                        f"column (the first, {first.label}, has: "
                        f"{', '.join(first.columns) or 'no numeric columns'}). "
                        "Pick the columns by hand, or give another file.")
    except DataError:
        raise
    except Exception as exc:  # junk must reach the person as a message, whatever broke
        raise DataError(f"{filename} could not be read as a light curve ({exc}). Give a CSV or "
                        "text table with time and flux columns, or a FITS light curve.") from None


def lightcurve_from_arrays(time, flux, flux_err=None, *, cadenceno=None, quality=None,
                           time_system=None, name="custom") -> CustomLightCurve:
    """A light curve from plain arrays; the time system is guessed from the values if not given."""
    table = {"time": time, "flux": flux, "flux_err": flux_err, "cadenceno": cadenceno,
             "quality": quality}
    table = {role: _plain(values) for role, values in table.items() if values is not None}
    chosen = {role: role for role in table}
    return _assemble(table, chosen, {r: [r] for r in table}, name, [], time_system,
                     lambda col, values: _guess_system(values, "", ""))


def lightcurve_from_object(obj, name="custom") -> CustomLightCurve:
    """A light curve from an astropy Table, a pandas DataFrame, a ``(time, flux[, flux_err])``
    tuple, or a lightkurve LightCurve (duck-typed: nothing here imports lightkurve or pandas)."""
    if isinstance(obj, CustomLightCurve):
        return obj
    if isinstance(obj, (tuple, list)):
        if not 2 <= len(obj) <= 3:
            raise DataError(f"Give a light curve as (time, flux) or (time, flux, flux_err); "
                            f"got a sequence of {len(obj)} items.")
        return lightcurve_from_arrays(*obj, name=name)
    time, flux = getattr(obj, "time", None), getattr(obj, "flux", None)
    if hasattr(time, "value") and hasattr(time, "format") and hasattr(flux, "value"):
        system, why = _astropy_time_system(time)
        extra = {}
        for role in ("cadenceno", "quality"):
            try:
                extra[role] = obj[role] if role in getattr(obj, "colnames", ()) else None
            except Exception:  # a LightCurve-like object without item access
                extra[role] = None
        err = getattr(obj, "flux_err", None)
        lc = lightcurve_from_arrays(_time_values(time), flux, err, time_system=system,
                                    name=name, **extra)
        lc.time_system_reason = f"the LightCurve's time format '{time.format}': {why}"
        return lc
    # a pandas Index refuses `or`, so no truthiness tests on these
    names = getattr(obj, "colnames", None)
    names = list(getattr(obj, "columns", []) if names is None else names)
    if not names:
        raise DataError(f"Cannot use a {type(obj).__name__} as a light curve: give a path, an "
                        "astropy Table, a DataFrame, a (time, flux) tuple or a LightCurve.")
    table, systems = {}, {}
    for column in names:
        values = obj[column]
        if hasattr(values, "format") and hasattr(values, "jd"):  # an astropy Time column
            systems[str(column)] = _astropy_time_system(values)
            values = _time_values(values)
        values = _plain(values)
        if values.ndim == 1 and values.dtype.kind in "biuf":
            table[str(column)] = values.astype(np.float64)
    return _from_table(RawTable(table, name, systems=systems), None, None)


def to_mission_time(lc: CustomLightCurve, target_system: str, bjd_reference: float) -> np.ndarray:
    """``lc.time`` in the target pixel file's system (BJD - ``bjd_reference``).

    The offset between the two systems is computed first from exact constants and added once,
    so a round trip loses nothing. 'unknown' times are taken to be in the target's system.
    """
    time = np.asarray(lc.time, dtype=np.float64)
    if lc.time_system in ("unknown", target_system):
        return time.copy()
    return time + (SYSTEM_OFFSET[lc.time_system] - float(bjd_reference))


# -- shared: choose columns, guess the time system, clean rows ----------------------------------

def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _rank(role: str, name: str) -> int | None:
    key, names = _key(name), _NAMES[role]
    if key in names:
        return names.index(key)
    return len(names) if _LOOSE[role](key) else None


def _from_table(raw: RawTable, columns, time_system) -> CustomLightCurve:
    """Choose the columns (the person's picks first, then recognised names) and assemble."""
    table, name, headerless = raw.columns, raw.label, raw.headerless
    names = raw.comment_names
    if headerless and names and all(any(_rank(r, n) is not None for n in names)
                                    for r in ("time", "flux")):
        # the last comment line names the columns (only believed when it names time and flux)
        renamed = dict(zip([f"col{i + 1}" for i in range(len(names))], names, strict=True))
        table, headerless = {renamed[c]: v for c, v in table.items()}, False
    columns = {r: c for r, c in (columns or {}).items() if c}
    for role, column in columns.items():
        if role not in ROLES:
            raise DataError(f"Unknown column role '{role}'; use one of {', '.join(ROLES)}.")
        if column not in table:
            raise DataError(f"{name} has no numeric column '{column}' for {role}; its numeric "
                            f"columns are: {', '.join(table) or 'none'}.")
    candidates = {}
    for role in ROLES:
        ranked = sorted((r, i, n) for i, n in enumerate(table) if (r := _rank(role, n)) is not None)
        candidates[role] = [n for _, _, n in ranked] + [n for n in table if _rank(role, n) is None]
    chosen = dict(columns)
    for role in ROLES:
        if role in chosen:
            continue
        taken = set(chosen.values())
        options = [n for n in candidates[role] if _rank(role, n) is not None and n not in taken]
        if role == "flux_err" and "flux" in chosen:  # the error of the flux actually used
            key = _key(chosen["flux"])
            paired = [n for n in options if _key(n) in (key + "err", key + "error", "e" + key)]
            options = paired + options
        if options:
            chosen[role] = options[0]
    notes = list(raw.notes)
    if headerless and not columns:
        chosen = {"time": "col1", "flux": "col2"}
        if "col3" in table:
            chosen["flux_err"] = "col3"
        notes.append("The file has no header row, so column 1 was taken as time, column 2 as flux"
                     + (" and column 3 as its error" if "col3" in table else "")
                     + ". Pick other columns if that is wrong.")
    for role in ("time", "flux"):
        if role not in chosen:
            raise DataError(f"{name} has no column recognisable as {role} (numeric columns: "
                            f"{', '.join(table)}). Name it e.g. "
                            f"{_EXAMPLES[role]}, or pick it by hand.")
    def describe(column, values):
        declared = raw.systems.get(column)
        if declared and (declared[0] == "BJD" or _typical(values) < 2_400_000):
            return declared
        # no metadata, or metadata the values contradict
        return _guess_system(values, column, raw.context)
    return _assemble(table, chosen, candidates, name, notes, time_system, describe)


def _assemble(table, chosen, candidates, name, notes, time_system,
              describe: Callable) -> CustomLightCurve:
    try:
        arrays = {role: np.asarray(table[col], dtype=np.float64).ravel()
                  for role, col in chosen.items()}
    except (TypeError, ValueError):
        raise DataError(f"{name}: time, flux and the other columns must be numbers.") from None
    n = arrays["time"].size
    for role, values in arrays.items():
        if values.size != n:
            raise DataError(f"{name}: {role} has {values.size} values but time has {n}; they "
                            "must be the same length.")
    if n == 0 or not np.isfinite(arrays["flux"]).any():
        raise DataError(f"{name}: the flux column '{chosen['flux']}' has no finite values (all "
                        "NaN or empty). Pick another flux column or check the file.")
    notes = list(notes)
    if time_system:
        system = {"JD": "BJD", "BJD_TDB": "BJD", "UNKNOWN": "unknown"}.get(
            time_system.upper(), time_system.upper())
        if system not in TIME_SYSTEMS:
            raise DataError(f"Unknown time system '{time_system}'; choose BKJD, BTJD, BJD or MJD.")
        reason = f"{system} as chosen"
    else:
        system, reason = describe(chosen["time"], arrays["time"])
        reason = f"column '{chosen['time']}' with values ~{_typical(arrays['time']):.6g}: {reason}"
    if system.startswith("BJD+"):  # another reference day: move to plain BJD, which is exact
        arrays["time"] = arrays["time"] + float(system[4:])
        system = "BJD"
        notes.append("Times were shifted to BJD using the file's own reference day.")
    keep = np.isfinite(arrays["time"])
    if not keep.all():
        notes.append(f"{int((~keep).sum())} row(s) without a time were dropped.")
        arrays = {r: v[keep] for r, v in arrays.items()}
    if arrays["time"].size == 0:
        raise DataError(f"{name}: no row has a finite time in column '{chosen['time']}'.")
    order = np.argsort(arrays["time"], kind="stable")
    if np.any(np.diff(order) < 0):
        notes.append("Times were not in order; the rows were sorted by time.")
        arrays = {r: v[order] for r, v in arrays.items()}
    first = np.concatenate(([True], np.diff(arrays["time"]) != 0))
    if not first.all():
        notes.append(f"{int((~first).sum())} row(s) repeating an earlier time were removed "
                     "(the first of each was kept).")
        arrays = {r: v[first] for r, v in arrays.items()}
    integers = {}
    for role in ("cadenceno", "quality"):
        values = arrays.get(role)
        if values is not None and np.isfinite(values).all() and np.all(values == np.round(values)):
            integers[role] = values.astype(np.int64)
        elif values is not None:
            notes.append(f"Column '{chosen[role]}' has missing or fractional values, so it is "
                         f"not used as {role}.")
            chosen.pop(role)
    return CustomLightCurve(
        time=arrays["time"], flux=arrays["flux"], flux_err=arrays.get("flux_err"),
        cadenceno=integers.get("cadenceno"), quality=integers.get("quality"),
        time_system=system, time_system_reason=reason, columns=chosen,
        candidates=candidates, name=name, notes=notes)


def _typical(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if finite.size else float("nan")


def _guess_system(values: np.ndarray, column: str, context: str) -> tuple[str, str]:
    """The time system that values, column name and mission context point to, and why."""
    typical, key = _typical(values), _key(column)
    if typical > 2_400_000:
        return "BJD", "Julian dates (over 2,400,000), taken as BJD" + (
            "; a plain JD differs from BJD by up to 8.3 minutes" if "bjd" not in key else "")
    if 40_000 <= typical <= 70_000:
        return "MJD", "in the range of Modified Julian Dates (40,000-70,000)"
    for system, words in (("BTJD", ("btjd", "tbjd")), ("BKJD", ("bkjd",))):
        if any(w in key for w in words):
            return system, f"the column name says {system}"
    if not 0 < typical < 10_000:
        return "unknown", "no known time system fits, so taken to be the target pixel file's own"
    if _TESS_CONTEXT.search(context):
        return "BTJD", "a TESS file or name, so BTJD"
    if _KEPLER_CONTEXT.search(context):
        return "BKJD", "a Kepler/K2 file or name, so BKJD"
    if 100 <= typical < _FIRST_TESS_BTJD:
        return "BKJD", "before TESS began (BTJD 1325), so Kepler's BKJD"
    if typical < 100:
        return "unknown", "too small for a mission date, taken to be in the TPF's own system"
    return "unknown", "BKJD or BTJD, taken to be the target pixel file's own system"


# -- small helpers ------------------------------------------------------------------------------

def _plain(values) -> np.ndarray:
    """A plain float-or-int ndarray from Quantities, masked arrays and pandas Series."""
    values = getattr(values, "value", values)  # astropy Quantity
    if hasattr(values, "unmasked") and hasattr(values, "mask"):  # astropy Masked
        values = np.where(np.asarray(values.mask), np.nan, np.asarray(values.unmasked, dtype=float))
    if isinstance(values, np.ma.MaskedArray):
        values = values.astype(np.float64).filled(np.nan)
    values = np.asarray(values.to_numpy() if hasattr(values, "to_numpy") else values)
    if values.dtype.kind not in "biuf":
        try:
            values = values.astype(np.float64)
        except (TypeError, ValueError):
            return values
    return values.astype(values.dtype.newbyteorder("="))


def _astropy_time_system(time) -> tuple[str, str]:
    system = {"btjd": "BTJD", "bkjd": "BKJD", "jd": "BJD", "mjd": "MJD"}.get(str(time.format))
    return (system or "BJD"), ("used as is" if system else "converted to Julian dates")


def _time_values(time) -> np.ndarray:
    if str(time.format) in ("btjd", "bkjd", "jd", "mjd"):
        return _plain(time.value).astype(np.float64)
    return _plain(time.jd).astype(np.float64)
