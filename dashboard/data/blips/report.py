"""What the blip report says: hypotheses, reports, events and centroid tests, and their JSON.

Every hypothesis carries the numbers its score came from, so a person (or a test) can check the
score by hand. Coordinates in ``pixels`` and ``overlay`` are stamp coordinates: row and column of
the stamp, 0-based, with pixel centres at integers (the CCD pixel is ``tpf.row + row``,
``tpf.column + column``). ``frames`` are 0-based frame indices into the file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

# Sky size of one pixel, arcsec: Kepler/K2 3.98"/px, TESS 21"/px.
PLATE_SCALE = {"Kepler": 3.98, "K2": 3.98, "TESS": 21.0}

# The order ties are broken in, and the order of the docs: pipeline knowledge first.
KINDS = ("flagged", "cosmic_ray", "moving_object", "pointing", "background", "scattered_light",
         "rolling_band", "off_target", "on_target", "noise")


def plate_scale(mission: str) -> float:
    """Arcseconds per pixel for a mission name as the files spell it."""
    return PLATE_SCALE.get(mission, PLATE_SCALE["TESS"] if mission.upper() == "TESS" else 3.98)


def ramp(value: float, low: float, high: float) -> float:
    """0 at ``low`` or below, 1 at ``high`` or above, linear between: every score factor."""
    if not np.isfinite(value):
        return 0.0
    return float(min(max((value - low) / (high - low), 0.0), 1.0))


def clean(value):
    """``value`` as plain JSON: numpy scalars to Python, NaN/inf to None, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return clean(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return round(value, 6) if math.isfinite(value) else None
    return value


@dataclass
class Hypothesis:
    """One item of the checklist, scored 0..1 (comparable across kinds; 0 = no evidence)."""

    kind: str
    score: float
    summary: str  # one sentence with the key numbers
    numbers: dict = field(default_factory=dict)  # the values the score came from
    frames: list[int] = field(default_factory=list)  # evidence frames to jump to
    pixels: list[tuple[int, int]] = field(default_factory=list)  # stamp (row, column)
    overlay: dict = field(default_factory=dict)  # what to draw, stamp row/column floats

    def __post_init__(self):
        self.score = float(min(max(self.score, 0.0), 1.0)) if np.isfinite(self.score) else 0.0
        self.frames = [int(f) for f in self.frames]
        self.pixels = [(int(r), int(c)) for r, c in self.pixels]

    def to_dict(self) -> dict:
        return clean({"kind": self.kind, "score": round(float(self.score), 3),
                      "summary": self.summary, "numbers": self.numbers, "frames": self.frames,
                      "pixels": self.pixels, "overlay": self.overlay})


@dataclass
class Skipped:
    """A check that could not run on this file or cadence, and why."""

    check: str
    reason: str

    def to_dict(self) -> dict:
        return {"check": self.check, "reason": self.reason}


@dataclass
class BlipReport:
    """The checklist for one cadence (``first == last``) or a range of frames."""

    frame: int  # the frame asked about (== first)
    first: int
    last: int
    cadenceno: int
    time: float | None  # mission time (BKJD/BTJD) of ``frame``
    time_system: str
    hypotheses: list[Hypothesis]  # best first
    skipped: list[Skipped] = field(default_factory=list)
    numbers: dict = field(default_factory=dict)  # shared measurements (target, noise, ...)

    @property
    def top(self) -> Hypothesis | None:
        return self.hypotheses[0] if self.hypotheses else None

    def hypothesis(self, kind: str) -> Hypothesis | None:
        return next((h for h in self.hypotheses if h.kind == kind), None)

    def to_dict(self) -> dict:
        return clean({
            "frame": self.frame, "first": self.first, "last": self.last,
            "cadenceno": self.cadenceno, "time": self.time, "time_system": self.time_system,
            "hypotheses": [h.to_dict() for h in self.hypotheses],
            "skipped": [s.to_dict() for s in self.skipped],
            "numbers": self.numbers,
        })


@dataclass
class BlipEvent:
    """A run of cadences where the aperture light curve leaves its running median."""

    first: int
    last: int
    peak: int  # the frame of the largest single-cadence departure
    significance: float  # of the best box over the event, in robust sigmas (always >= 0)
    excess: float  # mean departure over the event, e-/s (negative for a dip)
    report: BlipReport | None = None  # explain() over [first, last]; None if not explained

    @property
    def direction(self) -> str:
        return "dip" if self.excess < 0 else "bump"

    @property
    def top(self) -> Hypothesis | None:
        return self.report.top if self.report else None

    @property
    def kind(self) -> str | None:
        return self.top.kind if self.top else None

    def to_dict(self) -> dict:
        top = self.top
        return clean({
            "first": self.first, "last": self.last, "peak": self.peak,
            "significance": round(self.significance, 2), "excess": self.excess,
            "direction": self.direction,
            "kind": top.kind if top else None, "score": round(top.score, 3) if top else None,
            "summary": top.summary if top else "not explained",
            "frames": top.frames if top else [], "overlay": top.overlay if top else {},
        })


class BlipList(list):
    """``find_blips``'s events (a plain list of :class:`BlipEvent`, most significant first) and
    how they were found: the light curve's robust scatter, the threshold and what was skipped."""

    def __init__(self, events=(), *, numbers: dict | None = None,
                 skipped: list[Skipped] | None = None):
        super().__init__(events)
        self.numbers = numbers or {}
        self.skipped = skipped or []

    def to_dict(self) -> dict:
        return clean({"events": [e.to_dict() for e in self], "numbers": self.numbers,
                      "skipped": [s.to_dict() for s in self.skipped]})


@dataclass
class CentroidOffset:
    """The centroid of a stacked difference image against the target's, for a set of events."""

    n_events: int
    centroid: tuple[float, float]  # (row, column) of the difference image's centroid
    target: tuple[float, float]  # (row, column) of the target in the out-of-event image
    offset_row: float
    offset_column: float
    sigma_row: float
    sigma_column: float
    offset_px: float
    offset_arcsec: float
    significance: float  # sqrt((drow/srow)^2 + (dcol/scol)^2)
    depth: float  # mean in-event minus out-of-event aperture flux, e-/s
    depth_sigma: float

    @property
    def pixel(self) -> tuple[int, int]:
        return int(round(self.centroid[0])), int(round(self.centroid[1]))

    def to_dict(self) -> dict:
        return clean({**self.__dict__, "pixel": self.pixel})
