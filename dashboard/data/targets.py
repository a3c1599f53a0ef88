"""What a person typed into the target box, read into a :class:`Target`.

Accepted forms (case-insensitive, surrounding spaces ignored):

* Kepler: ``KIC 8462852``, ``KIC8462852``, ``kplr008462852`` -> kind ``kic``
* K2: ``EPIC 201572338``, ``ktwo201572338`` -> kind ``epic``
* TESS: ``TIC 261136679``, ``TIC261136679`` -> kind ``tic``
* bare digits, ``8462852`` -> kind ``id`` (see :func:`id_candidates` for the rule)
* coordinates in degrees, ``285.679 +50.241`` or ``285.679, 50.241``, or sexagesimal,
  ``19:02:43.1 +50:14:28.7``, ``19 02 43.1 +50 14 28.7`` or ``19h02m43.1s +50d14m28.7s``
  (right ascension in hours, declination in degrees, ICRS) -> kind ``coordinates``
* anything else made of letters, digits and ordinary punctuation, ``Kepler-10``, ``Pi Men``
  -> kind ``name``; resolving a name to a position needs the archive, so it happens there.

Anything else raises :class:`DataError` with a message that lists the accepted forms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import astropy.units as u
from astropy.coordinates import SkyCoord

from .errors import DataError

KINDS = ("kic", "epic", "tic", "id", "name", "coordinates")
MISSION_OF_KIND = {"kic": "Kepler", "epic": "K2", "tic": "TESS"}
LABEL_OF_KIND = {"kic": "KIC", "epic": "EPIC", "tic": "TIC"}

# Catalogue number ranges used to decide what a bare number may be. The KIC runs to 13,161,029
# and EPIC numbers were issued from 201,000,001 to 251,809,654 (K2 documentation), so a number
# in either range is also a valid TIC number and stays ambiguous; anything else can only be TIC.
_KIC_MAX = 13_161_029
_EPIC_RANGE = (201_000_001, 251_809_654)
_MAX_DIGITS = 10  # TIC numbers have at most ten digits
_MAX_LENGTH = 100

_PREFIXED = re.compile(r"(kic|kplr|epic|ktwo|tic)[\s_-]*(\d+)", re.IGNORECASE)
_PREFIX_KIND = {"kic": "kic", "kplr": "kic", "epic": "epic", "ktwo": "epic", "tic": "tic"}
_BROKEN_ID = re.compile(r"(kic|kplr|epic|ktwo|tic)(?:[\s_-]*\d.*)?", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)"
_DECIMAL_PAIR = re.compile(rf"({_NUMBER})\s*[,\s]\s*({_NUMBER})")
# A position is digits, signs and separators, with h/m/s/d/°/'/" unit marks only right after a
# number, so "HD 209458" (letters before digits) stays a name.
_UNIT_MARK = re.compile(r"(?<=[\d.])[hmsd°'\"]", re.IGNORECASE)
_POSITION_CHARACTERS = re.compile(r"[+\-.\d][\d\s+\-.:,]*")
_NAME = re.compile(r"[\w\s+\-.'*()\[\]/:]+")
_EXAMPLES = ("Enter a KIC, EPIC or TIC number (e.g. KIC 8462852, EPIC 201572338, TIC 261136679), "
             "a star name (e.g. Kepler-10) or coordinates (e.g. 285.679 +50.241 or "
             "19:02:43.1 +50:14:28.7).")


@dataclass(frozen=True)
class Target:
    kind: str  # one of KINDS
    id: int | None = None  # catalogue number for kic / epic / tic / id
    name: str | None = None  # the name as typed (stripped), for kind 'name'
    ra: float | None = None  # degrees, ICRS, for kind 'coordinates'
    dec: float | None = None
    mission_hint: str | None = None  # 'Kepler', 'K2' or 'TESS' when the id says which
    candidates: tuple[str, ...] = ()  # for kind 'id': the catalogues the number may belong to

    @property
    def label(self) -> str:
        """How the target reads back to a person: "KIC 8462852", "Pi Men", "285.67900 +50.24100"."""
        if self.kind in LABEL_OF_KIND:
            return f"{LABEL_OF_KIND[self.kind]} {self.id}"
        if self.kind == "id":
            return str(self.id)
        if self.kind == "coordinates":
            return f"{self.ra:.5f} {self.dec:+.5f}"
        return self.name or ""


def id_candidates(number: int) -> tuple[str, ...]:
    """The catalogues a bare number may name, most specific first.

    Rule: up to 13,161,029 it may be a KIC or a TIC number; from 201,000,001 to 251,809,654 an
    EPIC or a TIC number; otherwise only a TIC number. The archive searches all candidates at
    once and the results say which mission each file belongs to.
    """
    if 0 < number <= _KIC_MAX:
        return ("kic", "tic")
    if _EPIC_RANGE[0] <= number <= _EPIC_RANGE[1]:
        return ("epic", "tic")
    return ("tic",)


def parse_target(text: str) -> Target:
    """Read one target from free text; raise DataError (with the accepted forms) if it is none."""
    if not isinstance(text, str) or not text.strip():
        raise DataError("No target given. " + _EXAMPLES)
    text = " ".join(text.split())
    if len(text) > _MAX_LENGTH:
        raise DataError(f"That target is {len(text)} characters long; a target is a name, "
                        "a catalogue number or a position. " + _EXAMPLES)
    prefixed = _PREFIXED.fullmatch(text)
    if prefixed:
        kind = _PREFIX_KIND[prefixed.group(1).lower()]
        number = _catalogue_number(prefixed.group(2), f"{LABEL_OF_KIND[kind]} number")
        return Target(kind, id=number, mission_hint=MISSION_OF_KIND[kind])
    if _DIGITS.fullmatch(text):
        number = _catalogue_number(text, "catalogue number")
        candidates = id_candidates(number)
        hint = MISSION_OF_KIND["tic"] if candidates == ("tic",) else None
        return Target("id", id=number, mission_hint=hint, candidates=candidates)
    if _BROKEN_ID.fullmatch(text):
        # "KIC", "TIC 12a", "EPIC 2015-72": a catalogue prefix without a clean number after it.
        raise DataError(f"'{text}' starts like a catalogue id but is not followed by a number. "
                        + _EXAMPLES)
    if _POSITION_CHARACTERS.fullmatch(_UNIT_MARK.sub(" ", text)):
        ra, dec = _parse_position(text)
        return Target("coordinates", ra=ra, dec=dec)
    if _NAME.fullmatch(text) and re.search(r"[^\W\d_]", text):
        return Target("name", name=text)
    raise DataError(f"'{text}' is not a target this dashboard can look up. " + _EXAMPLES)


def _catalogue_number(digits: str, what: str) -> int:
    number = int(digits)
    if number <= 0 or len(digits.lstrip("0")) > _MAX_DIGITS:
        raise DataError(f"{digits} is not a valid {what}: it must be a positive number of at "
                        f"most {_MAX_DIGITS} digits. " + _EXAMPLES)
    return number


def _parse_position(text: str) -> tuple[float, float]:
    """Right ascension and declination in degrees from decimal or sexagesimal text."""
    decimal = _DECIMAL_PAIR.fullmatch(text)
    if decimal:
        ra, dec = float(decimal.group(1)), float(decimal.group(2))
        if not 0 <= ra < 360 or not -90 <= dec <= 90:
            raise DataError(f"'{text}' is outside the sky: right ascension runs from 0 to 360 "
                            "degrees and declination from -90 to +90.")
        return ra, dec
    try:
        # Sexagesimal right ascension is in hours (19:02:43.1 = 285.68 degrees); astropy reads
        # "19:02:43.1 +50:14:28.7", "19 02 43.1 +50 14 28.7" and "19h02m43.1s +50d14m28.7s".
        position = SkyCoord(text.replace(",", " "), unit=(u.hourangle, u.deg), frame="icrs")
    except (ValueError, TypeError) as exc:
        raise DataError(f"'{text}' could not be read as coordinates ({exc}). " + _EXAMPLES) \
            from None
    return float(position.ra.deg), float(position.dec.deg)
