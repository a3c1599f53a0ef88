"""Known solar-system objects on the stamp at one cadence, from IMCCE's SkyBoT.

``astroquery.imcce.Skybot.cone_search`` builds the request (a GET to the cone-search URL with
``-ra -dec -rd -ep -loc ...``) and parses SkyBoT's VOTable; :class:`_Skybot` only sends it to the
configured URL with the service's timeout. The observer is the spacecraft itself (SkyBoT's
observatory codes C55 for Kepler and K2, C57 for TESS), so parallax is SkyBoT's to handle.

Epoch: the cadence's mid-time as the spacecraft saw it. The file's TIME is barycentric (BJD,
TDB); TIMECORR is the light-time correction the pipeline added, so TIME - TIMECORR is the
spacecraft's own time (minutes away from BJD: a main-belt asteroid moves about a Kepler pixel
in that time), converted to the UTC Julian date SkyBoT expects by astropy.

Motion: SkyBoT's rates (dRA cos(dec), dDec, arcsec/h) over one cadence (TIMEDEL), turned into
stamp pixels through the WCS. Positions are stamp pixels (x = column index, y = row index).
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord
from astropy.time import Time

from ..errors import DataError
from ..wcs import sky_to_pixel, stamp_wcs
from .field import stamp_cone
from .services import SKYBOT_URL, SkyService, setting_url
from .sources import finite_or_none

if TYPE_CHECKING:
    from ..tpf import TargetPixelFile

OBSERVATORY = {"Kepler": "C55", "K2": "C55", "TESS": "C57"}
MARGIN_PX = 3.0
NEAR_TRACK_PX = 3.0


@dataclass
class KnownObject:
    name: str  # "2014 UP224", "Ceres"
    number: int | None  # the minor-planet number, None when unnumbered
    kind: str  # SkyBoT's class: "MB>Middle", "NEA>Apollo", "Comet", ...
    ra: float  # degrees at ``jd_utc``
    dec: float
    v_mag: float | None
    ra_rate: float  # arcsec/h, dRA * cos(dec)
    dec_rate: float  # arcsec/h
    position_error_arcsec: float | None
    x: float  # stamp pixels at ``frame``
    y: float
    dx: float  # stamp pixels per cadence
    dy: float
    frame: int
    jd_utc: float

    def position_at(self, frame) -> tuple[np.ndarray, np.ndarray]:
        """Where the object is at other frames, moving on its straight line."""
        steps = np.asarray(frame, dtype=float) - self.frame
        return self.x + self.dx * steps, self.y + self.dy * steps

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> KnownObject:
        return cls(**data)


@dataclass
class KnownObjects:
    """SkyBoT's answer for one cadence, placed on the stamp."""

    frame: int
    jd_utc: float
    utc: str
    observatory: str
    objects: list[KnownObject] = field(default_factory=list)
    from_cache: bool = False

    def to_dict(self) -> dict:
        return {"frame": self.frame, "jd_utc": self.jd_utc, "utc": self.utc,
                "observatory": self.observatory, "from_cache": self.from_cache,
                "objects": [o.to_dict() for o in self.objects]}


@functools.cache
def _skybot_class():
    """astroquery's SkyBoT client bound to our URL and timeout, made when first asked for
    (astroquery is ~7 MiB of every server process otherwise)."""
    from astroquery.imcce import SkybotClass

    class _Skybot(SkybotClass):
        def __init__(self, url: str, timeout: float):
            super().__init__()
            self.url, self.timeout = url, timeout

        def _request(self, method, url, **kwargs):
            kwargs.update(timeout=self.timeout, cache=False)
            return super()._request(method, self.url, **kwargs)

    return _Skybot


class SkyBoT(SkyService):
    """IMCCE's SkyBoT cone search. ``url``: the cone-search URL.

    SkyBoT rate-limits (about two queries at once): ask only for the cadence a person asks
    about, and let the cache answer repeats."""

    name = "SkyBoT (IMCCE)"
    key = "skybot"

    def __init__(self, url: str | None = None, timeout: float | None = None, cache=None):
        super().__init__(setting_url(url, SKYBOT_URL), timeout,
                         cache)

    def cone(self, ra: float, dec: float, radius_deg: float, jd_utc: float,
             observatory: str) -> tuple[list[dict], bool]:
        """SkyBoT's objects within ``radius_deg`` of (ra, dec) at ``jd_utc`` seen from
        ``observatory``, as plain records, and whether they came from the cache."""
        key = self.cache_key(ra, dec, radius_deg, f"{jd_utc:.5f}", observatory)
        value, cached = self.cached(
            key, lambda: self._query(ra, dec, radius_deg, jd_utc, observatory))
        return value["objects"], cached

    def _query(self, ra, dec, radius_deg, jd_utc, observatory) -> dict:
        skybot = _skybot_class()(self.url, self.timeout)  # per query: the client keeps query state
        with self._sessions(skybot._session), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # NoResultsWarning: an empty list says it
            table = skybot.cone_search(
                SkyCoord(ra * u.deg, dec * u.deg, frame="icrs"), radius_deg * u.deg,
                Time(jd_utc, format="jd", scale="utc"), location=observatory, cache=False)
        if not len(table):
            return {"objects": []}
        return {"objects": [_record(row) for row in table]}


