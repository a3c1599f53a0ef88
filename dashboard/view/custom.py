"""The user's own light curve on a view: parsed, put in the TPF's time system, registered
cadence by cadence, and drawn on the TPF's flux axis or on one of its own.

The browser's ``custom`` store holds ``{"id", "name", "columns", "time_system"}``: the id of
the uploaded bytes in the store plus the user's choices, so any worker can rebuild it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from ..data.lightcurves import read_lightcurve, to_mission_time
from ..data.registration import register as register_points

BLOB_KIND = "lightcurves"
TIME_SYSTEMS = ("auto", "BKJD", "BTJD", "BJD", "MJD")
_ROLES = ("time", "flux", "flux_err")
# A custom curve whose median is within this factor of the aperture's shares its flux axis;
# further apart (K2SFF's FCOR ~1 beside a TPF's 1e5 e-/s) it gets an axis of its own.
SHARED_AXIS_FACTOR = 3.0


@dataclass(frozen=True)
class CustomOnView:
    lc: object  # the CustomLightCurve as read
    time: np.ndarray  # in the TPF's time system
    flux: np.ndarray  # as drawn: normalised when the view says so
    frames: np.ndarray  # per point: the TPF frame it registers to, or -1
    summary: str
    own_axis: bool  # drawn on a y axis of its own (other units)
    per_frame: np.ndarray  # per TPF frame: the custom value drawn there, NaN where none

    @property
    def name(self) -> str:
        return self.lc.name

    @property
    def label(self) -> str:
        """The curve's own axis title: its flux column (the file's name is in the legend)."""
        column = self.lc.columns.get("flux")
        return f"your curve: {column}" if column else "your curve"


def parse_custom(data) -> dict | None:
    """The ``custom`` store's reference, validated (it comes back from the page): None for no
    curve or anything not of its shape."""
    import re

    if not isinstance(data, dict) or not isinstance(data.get("id"), str) \
            or not re.fullmatch(r"[0-9a-f]{20}", data["id"]):
        return None
    columns = data.get("columns")
    columns = {role: name for role, name in columns.items()
               if role in _ROLES and isinstance(name, str) and name} \
        if isinstance(columns, dict) else {}
    system = data.get("time_system")
    return {"id": data["id"], "name": str(data.get("name") or "custom")[:200],
            "columns": columns or None,
            "time_system": system if system in TIME_SYSTEMS else "auto"}


def registered(store, custom: dict, fid: str):
    """(CustomLightCurve, times in the TPF's system, Registration), once per (upload, column
    and time-system choices, TPF) in the store, keyed by ids, so a registration can never be
    served for another file."""
    columns = ",".join(f"{role}={name}" for role, name in sorted(
        (custom.get("columns") or {}).items()))
    key = f"custom:{custom['id']}:{columns}:{custom.get('time_system')}"

    def compute(tpf):
        data, name = store.get_blob(custom["id"], BLOB_KIND)
        system = custom.get("time_system")
        lc = read_lightcurve(data, name, columns=custom.get("columns") or None,
                             time_system=None if system in (None, "auto") else system)
        time = to_mission_time(lc, tpf.time_system, tpf.bjd_reference)
        by_cadence = lc.cadenceno is not None and not tpf.cadenceno_synthesised
        registration = register_points(
            time, tpf.time, cadence_days=tpf.cadence_days,
            custom_cadenceno=lc.cadenceno if by_cadence else None,
            tpf_cadenceno=tpf.cadenceno if by_cadence else None)
        return lc, time, registration
    return store.derived(fid, key, compute, share=False)


def normalised(values: np.ndarray) -> np.ndarray:
    """``values`` divided by their median (unchanged when there is no usable median)."""
    finite = np.isfinite(values)
    median = np.nanmedian(values) if finite.any() else np.nan
    return values / median if np.isfinite(median) and median != 0 else values


def on_view(store, custom: dict, fid: str, aperture_flux: np.ndarray,
            normalise: bool) -> CustomOnView:
    """The custom curve as the view draws it (raises DataError for an unreadable upload)."""
    tpf = store.get(fid)
    lc, time, registration = registered(store, custom, fid)
    flux = normalised(lc.flux) if normalise else np.asarray(lc.flux, dtype=np.float64)
    own_axis = not normalise and not _comparable(flux, aperture_flux)
    per_frame = np.full(tpf.n_cadences, np.nan)
    first = registration.points_by_frame(tpf.n_cadences)
    has = first >= 0
    per_frame[has] = flux[first[has]]
    return CustomOnView(lc, time, flux, registration.frames, registration.summary(), own_axis,
                        per_frame)


def notices(view: CustomOnView) -> list[str]:
    lc = view.lc
    out = [f"{lc.name}: {view.summary} Times read as {lc.time_system}: "
           f"{lc.time_system_reason}.", *lc.notes]
    if view.own_axis:
        out.append(f"{lc.name} is in other units than the aperture's e⁻/s: it is drawn on its "
                   "own axis (right); tick 'normalise' to put both on one.")
    return out


def _comparable(custom: np.ndarray, aperture: np.ndarray) -> bool:
    a = np.nanmedian(custom) if np.isfinite(custom).any() else np.nan
    b = np.nanmedian(aperture) if np.isfinite(aperture).any() else np.nan
    if not (np.isfinite(a) and np.isfinite(b)) or a <= 0 or b <= 0:
        return bool(np.isfinite(a) and np.isfinite(b) and a == b)
    return max(a / b, b / a) <= SHARED_AXIS_FACTOR


def lightcurve_blob(lc) -> bytes:
    """A CustomLightCurve given in Python (``show(lc=...)``), as CSV bytes the upload path
    reads back, so every worker can rebuild it from the store like an uploaded file."""
    columns = {"time": lc.time, "flux": lc.flux, "flux_err": lc.flux_err,
               "cadenceno": lc.cadenceno, "quality": lc.quality}
    names = [name for name, values in columns.items() if values is not None]
    table = np.column_stack([np.asarray(columns[name], dtype=np.float64) for name in names])
    buffer = io.StringIO()
    # %.17g: every float64 survives the text round trip exactly.
    np.savetxt(buffer, table, delimiter=",", header=",".join(names), comments="", fmt="%.17g")
    return buffer.getvalue().encode()
