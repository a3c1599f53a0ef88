"""The view: one validated, immutable :class:`ViewState`, its defaults, and its link.

Everything the page shows is a function of a ViewState (the file, the apertures, the stretch,
the quality mask, the image mode ...), so it is parsed and validated in one place: from the
controls, from the page's ``view`` store, or from a link's query string, each value that does
not fit is replaced by its default with one sentence saying so. The defaults live here and
nowhere else; the page's controls are built from them (layout) and read back into them
(:mod:`dashboard.view.controls`).

The frame (which cadence is shown) is a field too, for links and exports, but the browser owns
it while the page runs: stepping must never wait for the server (assets/view.js).

A link is the state's query string, defaults left out::

    ?file=3f2a…&frame=1234&aperture=15x15.AAB…&sky=15x15z…&low=1&high=95&scale=log&cmap=gray
     &quality=default&bits=1-1048576&masked=hide&image=difference&n=5&background=aperture
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from urllib.parse import parse_qsl, urlencode

from ..data.errors import DataError
from ..data.masks import decode_mask

SCALES = ("linear", "log", "sqrt", "asinh")
COLORMAPS = ("viridis", "gray", "inferno", "magma", "cividis")
DIFFERENCE_COLORMAPS = ("rdbu", "puor", "balance")
QUALITY_PRESETS = ("none", "default", "hard", "hardest")
MASKED_DISPLAYS = ("mark", "hide")
IMAGE_MODES = ("flux", "difference")
BACKGROUNDS = ("none", "file", "aperture")
PANELS = ("background", "centroids", "pixels")
MAX_DIFFERENCE_N = 50

_FILE_ID = re.compile(r"[0-9a-f]{20}")  # the store's id pattern (data/store.py)
_MASK_CODE = re.compile(r"\d{1,5}x\d{1,5}[.z][A-Za-z0-9_-]*")
_MAX_FRAME = 10_000_000
_MAX_BIT = 2**31


@dataclass(frozen=True)
class ViewState:
    file: str | None = None  # the open file's id (a content hash, see data/store.py)
    frame: int = 0  # 0-based index of the cadence in the file
    aperture: str | None = None  # mask code of the target aperture; None: the file's own
    sky: str | None = None  # mask code of the background pixels; None: none chosen
    low: float = 1.0  # stretch: percentiles of the whole cube
    high: float = 95.0
    scale: str = "log"
    cmap: str = "viridis"  # colour map of flux images
    dcmap: str = "rdbu"  # diverging colour map of difference images
    quality: str = "default"  # quality mask preset, in the mission's own bit table
    bits: tuple[int, ...] = ()  # quality bits masked besides the preset's
    masked: str = "mark"  # masked cadences on the curve: marked, or hidden
    skip: bool = False  # stepping and playback skip masked cadences
    image: str = "flux"  # flux, or frame minus the median of its neighbours
    n: int = 5  # difference image: neighbours either side
    background: str = "none"  # none, FLUX_BKG, or the median of the background pixels
    panels: tuple[str, ...] = ()  # diagnostics shown
    normalise: bool = False  # divide each curve by its median

    def but(self, **changes) -> ViewState:
        return replace(self, **changes)

    def to_dict(self) -> dict:
        """JSON-able: for the page's ``view`` store."""
        values = asdict(self)
        values["bits"], values["panels"] = list(self.bits), list(self.panels)
        return values

    @property
    def stretch(self) -> tuple[float, float]:
        return self.low, self.high


DEFAULT = ViewState()
FIELDS = tuple(f.name for f in fields(ViewState))
# In a link, in the order a reader sees them.
QUERY_FIELDS = FIELDS


def parse(values: Mapping) -> tuple[ViewState, list[str]]:
    """A ViewState from raw values (a store's dict, the controls' values, a decoded link):
    each value is checked; a bad one is left at its default with a notice. Missing keys take
    the default. Never raises."""
    clean, notices = _read(values, "The view's {key} ({value!r}) {problem}; the default is used.")
    return ViewState(**clean), notices


def _read(values: Mapping, complaint: str) -> tuple[dict, list[str]]:
    """The valid fields of ``values`` and a notice (``complaint`` filled in) per bad one."""
    clean, notices = {}, []
    for key in FIELDS:
        if key not in values or values[key] is None:
            continue
        try:
            clean[key] = _READERS[key](values[key])
        except ValueError as exc:
            notices.append(complaint.format(key=key, value=_clip(values[key]), problem=exc))
    if "low" in clean or "high" in clean:
        if not clean.get("low", DEFAULT.low) < clean.get("high", DEFAULT.high):
            notices.append("The stretch has its low end at or above its high end; the "
                           "default stretch is used.")
            clean.pop("low", None)
            clean.pop("high", None)
    return clean, notices


def encode_query(state: ViewState, frame: int | None = None) -> str:
    """The link's query string (with ``?``; empty for the default view). ``frame`` overrides
    the state's (the browser adds its own)."""
    state = state if frame is None else state.but(frame=int(frame))
    pairs = []
    for key in QUERY_FIELDS:
        value = getattr(state, key)
        if value == getattr(DEFAULT, key) or value is None:
            continue
        if key in ("bits", "panels"):
            value = "-".join(str(v) for v in value)
        elif key in ("low", "high"):
            value = f"{float(value):g}"
        elif isinstance(value, bool):
            value = "1" if value else "0"
        pairs.append((key, str(value)))
    return "?" + urlencode(pairs) if pairs else ""