def _record(row) -> dict:
    number = row["Number"]
    return {"name": str(row["Name"]).strip(),
            "number": None if np.ma.is_masked(number) or not number else int(number),
            "kind": str(row["Type"]).strip(), "ra": float(_value(row["RA"])),
            "dec": float(_value(row["DEC"])), "v_mag": finite_or_none(_value(row["V"])),
            "ra_rate": float(_value(row["RA_rate"])), "dec_rate": float(_value(row["DEC_rate"])),
            "position_error_arcsec": finite_or_none(_value(row["posunc"]))}


def _value(quantity):
    return getattr(quantity, "value", quantity)


def cadence_jd_utc(tpf: TargetPixelFile, frame: int) -> float:
    """UTC Julian date of ``frame``'s mid-time at the spacecraft (TIME - TIMECORR)."""
    time = float(tpf.time[frame])
    if not math.isfinite(time):
        raise DataError(f"Frame {frame} has no time in the file, so there is no epoch to ask "
                        "SkyBoT about.")
    correction = 0.0
    if tpf.timecorr is not None and math.isfinite(float(tpf.timecorr[frame])):
        correction = float(tpf.timecorr[frame])
    return float(Time(time - correction + tpf.bjd_reference, format="jd", scale="tdb").utc.jd)


def _cadence_hours(tpf: TargetPixelFile) -> float:
    if tpf.cadence_days:
        return tpf.cadence_days * 24.0
    steps = np.diff(tpf.time[np.isfinite(tpf.time)])
    return float(np.median(steps)) * 24.0 if steps.size else 0.0


def known_objects(tpf: TargetPixelFile, frame: int, service: SkyBoT,
                  margin_px: float = MARGIN_PX) -> KnownObjects:
    """The known objects on the stamp (or within ``margin_px`` of it) at ``frame``."""
    observatory = OBSERVATORY.get(tpf.mission)
    if observatory is None:
        raise DataError(f"No SkyBoT observatory code is known for {tpf.mission}.")
    wcs = stamp_wcs(tpf)
    jd_utc = cadence_jd_utc(tpf, frame)
    ra, dec, radius = stamp_cone(tpf, margin_px=margin_px)
    records, cached = service.cone(ra, dec, radius, jd_utc, observatory)
    hours = _cadence_hours(tpf)
    rows, columns = tpf.shape
    objects = []
    for record in records:
        x, y = sky_to_pixel(wcs, record["ra"], record["dec"])
        cos_dec = max(math.cos(math.radians(record["dec"])), 1e-6)
        x1, y1 = sky_to_pixel(wcs, record["ra"] + record["ra_rate"] * hours / 3600 / cos_dec,
                              record["dec"] + record["dec_rate"] * hours / 3600)
        x, y, x1, y1 = float(x), float(y), float(x1), float(y1)
        if not (-0.5 - margin_px <= x <= columns - 0.5 + margin_px
                and -0.5 - margin_px <= y <= rows - 0.5 + margin_px):
            continue
        objects.append(KnownObject(**record, x=x, y=y, dx=x1 - x, dy=y1 - y, frame=int(frame),
                                   jd_utc=jd_utc))
    utc = Time(jd_utc, format="jd", scale="utc").strftime("%Y-%m-%d %H:%M:%S")
    return KnownObjects(frame=int(frame), jd_utc=jd_utc, utc=str(utc), observatory=observatory,
                        objects=objects, from_cache=cached)


# -- naming a moving blip ---------------------------------------------------------------------
def _track_arrays(track) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if isinstance(track, dict):
        parts = track["frames"], track["rows"], track["cols"]
    elif hasattr(track, "frames"):
        parts = track.frames, track.rows, track.cols
    else:
        parts = track
    frames, rows, cols = (np.asarray(p, dtype=float).ravel() for p in parts)
    if not frames.size or not frames.size == rows.size == cols.size:
        raise ValueError("a track needs equally many frames, rows and cols (at least one)")
    return frames, rows, cols


def track_separation(track, known: KnownObject | dict) -> float:
    """RMS distance in stamp pixels between a fitted track and where ``known`` is at the
    track's frames. ``track``: (frames, rows, cols), or an object or dict with those names."""
    known = KnownObject.from_dict(known) if isinstance(known, dict) else known
    frames, rows, cols = _track_arrays(track)
    x, y = known.position_at(frames)
    return float(np.sqrt(np.mean((cols - x) ** 2 + (rows - y) ** 2)))


def nearest_known_object(track, objects, max_px: float = NEAR_TRACK_PX) -> KnownObject | None:
    """The known object (KnownObject or its dict) closest to the fitted ``track`` if it stays
    within ``max_px`` stamp pixels of it (RMS over the track's frames), else None."""
    best, best_separation = None, math.inf
    for known in objects:
        known = KnownObject.from_dict(known) if isinstance(known, dict) else known
        separation = track_separation(track, known)
        if separation < best_separation:
            best, best_separation = known, separation
    return best if best_separation <= max_px else None
