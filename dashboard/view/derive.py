"""What a view shows, computed from its :class:`ViewState` and the file (cached per file id).

Any worker can answer any request: a view is a small validated state object, and results
derived from it are kept in the store by file id plus the choices that made them, never by
array. Functions here take the store and a state; callbacks only adapt them to Dash.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data import DataError
from ..data.arrays import release_pages
from ..data.masks import decode_mask, encode_mask
from ..data.vetting import aperture_lightcurve, background_curve, centroids, quality_hidden
from .state import ViewState


@dataclass(frozen=True)
class Apertures:
    target: np.ndarray  # bool (rows, columns): the pixels summed
    background: np.ndarray  # bool (rows, columns): background pixels, may be empty
    target_code: str
    background_code: str
    kind: str  # "pipeline", "threshold" (the file has none: our 3σ mask) or "yours"

    @property
    def label(self) -> str:
        """What the readout calls the summed pixels, honestly."""
        words = {"pipeline": "pipeline aperture", "threshold": "threshold aperture (3σ)",
                 "yours": "your aperture"}[self.kind]
        return f"{words}, {int(self.target.sum())} px"


def apertures(tpf, state: ViewState) -> Apertures:
    """The target and background masks of a view: the file's own aperture unless the view
    names one; a code that does not fit the file falls back to it."""
    target, kind = tpf.pipeline_mask, "pipeline" if tpf.aperture_from_file else "threshold"
    background = np.zeros(tpf.shape, dtype=bool)
    try:
        if state.aperture is not None:
            chosen = decode_mask(state.aperture, tpf.shape)
            if not np.array_equal(chosen, target):
                target, kind = chosen, "yours"
        if state.sky is not None:
            background = decode_mask(state.sky, tpf.shape)
    except DataError:
        pass  # the owner validates links (fit_to_file); this only keeps a stale one harmless
    return Apertures(target, background, encode_mask(target), encode_mask(background), kind)


def subtraction(state: ViewState, masks: Apertures):
    """The ``background`` argument of aperture_lightcurve for the view's choice."""
    if state.background == "file":
        return "file"
    if state.background == "aperture":
        return masks.background
    return None


def curve_key(state: ViewState, masks: Apertures) -> str:
    key = f"curve:{masks.target_code}:{state.background}"
    return key + f":{masks.background_code}" if state.background == "aperture" else key


def curve(store, fid: str, state: ViewState, masks: Apertures) -> np.ndarray:
    """The aperture light curve (float64): NaN where the aperture has no data and on cadences
    without a valid time, which belong to no point of the curve (they are zero-filled in some
    files and would drag the flux axis). Raises DataError for an empty aperture, no FLUX_BKG
    or an empty background aperture."""
    def compute(tpf):
        flux = aperture_lightcurve(tpf, masks.target, background=subtraction(state, masks))
        flux[~np.isfinite(tpf.time)] = np.nan
        return flux
    return store.derived(fid, curve_key(state, masks), compute)


def curve_or_nan(store, fid: str, state: ViewState, masks: Apertures) -> np.ndarray:
    """:func:`curve`, or all NaN when the view's choices give none (the notes say why)."""
    try:
        return curve(store, fid, state, masks)
    except DataError:
        return np.full(store.get(fid).n_cadences, np.nan)


def hidden(store, fid: str, state: ViewState) -> np.ndarray:
    """Frames the quality mask hides: the preset's bits plus the individually chosen ones."""
    key = f"hidden:{state.quality}:{'-'.join(map(str, state.bits))}"

    def compute(tpf):
        mask = quality_hidden(tpf, state.quality)
        if state.bits:
            mask |= quality_hidden(tpf, list(state.bits))
        return mask
    return store.derived(fid, key, compute, share=False)


def runs(mask: np.ndarray) -> list[list[int]]:
    """[[first, last], ...] of the True stretches of ``mask``: compact for the browser."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], np.asarray(mask, np.int8), [0]])))
    pairs = edges.reshape(-1, 2)
    pairs[:, 1] -= 1
    return pairs.tolist()


def flux_bkg_usable(tpf) -> bool:
    """Whether FLUX_BKG exists and holds any number (some files carry it all NaN).

    Read a megabyte of frames at a time, stopping at the first number: scanning the whole
    cube read every page of it (~80 MB of a TESS 20-second file) into the worker's memory,
    each of the several times a file's options are asked for."""
    cube = tpf.flux_bkg
    if cube is None:
        return False
    step = max(1, 2**20 // max(1, cube[0].size * cube.itemsize))
    found = any(np.isfinite(cube[i:i + step]).any() for i in range(0, len(cube), step))
    if not found:
        release_pages(cube)
    return found


def pos_corr_usable(tpf) -> bool:
    return (tpf.pos_corr1 is not None and tpf.pos_corr2 is not None
            and bool(np.isfinite(tpf.pos_corr1).any() or np.isfinite(tpf.pos_corr2).any()))


def frames_without_time(tpf) -> int:
    return int((~np.isfinite(tpf.time)).sum())


def background_series(store, fid: str, state: ViewState, masks: Apertures):
    """The background the curve subtracts per cadence (FLUX_BKG over the aperture when
    nothing is subtracted but the file has a usable one), or None."""
    key = f"background:{masks.target_code}:{state.background}:{masks.background_code}"

    def compute(tpf):
        choice = subtraction(state, masks)
        if choice is None:
            choice = "file" if flux_bkg_usable(tpf) else None
        if choice is None or not masks.target.any():
            return None
        try:
            return background_curve(tpf, masks.target, choice)
        except DataError:
            return None
    return store.derived(fid, key, compute, share=False)


def centroid_series(store, fid: str, masks: Apertures):
    """Flux-weighted centroid (column, row) per cadence inside the aperture, or None."""
    if not masks.target.any():
        return None
    return store.derived(fid, f"centroids:{masks.target_code}",
                         lambda tpf: centroids(tpf, masks.target), share=False)


def aperture_note(state: ViewState, masks: Apertures) -> str:
    """The readout's words for its flux: which pixels, and what background came off."""
    text = masks.label
    if state.background == "file":
        text += ", FLUX_BKG subtracted"
    elif state.background == "aperture":
        text += f", background of {int(masks.background.sum())} px subtracted"
    return text


def readout(tpf, frame: int, flux: np.ndarray, utc: str | None = None,
            custom: np.ndarray | None = None) -> list[str]:
    """One cadence in words, the strings of the readout's fields (see layout_readout.py):
    CADENCENO, mission time, UTC, flux, quality names, the QUALITY value, the quality field's
    class, and the custom curve's value on this cadence ('' without one). A step carries
    these few hundred bytes, not a component tree. ``utc`` when the caller converted a batch
    at once (TargetPixelFile.utc_many)."""
    time = tpf.time[frame]
    value = flux[frame]
    names = tpf.quality_names(frame)
    own = "" if custom is None else (f"{custom[frame]:.6g}" if np.isfinite(custom[frame])
                                     else "no point")
    return [
        f"{tpf.cadenceno[frame]}",
        f"{time:.5f} {tpf.time_system}" if np.isfinite(time) else "no time",
        (tpf.utc(frame) if utc is None else utc) or "—",
        f"{value:,.1f} e⁻/s" if np.isfinite(value) else "no data",
        ", ".join(names) if names else "no flags",
        f"QUALITY = {tpf.quality[frame]}",
        "field flagged" if names else "field",
        own,
    ]
