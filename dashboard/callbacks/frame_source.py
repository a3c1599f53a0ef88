"""Where the browser's frame painter gets its frames: the ``frame-source`` store and ``/frames``.

Stepping through cadences is the product's hottest path, so the browser paints frames itself
(assets/frames.js) from batches fetched ahead of the cursor instead of asking Dash for each
frame and having Plotly redraw the heatmap. This module tells it, per view, where a batch comes
from (a URL naming the file id and the choices that change the pixels or the readout) and how
to colour it (the same stretched colour scale and limits Plotly's colour bar shows), and serves
the batches. Plotly's own heatmap is brought up to date once stepping pauses (frames.py), for
hover and exports.
"""

from __future__ import annotations

from urllib.parse import urlencode

import numpy as np
from dash import Input, Output
from flask import Response, jsonify, request

from ..data import DataError
from ..data.vetting import difference_image
from ..figures.diagnostics import DIFFERENCE_COLORSCALE, difference_levels
from ..figures.frame_batch import encode_batch
from ..figures.stretch import DEFAULT_PERCENTILES, DEFAULT_SCALE, stretched_colorscale
from . import view_state
from .frames import readout

BATCH_BYTES = 256 * 1024  # pixels per flux batch: a few hundred KB, ~5 ms to serve
MAX_BATCH = 256
DIFFERENCE_BATCH = 16  # each difference frame costs ~1 ms of medians on the server
BACKGROUND_MODES = ("none", "file", "aperture")


def batch_size(shape: tuple[int, int], mode: str) -> int:
    if mode == "difference":
        return DIFFERENCE_BATCH
    return int(np.clip(BATCH_BYTES // (4 * shape[0] * shape[1]), 8, MAX_BATCH))


def frame_source(store, fid: str, stored_aperture=None, background=None,
                 mode=None, n=None, preset=None, bits=None, percentiles=DEFAULT_PERCENTILES,
                 scale=DEFAULT_SCALE) -> dict | None:
    """The ``frame-source`` store: batch URL, batch size and colour mapping of a view."""
    try:
        tpf = store.get(fid)
    except DataError:
        return None
    mode = "difference" if mode == "difference" else "flux"
    masks = view_state.aperture(tpf, stored_aperture)
    params = {"target": masks.target_code, "background": background or "none"}
    if background == "aperture":
        params["background_pixels"] = masks.background_code
    if mode == "difference":
        params.update(mode=mode, n=int(n or 5), mask=preset or "none",
                      bits="-".join(str(int(b)) for b in sorted(bits or [])))
    # Relative to the page, so it also works under a path prefix (Dash's requests prefix).
    source = {"url": f"frames/{fid}?{urlencode(params)}",
              "batch": batch_size(tpf.shape, mode), "frames": tpf.n_cadences, "mode": mode}
    if mode == "flux":  # difference batches carry each frame's own limits
        low, high = tpf.levels(*(percentiles or DEFAULT_PERCENTILES))
        source.update(colorscale=stretched_colorscale(scale or DEFAULT_SCALE),
                      zmin=low, zmax=high)
    else:
        source["colorscale"] = DIFFERENCE_COLORSCALE
    return source


def frame_batch(store, fid: str, args) -> bytes:
    """The batch a ``/frames`` request asks for (raising DataError, ValueError, KeyError)."""
    tpf = store.get(fid)
    mode = args.get("mode", "flux")
    if mode not in ("flux", "difference"):
        raise ValueError(mode)
    start = int(args["start"])
    count = min(int(args.get("count", 1)), batch_size(tpf.shape, mode))
    if not 0 <= start < tpf.n_cadences or count < 1:
        raise ValueError("no such frames")
    stop = min(start + count, tpf.n_cadences)
    background = args.get("background", "none")
    if background not in BACKGROUND_MODES:
        raise ValueError(background)
    stored = {"target": args.get("target"), "background": args.get("background_pixels")}
    masks = view_state.aperture(tpf, stored)
    try:
        flux = view_state.curve(store, fid, masks, None if background == "none" else background)
    except DataError:  # an empty aperture: the curve panel says why; the readout says no data
        flux = np.full(tpf.n_cadences, np.nan)
    utc = tpf.utc_many(start, stop)
    readouts = [readout(tpf, frame, flux, utc[frame - start]) for frame in range(start, stop)]
    if mode == "flux":
        return encode_batch(tpf.flux[start:stop], start, readouts)
    bits = [int(b) for b in args.get("bits", "").split("-") if b]
    hidden = view_state.hidden(store, fid, args.get("mask", "none"), bits)
    n = int(np.clip(int(args.get("n", 5)), 1, 50))
    frames = np.stack([difference_image(tpf, frame, n, hidden) for frame in range(start, stop)])
    return encode_batch(frames, start, readouts, [difference_levels(f) for f in frames])


def register(app, store) -> None:
    @app.server.route(app.config.routes_pathname_prefix + "frames/<fid>")
    def frames(fid):
        try:
            body = frame_batch(store, fid, request.args)
        except DataError as exc:  # an unknown or evicted file
            return jsonify(message=str(exc)), 404
        except (KeyError, ValueError, TypeError):
            return jsonify(message="That frame request is not valid."), 400
        response = Response(body, mimetype="application/octet-stream")
        # A file id names content, so a batch never changes: the browser may keep it.
        response.headers["Cache-Control"] = "private, max-age=86400, immutable"
        return response

    @app.callback(
        Output("frame-source", "data"),
        Input("session", "data"),
        Input("aperture", "data"),
        Input("background", "value"),
        Input("image-mode", "value"),
        Input("difference-n", "value"),
        Input("quality-mask", "value"),
        Input("quality-bits", "value"),
        Input("stretch", "value"),
        Input("scale", "value"),
        prevent_initial_call=True,
    )
    def update_source(session, stored_aperture, background, mode, n, preset, bits,
                      percentiles, scale):
        fid = (session or {}).get("file")
        if not isinstance(fid, str):
            return None
        return frame_source(store, fid, stored_aperture, background, mode, n, preset,
                            bits, percentiles, scale)

