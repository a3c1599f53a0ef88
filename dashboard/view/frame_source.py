"""Where the browser's frame painter gets a view's frames, and the batches it gets.

Stepping through cadences is the product's hottest path, so the browser paints frames itself
(assets/frames.js) from batches fetched ahead of the cursor instead of asking Dash for each
frame. :func:`frame_source` is the page's ``frame-source`` store for a view: the batch URL
(the file id and only the choices that change pixels or readouts, so a stretch change reuses
every batch), the batch size, the colour mapping Plotly's colour bar shows, and what the
browser needs to step (the frames the quality mask hides). :func:`frame_batch` answers one
``/frames`` request from the same query.
"""

from __future__ import annotations

from urllib.parse import urlencode

import numpy as np

from ..data import DataError
from ..data.vetting import difference_image
from ..figures.diagnostics import difference_levels
from ..figures.frame_batch import encode_batch
from ..figures.stretch import difference_colorscale, stretched_colorscale
from . import custom as custom_curve
from . import derive
from .state import DEFAULT, ViewState, decode_query, encode_query

BATCH_BYTES = 256 * 1024  # pixels per flux batch: a few hundred KB, ~5 ms to serve
MAX_BATCH = 256
DIFFERENCE_BATCH = 16  # each difference frame costs ~1 ms of medians on the server
_PIXEL_FIELDS = ("aperture", "sky", "background", "image", "n", "quality", "bits", "normalise")


def batch_size(shape: tuple[int, int], mode: str) -> int:
    if mode == "difference":
        return DIFFERENCE_BATCH
    return int(np.clip(BATCH_BYTES // (4 * shape[0] * shape[1]), 8, MAX_BATCH))


def batch_state(state: ViewState) -> ViewState:
    """Only what changes a batch's pixels or readouts: the quality mask matters to difference
    images only (their reference frames), so flux batches keep their URL when it changes."""
    kept = {key: getattr(state, key) for key in _PIXEL_FIELDS}
    if state.image != "difference":
        kept.update(quality=DEFAULT.quality, bits=DEFAULT.bits, n=DEFAULT.n)
    return DEFAULT.but(**kept)


def frame_source(store, state: ViewState, custom: dict | None = None) -> dict | None:
    """The ``frame-source`` store of a view (None when its file cannot be opened)."""
    try:
        tpf = store.get(state.file)
    except DataError:
        return None
    masks = derive.apertures(tpf, state)
    params = encode_query(batch_state(state)).lstrip("?")
    if custom and custom.get("id"):
        params += ("&" if params else "") + urlencode(_custom_params(custom))
    mode = state.image
    source = {
        # Relative to the page, so it also works under a path prefix (Dash's requests prefix).
        "url": f"frames/{state.file}?{params}",
        "file": state.file, "batch": batch_size(tpf.shape, mode), "frames": tpf.n_cadences,
        "mode": mode, "shape": list(tpf.shape),
        "hidden": derive.runs(derive.hidden(store, state.file, state)), "skip": state.skip,
        "aperture": derive.aperture_note(state, masks),
        "custom": custom.get("name", "") if custom else "",
    }
    if mode == "flux":  # difference batches carry each frame's own limits
        low, high = tpf.levels(state.low, state.high)
        source.update(colorscale=stretched_colorscale(state.scale, state.cmap),
                      zmin=low, zmax=high)
    else:
        source["colorscale"] = difference_colorscale(state.dcmap)
    return source


def frame_batch(store, fid: str, args) -> bytes:
    """The batch a ``/frames`` request asks for (raising DataError, ValueError, KeyError)."""
    tpf = store.get(fid)
    query = urlencode([(key, args[key]) for key in _PIXEL_FIELDS if key in args])
    state, _, problems = decode_query(query)
    if problems:
        raise ValueError(problems[0])
    state = state.but(file=fid)
    start = int(args["start"])
    count = min(int(args.get("count", 1)), batch_size(tpf.shape, state.image))
    if not 0 <= start < tpf.n_cadences or count < 1:
        raise ValueError("no such frames")
    stop = min(start + count, tpf.n_cadences)
    masks = derive.apertures(tpf, state)
    flux = derive.curve_or_nan(store, fid, state, masks)
    own = _custom_values(store, fid, args, flux, state.normalise)
    utc = tpf.utc_many(start, stop)
    readouts = [derive.readout(tpf, frame, flux, utc[frame - start], own)
                for frame in range(start, stop)]
    if state.image == "flux":
        return encode_batch(tpf.flux[start:stop], start, readouts)
    hidden = derive.hidden(store, fid, state)
    frames = np.stack([difference_image(tpf, frame, state.n, hidden)
                       for frame in range(start, stop)])
    return encode_batch(frames, start, readouts, [difference_levels(f) for f in frames])


def _custom_params(custom: dict) -> list[tuple[str, str]]:
    columns = custom.get("columns") or {}
    pairs = [("custom", custom["id"]), ("csys", custom.get("time_system") or "auto")]
    pairs += [(f"c_{role}", name) for role, name in sorted(columns.items()) if name]
    return pairs


def _custom_values(store, fid: str, args, flux: np.ndarray, normalise: bool):
    """Per frame, the custom curve's value drawn there (NaN where it has no point), or None."""
    if not args.get("custom"):
        return None
    custom = {"id": args["custom"], "time_system": args.get("csys", "auto"),
              "columns": {role: args[f"c_{role}"] for role in ("time", "flux", "flux_err")
                          if args.get(f"c_{role}")}}
    try:
        return custom_curve.on_view(store, custom, fid, flux, normalise).per_frame
    except DataError:
        return None
