"""Target pixel files as the archive lists them: reading MAST's tables, choosing and ordering.

Pure functions over the observation table of ``Observations.query_criteria`` and the product
table of ``Observations.get_product_list`` (their real column names: ``project``,
``provenance_name``, ``sequence_number``, ``t_exptime``, ``obsid``, ``distance``; ``obsID``,
``obs_id``, ``productFilename``, ``productSubGroupDescription``, ``dataURI``, ``size``,
``description``), so they are tested without any network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import DataError

MISSIONS = ("Kepler", "K2", "TESS")
PERIOD_WORD = {"Kepler": "Quarter", "K2": "Campaign", "TESS": "Sector"}
TPF_SUBGROUPS = frozenset({"LPD-TARG", "SPD-TARG", "TP", "FAST-TP"})
TPF_SUFFIXES = ("targ.fits.gz", "targ.fits", "tp.fits", "tp.fits.gz")
# Official pipelines first when everything else is equal (lightkurve's order, for the same reason:
# the first row is what most people expect to open).
_AUTHOR_ORDER = {"Kepler": 0, "K2": 0, "SPOC": 0, "TESS-SPOC": 1}


@dataclass(frozen=True)
class ArchiveProduct:
    """One target pixel file the archive holds."""

    mission: str  # "Kepler", "K2" or "TESS"
    target_name: str  # as MAST names it: "kplr008462852", "ktwo201572338", "261136679"
    period_label: str  # "Quarter 4", "Campaign 9a", "Sector 6"
    exposure_s: float | None  # 1800 / 60 for Kepler and K2 long / short cadence, 120, 20 ...
    author: str  # pipeline: "Kepler", "K2", "SPOC", "TESS-SPOC" ...
    size_bytes: int | None
    product_uri: str  # MAST dataURI, "mast:TESS/product/tess..._tp.fits"
    filename: str
    obs_id: str
    quarter: int | None = None
    campaign: int | None = None
    sector: int | None = None
    distance_arcsec: float = 0.0  # from the searched position (0 for an exact id match)

    @property
    def period(self) -> int | None:
        return next((p for p in (self.quarter, self.campaign, self.sector) if p is not None), None)

    @property
    def cache_key(self) -> str:
        return "mast:" + self.product_uri


def target_pixel_files(observations, products) -> list[ArchiveProduct]:
    """The TPFs among ``products``, each joined to its observation row, one per dataURI."""
    by_obsid = {str(row["obsid"]): row for row in observations}
    by_obs_id = {str(row["obs_id"]): row for row in observations}
    found: dict[str, ArchiveProduct] = {}
    for product in products:
        filename = _text(product, "productFilename")
        subgroup = _text(product, "productSubGroupDescription").upper()
        uri = _text(product, "dataURI")
        if not uri or not (subgroup in TPF_SUBGROUPS or filename.lower().endswith(TPF_SUFFIXES)):
            continue
        observation = by_obsid.get(_text(product, "obsID")) or by_obs_id.get(
            _text(product, "obs_id"))
        if observation is None or uri in found:
            continue
        found[uri] = _product(observation, product, filename, uri)
    return list(found.values())


def _product(observation, product, filename: str, uri: str) -> ArchiveProduct:
    mission = _text(observation, "project") or _text(observation, "obs_collection")
    mission = next((m for m in MISSIONS if m.lower() == mission.lower()), mission)
    description = _text(product, "description")
    number, suffix = _period(mission, _int(observation, "sequence_number"), description, filename)
    word = PERIOD_WORD.get(mission, "Period")
    label = f"{word} {number}{suffix}" if number is not None else f"{word} unknown"
    lowered = filename.lower()
    # Kepler and K2 observations list long- and short-cadence files together, so the file name
    # (lpd = long, spd = short) says the cadence; TESS observations each have one exposure time.
    exposure = (1800.0 if "_lpd-" in lowered else 60.0 if "_spd-" in lowered
                else 20.0 if "fast-tp" in lowered else _float(observation, "t_exptime"))
    return ArchiveProduct(
        mission=mission, target_name=_text(observation, "target_name"), period_label=label,
        exposure_s=exposure, author=_text(observation, "provenance_name") or mission,
        size_bytes=_int(product, "size"), product_uri=uri, filename=filename,
        obs_id=_text(product, "obs_id") or _text(observation, "obs_id"),
        quarter=number if mission == "Kepler" else None,
        campaign=number if mission == "K2" else None,
        sector=number if mission == "TESS" else None,
        distance_arcsec=_float(observation, "distance") or 0.0)


def _period(mission: str, sequence: int | None, description: str,
            filename: str) -> tuple[int | None, str]:
    """Quarter / campaign / sector, and 'a'/'b' for the two halves of K2 campaigns 9-11."""
    if mission == "Kepler":  # MAST leaves sequence_number empty for Kepler; descriptions end "- Q4"
        match = re.search(r"Q(\d+)\s*$", description)
        return (int(match.group(1)) if match else sequence), ""
    if mission == "K2":  # files of campaign 9's halves are named c91 and c92 (c101, c102 ...)
        match = re.search(r"-c(9|1[01])([12])_|-c(\d+)", filename.lower())
        if match and match.group(1):
            return int(match.group(1)), "ab"[int(match.group(2)) - 1]
        return (sequence if sequence is not None or not match else int(match.group(3))), ""
    match = re.search(r"-s(\d{4})-", filename.lower())
    return (sequence if sequence is not None or not match else int(match.group(1))), ""


_EXPOSURE_WORDS = {"fast": (0, 60), "short": (60, 200), "long": (200, 1e9)}  # as lightkurve's


def matches(product: ArchiveProduct, period: int | None, exposure: float | str | None) -> bool:
    """Whether a file is of the period asked for and within 10 % of the exposure asked for."""
    seconds = product.exposure_s
    if period is not None and product.period != int(period):
        return False
    if exposure is None:
        return True
    if str(exposure).lower() in _EXPOSURE_WORDS:
        low, high = _EXPOSURE_WORDS[str(exposure).lower()]
        return seconds is not None and low <= seconds < high
    try:
        wanted = float(exposure)
    except ValueError:
        raise DataError(f"Unknown exposure {exposure!r}; give seconds, fast, short or long.") \
            from None
    return seconds is not None and abs(seconds - wanted) <= 0.1 * wanted


def order(product: ArchiveProduct):
    mission = MISSIONS.index(product.mission) if product.mission in MISSIONS else len(MISSIONS)
    return (mission, product.period if product.period is not None else 1 << 30,
            product.period_label, product.exposure_s or 0.0,
            _AUTHOR_ORDER.get(product.author, 9), product.author, product.distance_arcsec,
            product.filename)


def exposure_text(seconds: float | None) -> str:
    return ("exposure unknown" if seconds is None
            else f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s")


def _value(row, column: str):
    """A cell, or None when the column is missing or the cell is masked (MAST's nulls)."""
    try:
        value = row[column]
    except KeyError:
        return None
    masked = bool(getattr(value, "mask", False)) or type(value).__name__ == "MaskedConstant"
    return None if masked else value


def _text(row, column: str) -> str:
    value = _value(row, column)
    return "" if value is None else str(value).strip()


def _float(row, column: str) -> float | None:
    try:
        return float(_value(row, column))
    except (TypeError, ValueError):
        return None


def _int(row, column: str) -> int | None:
    value = _float(row, column)
    return None if value is None else int(value)
