"""What a TPF's FITS headers say: the mission, the time system, the target's name."""

from __future__ import annotations

#: Offsets of the missions' barycentric Julian dates: BKJD = BJD - 2454833, BTJD = BJD - 2457000.
BJD_REFERENCE = {"BKJD": 2454833.0, "BTJD": 2457000.0}


def mission_of(primary) -> str:
    telescope = str(primary.get("TELESCOP", "")).strip().upper()
    if telescope == "TESS":
        return "TESS"
    if str(primary.get("MISSION", "")).strip().upper() == "K2" or "CAMPAIGN" in primary:
        return "K2"
    return "Kepler"


def time_system_of(header, mission: str) -> tuple[str, float]:
    reference = header.get("BJDREFI")
    if reference is None:
        system = "BTJD" if mission == "TESS" else "BKJD"
        return system, BJD_REFERENCE[system]
    reference = float(reference) + float(header.get("BJDREFF", 0.0))
    for system, value in BJD_REFERENCE.items():
        if abs(reference - value) < 1e-6:
            return system, value
    return f"BJD - {reference:g}", reference


def target_name(primary, mission: str) -> tuple[str, int | None]:
    target_id = int_or_none(primary.get("TICID") if mission == "TESS" else primary.get("KEPLERID"))
    name = str(primary.get("OBJECT", "") or "").strip()
    if name:
        return name, target_id
    if target_id is not None:
        prefix = {"TESS": "TIC", "K2": "EPIC"}.get(mission, "KIC")
        return f"{prefix} {target_id}", target_id
    ra, dec = primary.get("RA_OBJ"), primary.get("DEC_OBJ")
    if ra is not None and dec is not None:
        return f"RA {float(ra):.5f}, Dec {float(dec):+.5f}", None
    return "unknown target", None


def int_or_none(value) -> int | None:
    try:
        return None if value is None or value == "" else int(value)
    except (TypeError, ValueError):
        return None


def float_or_none(value) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None
