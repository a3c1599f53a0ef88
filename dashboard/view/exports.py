"""A view's exports: its light curve as a file (data/export.py) and its movie's spec
(data/movie.py), from the ViewState alone, so any worker makes the same file."""

from __future__ import annotations

import numpy as np

from ..data.export import CurveExport, aperture_flux_err
from ..data.movie import MovieSpec
from . import derive
from .state import ViewState

MOVIE_WINDOW = 50  # frames either side of the current one when no range is given


def curve_export(store, state: ViewState) -> CurveExport:
    """The view's curve and the choices that made it (DataError for an empty aperture ...)."""
    tpf = store.get(state.file)
    masks = derive.apertures(tpf, state)
    flux = derive.curve(store, state.file, state, masks)
    hidden = derive.hidden(store, state.file, state)
    bitmask = tpf.flags.bitmask(state.quality)
    for bit in state.bits:
        bitmask |= int(bit)
    words = state.quality + "".join(f" +{bit}" for bit in state.bits)
    return CurveExport(tpf=tpf, flux=np.asarray(flux, dtype=np.float64),
                       flux_err=aperture_flux_err(tpf, masks.target),
                       target_mask=masks.target, background_mask=masks.background,
                       background=state.background, hidden=np.asarray(hidden, dtype=bool),
                       quality=words, quality_bitmask=int(bitmask),
                       drop_hidden=state.masked == "hide")


def movie_spec(tpf, state: ViewState, frame: int, start, end, skip, fps, outline: bool,
               window: int) -> MovieSpec:
    """Frames ``start``..``end`` (0-based; empty: ``window`` either side of ``frame``) in the
    view's stretch, scale and colour map."""
    first = int(start) if start not in (None, "") else frame - window
    last = int(end) if end not in (None, "") else frame + window
    masks = derive.apertures(tpf, state)
    return MovieSpec(first, last, step=int(skip or 1), fps=float(fps or 10),
                     levels=tpf.levels(state.low, state.high), scale=state.scale,
                     colormap=state.cmap, outline=masks.target if outline else None)
