"""What a browser's stores say about its view, turned into arrays (cached per file).

The stores (``session``, ``aperture``, quality controls) live in the browser, so any worker can
answer any request; results derived from them are cached in the store by file id plus the
encoded choices, never by array.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data import DataError
from ..data.masks import decode_mask, encode_mask
from ..data.vetting import aperture_lightcurve, background_curve, quality_hidden


@dataclass
class Aperture:
    target: np.ndarray
    background: np.ndarray  # may be empty
    target_code: str
    background_code: str


def aperture(tpf, stored: dict | None) -> Aperture:
    """The target and background masks of a view (target defaults to the pipeline's)."""
    stored = stored or {}
    target = tpf.pipeline_mask
    background = np.zeros(tpf.shape, dtype=bool)
    try:
        if stored.get("target"):
            target = decode_mask(stored["target"], tpf.shape)
        if stored.get("background"):
            background = decode_mask(stored["background"], tpf.shape)
    except DataError:
        pass  # a stale mask from another file: fall back to the pipeline aperture
    return Aperture(target, background, encode_mask(target), encode_mask(background))


def subtraction(mode: str | None, masks: Aperture):
    """The ``background`` argument of aperture_lightcurve for a background choice."""
    if mode == "file":
        return "file"
    if mode == "aperture":
        return masks.background
    return None


def curve(store, fid: str, masks: Aperture, mode: str | None) -> np.ndarray:
    """The aperture light curve for a view, computed once per (file, aperture, background)."""
    key = f"curve:{masks.target_code}:{mode or 'none'}"
    if mode == "aperture":
        key += f":{masks.background_code}"
    return store.derived(fid, key, lambda tpf: aperture_lightcurve(
        tpf, masks.target, background=subtraction(mode, masks)))


def background_series(store, fid: str, masks: Aperture, mode: str | None) -> np.ndarray | None:
    key = f"background:{masks.target_code}:{mode or 'none'}:{masks.background_code}"

    def compute(tpf):
        choice = subtraction(mode, masks)
        if choice is None:
            choice = "file" if tpf.flux_bkg is not None else None
        return None if choice is None else background_curve(tpf, masks.target, choice)
    return store.derived(fid, key, compute, share=False)


def hidden(store, fid: str, preset: str | None, bits: list | None) -> np.ndarray:
    """Frames the quality mask hides: the preset's bits plus any individually chosen bits."""
    bits = sorted(int(b) for b in bits or [])
    key = f"hidden:{preset}:{'-'.join(map(str, bits))}"

    def compute(tpf):
        mask = quality_hidden(tpf, preset or "none")
        if bits:
            mask |= quality_hidden(tpf, bits)
        return mask
    return store.derived(fid, key, compute, share=False)


def runs(mask: np.ndarray) -> list[list[int]]:
    """[[first, last], ...] of the True stretches of ``mask``: compact for the browser."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    pairs = edges.reshape(-1, 2)
    pairs[:, 1] -= 1
    return pairs.tolist()


def describe(masks: Aperture, mode: str | None, tpf) -> str:
    """What the readout's flux is: the aperture size and background choice."""
    pipeline = np.array_equal(masks.target, tpf.pipeline_mask)
    text = f"{'pipeline' if pipeline else 'custom'} aperture, {int(masks.target.sum())} px"
    if mode == "file":
        text += ", FLUX_BKG subtracted"
    elif mode == "aperture":
        text += f", background of {int(masks.background.sum())} px subtracted"
    return text
