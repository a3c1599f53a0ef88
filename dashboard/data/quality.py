"""QUALITY flag tables for Kepler/K2 and TESS.

The two missions share the first few bits but then diverge (16 is Zero crossing for Kepler and
Argabrightening for TESS; 128 is Cosmic ray in optimal aperture for Kepler and Manual exclude
for TESS), so every lookup goes through the table of the file's own mission.

Sources: Kepler Archive Manual (KDMC-10008-006) table 2.3; TESS Science Data Products
Description Document (EXP-TESS-ARC-ICD-0014) table 28. The default/hard/hardest bitmasks are the
ones lightkurve uses, so a cadence hidden here is hidden there too.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

import numpy as np

from .errors import DataError


@dataclass(frozen=True)
class QualityFlags:
    mission: str
    names: dict[int, str]
    masks: dict[str, int]
    no_data: int = 0  # bits saying the cadence holds no valid data at all

    def decode(self, value: int) -> list[str]:
        """Names of the bits set in one QUALITY value, lowest bit first."""
        value = int(value)
        names = [name for bit, name in self.names.items() if value & bit]
        unknown = value & ~reduce(or_, self.names, 0)
        if unknown:
            names.append(f"Unknown bits 0x{unknown:x}")
        return names

    def bitmask(self, choice: str | int) -> int:
        """A bitmask from 'none', 'default', 'hard', 'hardest' or an int."""
        if isinstance(choice, (int, np.integer)):
            return int(choice)
        try:
            return self.masks[str(choice).lower()]
        except KeyError:
            raise DataError(
                f"Unknown quality mask {choice!r}: choose one of {', '.join(self.masks)}."
            ) from None

    def flagged(self, quality: np.ndarray, choice: str | int = "default") -> np.ndarray:
        """True where a cadence has any bit of the chosen mask set."""
        return (np.asarray(quality, dtype=np.int64) & self.bitmask(choice)) != 0


_KEPLER_NAMES = {
    1: "Attitude tweak",
    2: "Safe mode",
    4: "Coarse point",
    8: "Earth point",
    16: "Zero crossing",
    32: "Desaturation event",
    64: "Argabrightening",
    128: "Cosmic ray in optimal aperture",
    256: "Manual exclude",
    # 512 is unused by Kepler.
    1024: "Sudden sensitivity dropout",
    2048: "Impulsive outlier",
    4096: "Argabrightening on CCD",
    8192: "Cosmic ray in collateral data",
    16384: "Detector anomaly",
    32768: "No fine point",
    65536: "No data",
    131072: "Rolling band in optimal aperture",
    262144: "Rolling band in full mask",
    524288: "Possible thruster firing",
    1048576: "Thruster firing",
}
_KEPLER_DEFAULT = 1 | 2 | 4 | 8 | 32 | 256 | 16384 | 65536 | 1048576
_KEPLER_HARD = _KEPLER_DEFAULT | 1024 | 128 | 8192 | 524288

KEPLER = QualityFlags(
    mission="Kepler",
    names=_KEPLER_NAMES,
    masks={
        "none": 0,
        "default": _KEPLER_DEFAULT,
        "hard": _KEPLER_HARD,
        "hardest": reduce(or_, _KEPLER_NAMES),
    },
    no_data=65536,  # TESS has no such bit: its cadences without data have no valid TIME
)

_TESS_NAMES = {
    1: "Attitude tweak",
    2: "Safe mode",
    4: "Coarse point",
    8: "Earth point",
    16: "Argabrightening",
    32: "Desaturation event",
    64: "Cosmic ray in optimal aperture",
    128: "Manual exclude",
    256: "Discontinuity corrected",
    512: "Impulsive outlier",
    1024: "Cosmic ray in collateral data",
    2048: "Straylight",
    4096: "Straylight2",
    8192: "Planet search exclude",
    16384: "Bad calibration exclude",
    32768: "Insufficient targets for error correction exclude",
}
_TESS_DEFAULT = 1 | 2 | 4 | 8 | 32 | 128
_TESS_HARD = _TESS_DEFAULT | 64 | 1024 | 2048 | 4096

TESS = QualityFlags(
    mission="TESS",
    names=_TESS_NAMES,
    masks={
        "none": 0,
        "default": _TESS_DEFAULT,
        "hard": _TESS_HARD,
        "hardest": reduce(or_, _TESS_NAMES),
    },
)


def flags_for(mission: str) -> QualityFlags:
    """The table for a mission name as the files spell it ('Kepler', 'K2', 'TESS')."""
    return TESS if mission.upper() == "TESS" else KEPLER
