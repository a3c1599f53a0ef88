"""How the view changes: the single owner's rules, as pure functions (no Dash).

The page's ``view`` store has one writer (callbacks/view.py), which calls :func:`next_view`
with what happened: the page opened (perhaps on a link), a file was opened (upload, archive),
the aperture was edited on the image, or a control changed. The result is the new
:class:`ViewRecord` plus what the page must be told: the controls to set when the change came
from elsewhere (a link, a new file), notices, and whether the file changed.

Aperture edits arrive as a list the browser appends to (clicks faster than a round trip are
never lost): ``{"epoch": k, "ops": [...]}``. They apply to the apertures the view had when its
epoch began; a link or a new file starts a new epoch, and edits of an old one are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..data import DataError
from ..data.masks import decode_mask, encode_mask, mask_from_selection, toggle_pixel
from ..data.object_store import StoreUnavailable
from .controls import state_values
from .state import ViewState, decode_query, encode_query, fit_to_file, parse

CAUSES = ("initial", "link", "opened", "edits", "request", "controls")
MISSING_FILE = ("The linked file is no longer in the server's cache (or the link is damaged): "
                "the current view is shown. Open the file again and share a new link.")


@dataclass(frozen=True)
class ViewRecord:
    """What the ``view`` store holds."""

    state: ViewState
    epoch: int = 0  # aperture epoch: set from outside the image (a link, a new file)
    base: tuple[str | None, str | None] = (None, None)  # (aperture, sky) the epoch began with
    goto: int = 0  # the frame the browser is asked to show ...
    seq: int = 0  # ... each time this changes (a new file, a link)

    def to_store(self) -> dict:
        return {"state": self.state.to_dict(), "epoch": self.epoch, "base": list(self.base),
                "goto": {"frame": self.goto, "seq": self.seq},
                # The link without its frame: the browser adds the frame on screen.
                "query": encode_query(self.state.but(frame=0))}

    @classmethod
    def from_store(cls, data) -> ViewRecord:
        """Back from the page (never trusted: every field is validated again)."""
        data = data if isinstance(data, dict) else {}
        state, _ = parse(data.get("state") or {})
        base = data.get("base") or [None, None]
        goto = data.get("goto") or {}
        try:
            base_state, _ = parse({"aperture": base[0], "sky": base[1]})
            return cls(state, int(data.get("epoch", 0)), (base_state.aperture, base_state.sky),
                       int(goto.get("frame", 0)), int(goto.get("seq", 0)))
        except (TypeError, ValueError, IndexError):
            return cls(state)


@dataclass
class Outcome:
    record: ViewRecord
    changed: bool  # False: nothing to send
    set_controls: bool = False  # the controls must be made to show the new state
    file_changed: bool = False
    notices: list[str] = field(default_factory=list)


def next_view(previous: ViewRecord, cause: str, *, controls: dict | None = None,
              link: str | None = None, opened: str | None = None, edits: dict | None = None,
              request: dict | None = None, open_file=None) -> Outcome:
    """The view after ``cause``; ``open_file(fid)`` returns a TargetPixelFile or raises
    DataError (the store's ``get``). A ``request`` (a tool's button: the blip report's evidence)
    asks for a frame and perhaps a kind of image: ``{"frame": N, "image": "difference"}``."""
    if cause in ("initial", "link"):
        if not link or link in ("", "?"):
            return Outcome(previous, changed=False)
        return _follow_link(previous, link, open_file)
    if cause == "opened":
        return _open(previous, opened, open_file)
    if cause == "edits":
        return _edit(previous, edits or {}, open_file)
    if cause == "request":
        return _request(previous, request or {}, open_file)
    return _choose(previous, controls or {}, open_file)


def _follow_link(previous: ViewRecord, link: str, open_file) -> Outcome:
    state, given, notices = decode_query(link)
    fid = state.file if "file" in given else previous.state.file
    try:
        tpf = open_file(fid)
    except StoreUnavailable as exc:  # the file exists, the store holding it does not answer
        return Outcome(previous, changed=False, notices=notices + [str(exc)])
    except DataError:
        return Outcome(previous, changed=False, notices=notices + [MISSING_FILE])
    state, problems = _fit(state.but(file=fid), tpf)
    record = ViewRecord(state, previous.epoch + 1, (state.aperture, state.sky), state.frame,
                        previous.seq + 1)
    return Outcome(record, changed=True, set_controls=True,
                   file_changed=fid != previous.state.file, notices=notices + problems)


def _open(previous: ViewRecord, fid: str | None, open_file) -> Outcome:
    try:
        tpf = open_file(fid)
    except DataError as exc:
        return Outcome(previous, changed=False, notices=[str(exc)])
    # A new stamp: its own aperture and no background pixels; every display choice stays.
    state, notices = _fit(previous.state.but(file=fid, aperture=None, sky=None, frame=0), tpf)
    record = ViewRecord(state, previous.epoch + 1, (None, None), 0, previous.seq + 1)
    return Outcome(record, changed=True, set_controls=_display(state) != _display(previous.state),
                   file_changed=True, notices=notices)


def _edit(previous: ViewRecord, edits: dict, open_file) -> Outcome:
    if edits.get("epoch") != previous.epoch:
        return Outcome(previous, changed=False)  # edits of an aperture no longer shown
    try:
        tpf = open_file(previous.state.file)
    except DataError:
        return Outcome(previous, changed=False)
    target, sky = replay(tpf, previous.base, edits.get("ops") or [])
    # The file's own aperture is named None, so a link to it stays short.
    aperture = None if np.array_equal(target, tpf.pipeline_mask) else encode_mask(target)
    state = previous.state.but(aperture=aperture, sky=encode_mask(sky) if sky.any() else None)
    return Outcome(ViewRecord(state, previous.epoch, previous.base, previous.goto,
                              previous.seq), changed=state != previous.state)


def _request(previous: ViewRecord, request: dict, open_file) -> Outcome:
    frame, image = request.get("frame"), request.get("image")
    try:
        tpf = open_file(previous.state.file)
    except DataError:
        return Outcome(previous, changed=False)
    if isinstance(frame, bool) or not isinstance(frame, int) or not 0 <= frame < tpf.n_cadences:
        return Outcome(previous, changed=False)
    state = previous.state
    if image in ("flux", "difference"):
        state = state.but(image=image)
    record = ViewRecord(state, previous.epoch, previous.base, frame, previous.seq + 1)
    return Outcome(record, changed=True, set_controls=state != previous.state)


def _choose(previous: ViewRecord, controls: dict, open_file) -> Outcome:
    chosen, notices = parse(state_values(controls))
    chosen = chosen.but(file=previous.state.file, aperture=previous.state.aperture,
                        sky=previous.state.sky, frame=previous.state.frame)
    try:
        state, problems = _fit(chosen, open_file(chosen.file))
    except DataError:
        state, problems = chosen, []
    # A value the controls cannot hold (a bad value, one this file cannot use) is put back.
    return Outcome(ViewRecord(state, previous.epoch, previous.base, previous.goto,
                              previous.seq), changed=state != previous.state,
                   set_controls=bool(notices) or state != chosen, notices=notices + problems)


def _display(state: ViewState) -> ViewState:
    """The choices the controls show (not the file, its apertures or the frame)."""
    return state.but(file=None, aperture=None, sky=None, frame=0)


def _fit(state: ViewState, tpf) -> tuple[ViewState, list[str]]:
    from .derive import flux_bkg_usable

    return fit_to_file(state, tpf.n_cadences, tpf.shape, tpf.flags.names,
                       flux_bkg_usable(tpf))


def replay(tpf, base: tuple[str | None, str | None], ops: list[dict]
           ) -> tuple[np.ndarray, np.ndarray]:
    """The (target, background) masks after ``ops`` (toggle, select, clear, reset) applied in
    order to the ``base`` codes (None: the file's own aperture, no background pixels)."""
    masks = {"target": _mask(tpf, base[0], tpf.pipeline_mask),
             "background": _mask(tpf, base[1], np.zeros(tpf.shape, dtype=bool))}
    for op in ops:
        if not isinstance(op, dict):
            continue
        which = "background" if op.get("which") == "background" else "target"
        kind = op.get("op")
        try:
            if kind == "clear":
                masks[which] = np.zeros(tpf.shape, dtype=bool)
            elif kind == "reset":
                masks["target"] = tpf.pipeline_mask.copy()
            elif kind == "toggle":
                row = int(round(float(op["y"]))) - tpf.row
                column = int(round(float(op["x"]))) - tpf.column
                masks[which] = toggle_pixel(masks[which], row, column)
            elif kind == "select" and op.get("selection"):
                masks[which] = mask_from_selection(tpf.shape, op["selection"],
                                                   column=tpf.column, row=tpf.row)
        except (KeyError, TypeError, ValueError):
            continue  # a malformed edit from the page changes nothing
    return masks["target"], masks["background"]


def _mask(tpf, code: str | None, default: np.ndarray) -> np.ndarray:
    if code is None:
        return default.copy()
    try:
        return decode_mask(code, tpf.shape)
    except DataError:
        return default.copy()
