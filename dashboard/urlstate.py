"""A view's state as a link: ``encode_state`` writes the query string, ``decode_state`` reads it.

Pure functions, no Dash. The query is short and readable; values equal to the page's defaults
are left out (a link to the demo's first cadence is ``?file=<id>``)::

    ?file=3f2a…&frame=1234&aperture=15x15.AAB…&sky=15x15z…&low=1&high=95&scale=log
     &quality=default&bits=1-1048576&masked=hide&image=difference&n=5&background=aperture

Reading never raises: each malformed value is dropped with a notice (one sentence a person can
read) and the rest of the link still applies. Whether a file id is still in the server's cache,
and whether a frame or aperture fits that file, is the caller's check (see :func:`fits_file`).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode

from .data.errors import DataError
from .data.masks import decode_mask
from .figures.stretch import DEFAULT_PERCENTILES, DEFAULT_SCALE, SCALES

SCALE_CHOICES = tuple(SCALES)
QUALITY_CHOICES = ("none", "default", "hard", "hardest")
MASKED_CHOICES = ("mark", "hide")
IMAGE_CHOICES = ("flux", "difference")
BACKGROUND_CHOICES = ("none", "file", "aperture")

DEFAULTS = {"low": DEFAULT_PERCENTILES[0], "high": DEFAULT_PERCENTILES[1],
            "scale": DEFAULT_SCALE, "quality": "default", "bits": [], "masked": "mark",
            "image": "flux", "n": 5, "background": "none"}
# Query order: what a reader of the link sees first.
FIELDS = ("file", "frame", "aperture", "sky", "low", "high", "scale", "quality", "bits",
          "masked", "image", "n", "background")

_FILE_ID = re.compile(r"[0-9a-f]{20}")  # the store's id pattern (data/store.py)
_MASK_CODE = re.compile(r"\d{1,5}x\d{1,5}[.z][A-Za-z0-9_-]*")
_MAX_FRAME = 10_000_000
_MAX_BIT = 2**31


def encode_state(state: dict) -> str:
    """The query string (with its ``?``; empty when nothing is set) of a view's ``state``.

    Keys are those of :data:`FIELDS`; values as the controls hold them (``bits`` a list of ints).
    Defaults and empty values are left out.
    """
    pairs = []
    for key in FIELDS:
        value = state.get(key)
        if value is None or value == "" or value == [] or _is_default(key, value):
            continue
        if key == "bits":
            value = "-".join(str(int(b)) for b in sorted(value))
        elif key in ("low", "high"):
            value = f"{float(value):g}"
        pairs.append((key, str(value)))
    return "?" + urlencode(pairs) if pairs else ""


def decode_state(query: str | None) -> tuple[dict, list[str]]:
    """(state, notices) from a query string (with or without ``?``), the inverse of
    :func:`encode_state`. Only fields present and valid are in ``state``; each dropped value
    gives one notice. Unknown parameters are ignored with a notice too."""
    state: dict = {}
    notices: list[str] = []
    text = str(query or "").lstrip("?")
    if not text:
        return state, notices
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=64)
    except ValueError:
        return state, ["The link has too many parameters; it was ignored."]
    for key, raw in pairs:
        raw = raw.strip()
        reader = _READERS.get(key)
        if reader is None:
            notices.append(f"The link's parameter '{_clip(key)}' is not one the dashboard "
                           "knows; it was ignored.")
            continue
        try:
            state[key] = reader(raw)
        except ValueError as exc:
            notices.append(f"The link's {key} ('{_clip(raw)}') {exc}; it was ignored.")
    if "low" in state and "high" in state and not state["low"] < state["high"]:
        notices.append("The link's stretch has its low end above its high end; the default "
                       "stretch is shown.")
        del state["low"], state["high"]
    return state, notices


def fits_file(state: dict, n_frames: int, shape: tuple[int, int]) -> tuple[dict, list[str]]:
    """``state`` without the frame and aperture codes that do not fit a file of ``n_frames``
    frames and a ``shape`` (rows, columns) stamp, and a notice for each one dropped."""
    state, notices = dict(state), []
    if "frame" in state and not 0 <= state["frame"] < n_frames:
        notices.append(f"The link's frame {state.pop('frame')} is past the end of this file "
                       f"({n_frames} frames); the first frame is shown.")
    for key, what in (("aperture", "aperture"), ("sky", "background pixels")):
        if key in state:
            try:
                decode_mask(state[key], shape)
            except DataError as exc:
                notices.append(f"The link's {what} does not fit this file ({exc}); "
                               f"{'the pipeline aperture' if key == 'aperture' else 'none'} "
                               "is used.")
                del state[key]
    return state, notices


# -- readers: a clean value, or ValueError saying what is wrong ---------------------------------

def _file(raw: str) -> str:
    if not _FILE_ID.fullmatch(raw):
        raise ValueError("is not a file id")
    return raw


def _frame(raw: str) -> int:
    if not raw.isdigit() or int(raw) > _MAX_FRAME:
        raise ValueError("is not a frame number")
    return int(raw)


def _mask(raw: str) -> str:
    if not _MASK_CODE.fullmatch(raw):
        raise ValueError("is not an aperture code")
    try:
        decode_mask(raw)
    except DataError:
        raise ValueError("is a damaged aperture code") from None
    return raw


def _percentile(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("is not a percentile") from None
    if not 0 <= value <= 100:
        raise ValueError("is not a percentile between 0 and 100")
    return value


def _choice(options: tuple[str, ...]):
    def read(raw: str) -> str:
        if raw not in options:
            raise ValueError(f"is not one of {', '.join(options)}")
        return raw
    return read


def _bits(raw: str) -> list[int]:
    if raw == "":
        return []
    parts = raw.split("-")
    if not all(p.isdigit() for p in parts):
        raise ValueError("is not a list of quality bits")
    bits = sorted({int(p) for p in parts})
    if any(b <= 0 or b >= _MAX_BIT or b & (b - 1) for b in bits):
        raise ValueError("holds a value that is not a single quality bit")
    return bits


def _difference_n(raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 50:
        raise ValueError("is not a whole number from 1 to 50")
    return int(raw)


_READERS = {
    "file": _file, "frame": _frame, "aperture": _mask, "sky": _mask,
    "low": _percentile, "high": _percentile, "scale": _choice(SCALE_CHOICES),
    "quality": _choice(QUALITY_CHOICES), "bits": _bits, "masked": _choice(MASKED_CHOICES),
    "image": _choice(IMAGE_CHOICES), "n": _difference_n,
    "background": _choice(BACKGROUND_CHOICES),
}


def _is_default(key: str, value) -> bool:
    if key not in DEFAULTS:
        return False
    default = DEFAULTS[key]
    if key == "bits":
        return not value
    if isinstance(default, float):
        try:
            return float(value) == default
        except (TypeError, ValueError):
            return False
    return value == default


def _clip(text: str, limit: int = 40) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"