def decode_query(query: str | None) -> tuple[ViewState, set[str], list[str]]:
    """(state, the fields the link sets, notices) for a query string (with or without ``?``).
    Unknown and malformed parameters are dropped with a notice; never raises."""
    text = str(query or "").lstrip("?")
    if not text:
        return DEFAULT, set(), []
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=64)
    except ValueError:
        return DEFAULT, set(), ["The link has too many parameters; it was ignored."]
    raw, notices = {}, []
    for key, value in pairs:
        if key not in _READERS:
            notices.append(f"The link's parameter '{_clip(key)}' is not one the dashboard "
                           "knows; it was ignored.")
            continue
        raw[key] = value.strip()
    clean, problems = _read(raw, "The link's {key} ('{value}') {problem}; it was ignored.")
    return ViewState(**clean), set(clean), notices + problems


def fit_to_file(state: ViewState, n_frames: int, shape: tuple[int, int],
                known_bits, has_flux_bkg: bool) -> tuple[ViewState, list[str]]:
    """``state`` with what does not fit a file of ``n_frames`` frames, a ``shape`` (rows,
    columns) stamp, the mission's ``known_bits`` and (no) FLUX_BKG put back to defaults,
    and a notice for each."""
    changes, notices = {}, []
    if not 0 <= state.frame < n_frames:
        notices.append(f"Frame {state.frame} is past the end of this file ({n_frames} frames); "
                       "the first frame is shown.")
        changes["frame"] = 0
    for key, what, instead in (("aperture", "aperture", "the file's own aperture is used"),
                               ("sky", "background pixels", "none are used")):
        code = getattr(state, key)
        if code is None:
            continue
        try:
            decode_mask(code, shape)
        except DataError as exc:
            notices.append(f"The {what} do not fit this file ({exc}); {instead}."
                           if key == "sky" else
                           f"The {what} does not fit this file ({exc}); {instead}.")
            changes[key] = None
    known = tuple(b for b in state.bits if b in set(known_bits))
    if known != state.bits:
        notices.append("Some quality bits are not in this mission's table; they were dropped.")
        changes["bits"] = known
    if state.background == "file" and not has_flux_bkg:
        notices.append("This file has no usable FLUX_BKG, so no background is subtracted.")
        changes["background"] = "none"
    return (state.but(**changes) if changes else state), notices


# -- readers: a clean value, or ValueError saying what is wrong ---------------------------------

def _file(raw) -> str:
    if not isinstance(raw, str) or not _FILE_ID.fullmatch(raw):
        raise ValueError("is not a file id")
    return raw


def _frame(raw) -> int:
    text = str(raw)
    if isinstance(raw, bool) or not text.isdigit() or int(text) > _MAX_FRAME:
        raise ValueError("is not a frame number")
    return int(text)


def _mask(raw) -> str | None:
    if raw == "":
        return None
    if not isinstance(raw, str) or not _MASK_CODE.fullmatch(raw):
        raise ValueError("is not an aperture code")
    try:
        decode_mask(raw)
    except DataError:
        raise ValueError("is a damaged aperture code") from None
    return raw


def _percentile(raw) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ValueError("is not a percentile") from None
    if not 0 <= value <= 100:
        raise ValueError("is not a percentile between 0 and 100")
    return value


def _choice(options: tuple[str, ...]):
    def read(raw) -> str:
        if raw not in options:
            raise ValueError(f"is not one of {', '.join(options)}")
        return raw
    return read


def _bits(raw) -> tuple[int, ...]:
    parts = raw.split("-") if isinstance(raw, str) else list(raw)
    parts = [p for p in parts if p != ""]
    if not all(str(p).isdigit() and not isinstance(p, bool) for p in parts):
        raise ValueError("is not a list of quality bits")
    bits = sorted({int(p) for p in parts})
    if any(b <= 0 or b >= _MAX_BIT or b & (b - 1) for b in bits):
        raise ValueError("holds a value that is not a single quality bit")
    return tuple(bits)


def _panels(raw) -> tuple[str, ...]:
    parts = raw.split("-") if isinstance(raw, str) else list(raw)
    parts = [p for p in parts if p != ""]
    if any(p not in PANELS for p in parts):
        raise ValueError(f"is not a list of {', '.join(PANELS)}")
    return tuple(p for p in PANELS if p in parts)  # a fixed order: one link per view


def _difference_n(raw) -> int:
    text = str(raw)
    if isinstance(raw, bool) or not text.isdigit() or not 1 <= int(text) <= MAX_DIFFERENCE_N:
        raise ValueError(f"is not a whole number from 1 to {MAX_DIFFERENCE_N}")
    return int(text)


def _flag(raw) -> bool:
    if isinstance(raw, bool):
        return raw
    if str(raw) in ("1", "true", "on"):
        return True
    if str(raw) in ("0", "false", "off", ""):
        return False
    raise ValueError("is not 0 or 1")


_READERS = {
    "file": _file, "frame": _frame, "aperture": _mask, "sky": _mask,
    "low": _percentile, "high": _percentile, "scale": _choice(SCALES),
    "cmap": _choice(COLORMAPS), "dcmap": _choice(DIFFERENCE_COLORMAPS),
    "quality": _choice(QUALITY_PRESETS), "bits": _bits, "masked": _choice(MASKED_DISPLAYS),
    "skip": _flag, "image": _choice(IMAGE_MODES), "n": _difference_n,
    "background": _choice(BACKGROUNDS), "panels": _panels, "normalise": _flag,
}


def _clip(text, limit: int = 40) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"
