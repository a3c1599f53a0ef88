"""Catalogue sources placed on one stamp at the file's epoch: the cone to ask for and the field.

Positions are moved from each source's reference epoch to the file's epoch (its mid-time, see
:func:`dashboard.data.wcs.observation_epoch`) with ``SkyCoord.apply_space_motion`` (no parallax
or radial velocity: over a few decades these move a star by far less than a pixel), then put on
the stamp with the file's WCS. Pixel positions are stamp pixels (x = column index, y = row
index, 0-based), as everywhere in the data layer.

The target is the catalogue entry with the file's own id (TIC files), otherwise the brightest
entry within :data:`MATCH_PX` of the position the header gives (RA_OBJ/DEC_OBJ moved with the
header's proper motion). Sources fainter than the target by more than ``mag_range`` are left
out; sources without a magnitude are kept (nothing says they are faint).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord
from astropy.time import Time
from erfa import ErfaWarning

from ..wcs import observation_epoch, pixel_scale_arcsec, pixel_to_sky, sky_to_pixel, stamp_wcs
from .sources import Source, target_source

if TYPE_CHECKING:
    from ..tpf import TargetPixelFile

DEFAULT_MAG_RANGE = 6.0  # a neighbour 6 mag fainter adds 0.4 % of the target's flux at most
MATCH_PX = 1.0
MARGIN_PX = 2.0  # sources this far outside the stamp still put light on its edge pixels
# Cone allowance for stars that moved onto the stamp since the catalogue epoch; faster stars
# are a handful on the whole sky (Barnard's star, 10.4"/yr, is the fastest).
MAX_PM_ARCSEC_PER_YR = 3.0


@dataclass
class SkyField:
    """Sources of one catalogue on one stamp at one epoch (arrays in the order of ``sources``)."""

    catalogue: str
    epoch: float  # Julian year the positions are for
    sources: list[Source]
    ra: np.ndarray  # degrees at ``epoch``
    dec: np.ndarray
    x: np.ndarray  # stamp pixels (column index), 0-based
    y: np.ndarray  # stamp pixels (row index)
    target: int | None  # index of the file's target in ``sources``, None when not found
    target_x: float | None  # where the target is on the stamp (catalogue or header position)
    target_y: float | None
    separation_arcsec: np.ndarray  # from the target; NaN when its position is unknown
    separation_px: np.ndarray
    pixel_scale_arcsec: float
    mag_limit: float | None = None
    dropped_faint: int = 0
    notes: list[str] = field(default_factory=list)
    truncated: bool = False  # the service's row limit was reached
    from_cache: bool = False

    def __len__(self) -> int:
        return len(self.sources)

    @property
    def mags(self) -> np.ndarray:
        return np.array([np.nan if s.mag is None else s.mag for s in self.sources], dtype=float)

    def to_dict(self) -> dict:
        """Plain JSON-able data (lists, floats, None for NaN) for a page store or a cache."""
        def floats(values):
            return [None if not np.isfinite(v) else float(v) for v in np.asarray(values, float)]
        return {
            "catalogue": self.catalogue, "epoch": self.epoch,
            "sources": [s.to_dict() for s in self.sources],
            "ra": floats(self.ra), "dec": floats(self.dec), "x": floats(self.x),
            "y": floats(self.y), "target": self.target, "target_x": self.target_x,
            "target_y": self.target_y, "separation_arcsec": floats(self.separation_arcsec),
            "separation_px": floats(self.separation_px),
            "pixel_scale_arcsec": self.pixel_scale_arcsec, "mag_limit": self.mag_limit,
            "dropped_faint": self.dropped_faint, "notes": list(self.notes),
            "truncated": self.truncated, "from_cache": self.from_cache,
        }

    @classmethod
    def from_dict(cls, data: dict) -> SkyField:
        values = dict(data)
        values["sources"] = [Source.from_dict(s) for s in data["sources"]]
        for name in ("ra", "dec", "x", "y", "separation_arcsec", "separation_px"):
            values[name] = np.array([np.nan if v is None else v for v in data[name]], float)
        return cls(**values)


def stamp_cone(tpf: TargetPixelFile, margin_px: float = MARGIN_PX,
               years: float = 0.0) -> tuple[float, float, float]:
    """(ra, dec, radius) in degrees of a cone holding the whole stamp, ``margin_px`` around it,
    and room for stars moving up to MAX_PM_ARCSEC_PER_YR for ``years``."""
    wcs = stamp_wcs(tpf)
    rows, columns = tpf.shape
    centre = pixel_to_sky(wcs, (columns - 1) / 2, (rows - 1) / 2)
    corner_x = np.array([-0.5, columns - 0.5, -0.5, columns - 0.5])
    corner_y = np.array([-0.5, -0.5, rows - 0.5, rows - 0.5])
    ra, dec = pixel_to_sky(wcs, corner_x, corner_y)
    reach = float(np.max(angular_distance_deg(centre[0], centre[1], ra, dec)))
    scale_deg = pixel_scale_arcsec(wcs) / 3600.0
    radius = reach + margin_px * scale_deg + abs(years) * MAX_PM_ARCSEC_PER_YR / 3600.0
    return float(centre[0]), float(centre[1]), radius


def angular_distance_deg(ra1, dec1, ra2, dec2) -> np.ndarray:
    """Great-circle distance in degrees (haversine: exact at the small separations used here)."""
    ra1, dec1, ra2, dec2 = (np.radians(np.asarray(v, dtype=float)) for v in (ra1, dec1, ra2, dec2))
    term = (np.sin((dec2 - dec1) / 2) ** 2
            + np.cos(dec1) * np.cos(dec2) * np.sin((ra2 - ra1) / 2) ** 2)
    return np.degrees(2 * np.arcsin(np.sqrt(np.clip(term, 0.0, 1.0))))


def propagate(sources: list[Source], epoch: float) -> tuple[np.ndarray, np.ndarray]:
    """RA and Dec (degrees) of ``sources`` at Julian year ``epoch``, moved with their proper
    motions (none: the catalogue position)."""
    if not sources:
        return np.empty(0), np.empty(0)
    ra = np.array([s.ra for s in sources], dtype=float)
    dec = np.array([s.dec for s in sources], dtype=float)
    pmra = np.array([s.pmra or 0.0 for s in sources], dtype=float)
    pmdec = np.array([s.pmdec or 0.0 for s in sources], dtype=float)
    moving = (pmra != 0) | (pmdec != 0)
    if not moving.any():
        return ra, dec
    reference = np.array([s.ref_epoch for s in sources], dtype=float)[moving]
    coords = SkyCoord(ra[moving] * u.deg, dec[moving] * u.deg, frame="icrs",
                      pm_ra_cosdec=pmra[moving] * u.mas / u.yr, pm_dec=pmdec[moving] * u.mas / u.yr,
                      obstime=Time(reference, format="jyear"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ErfaWarning)  # "distance overridden": none is given
        moved = coords.apply_space_motion(new_obstime=Time(epoch, format="jyear"))
    ra, dec = ra.copy(), dec.copy()
    ra[moving], dec[moving] = moved.ra.deg, moved.dec.deg
    return ra, dec


def place_sources(tpf: TargetPixelFile, sources: list[Source], catalogue: str = "",
                  epoch: float | None = None, mag_range: float | None = DEFAULT_MAG_RANGE,
                  margin_px: float = MARGIN_PX) -> SkyField:
    """The ``sources`` that fall on the stamp (or within ``margin_px`` of it) at ``epoch``
    (default: the file's mid-time), with the target found and faint sources left out."""
    wcs = stamp_wcs(tpf)
    epoch = observation_epoch(tpf) if epoch is None else float(epoch)
    catalogue = catalogue or (sources[0].catalogue if sources else "catalogue")
    scale = pixel_scale_arcsec(wcs)
    ra, dec = propagate(sources, epoch)
    x, y = sky_to_pixel(wcs, ra, dec) if sources else (np.empty(0), np.empty(0))
    rows, columns = tpf.shape
    on = ((x >= -0.5 - margin_px) & (x <= columns - 0.5 + margin_px)
          & (y >= -0.5 - margin_px) & (y <= rows - 0.5 + margin_px))
    keep = np.flatnonzero(on)
    sources = [sources[i] for i in keep]
    ra, dec, x, y = ra[keep], dec[keep], x[keep], y[keep]

    header_target = target_source(tpf)
    target_ra = target_dec = target_x = target_y = None
    if header_target is not None:
        (target_ra,), (target_dec,) = propagate([header_target], epoch)
        target_x, target_y = (float(v) for v in sky_to_pixel(wcs, target_ra, target_dec))
    target = _find_target(tpf, sources, x, y, target_x, target_y)
    notes = [f"Positions at epoch {epoch:.2f} (the file's mid-time), moved from the "
             "catalogue epoch with proper motions."]
    if target is not None:
        target_ra, target_dec = float(ra[target]), float(dec[target])
        target_x, target_y = float(x[target]), float(y[target])
    elif header_target is not None:
        notes.append(f"The target is not in {catalogue} within {MATCH_PX:g} pixel of its header "
                     "position; distances are from the header position.")

    mag_limit, dropped = None, 0
    reference_mag = (sources[target].mag if target is not None else None)
    if reference_mag is None and header_target is not None:
        reference_mag = header_target.mag
    if mag_range is not None and reference_mag is not None:
        mag_limit = reference_mag + mag_range
        bright = [i for i, s in enumerate(sources) if s.mag is None or s.mag <= mag_limit
                  or i == target]
        dropped = len(sources) - len(bright)
        if dropped:
            target = bright.index(target) if target is not None else None
            sources = [sources[i] for i in bright]
            ra, dec, x, y = ra[bright], dec[bright], x[bright], y[bright]
            notes.append(f"{dropped} source(s) fainter than {mag_limit:.1f} mag (target + "
                         f"{mag_range:g}) left out.")
    if target_ra is None:
        separation_arcsec = separation_px = np.full(len(sources), np.nan)
    else:
        separation_arcsec = angular_distance_deg(target_ra, target_dec, ra, dec) * 3600.0
        separation_px = np.hypot(x - target_x, y - target_y)
    return SkyField(catalogue=catalogue, epoch=epoch, sources=sources, ra=ra, dec=dec, x=x,
                    y=y, target=target, target_x=target_x, target_y=target_y,
                    separation_arcsec=separation_arcsec, separation_px=separation_px,
                    pixel_scale_arcsec=scale, mag_limit=mag_limit, dropped_faint=dropped,
                    notes=notes)


def _find_target(tpf, sources, x, y, target_x, target_y) -> int | None:
    name = str(tpf.target).strip().lower()
    for i, source in enumerate(sources):
        # A bare number is only the target's in its own catalogue: KIC 11904151 and
        # TIC 11904151 are different stars.
        own = (tpf.mission == "TESS" and source.catalogue == "TIC"
               and tpf.target_id is not None and source.id == str(tpf.target_id))
        if own or source.id.strip().lower() == name:
            return i
    if target_x is None or not len(sources):
        return None
    near = np.flatnonzero(np.hypot(x - target_x, y - target_y) <= MATCH_PX)
    if not near.size:
        return None
    mags = np.array([np.inf if sources[i].mag is None else sources[i].mag for i in near])
    return int(near[np.argmin(mags)])
