"""Shareable links and exports.

- The address follows the view: a browser-side callback writes the query (see
  :mod:`dashboard.urlstate`) with ``history.replaceState``, at most four times a second, so a
  cadence step costs no request and no history entry. Opening a link restores the view:
  :func:`restore` reads ``url.search`` once the page is up; when the link names another file it
  opens that file first and keeps the rest in ``share-pending`` until the file is drawn.
- CSV and FITS light curves come from :mod:`dashboard.data.export`, a PNG of both graphs from
  plotly.js's own ``Plotly.toImage`` in the browser, movies from :mod:`dashboard.data.movie` in
  a background job with progress.
"""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import numpy as np
from dash import Input, Output, State, html, no_update
from dash.exceptions import PreventUpdate

from ..caching import background_manager
from ..data import DataError
from ..data.export import CurveExport, aperture_flux_err, file_stem, lightcurve_csv, lightcurve_fits
from ..data.masks import decode_mask
from ..data.movie import MovieSpec, write_movie
from ..layout_share import MOVIE_WINDOW
from ..urlstate import DEFAULTS, decode_state, fits_file
from . import view_state

log = logging.getLogger(__name__)

# Controls a link sets, in the order of _VIEW_OUTPUTS.
_VIEW_OUTPUTS = [
    Output("cadence", "value", allow_duplicate=True),
    Output("aperture-edits", "data", allow_duplicate=True),
    Output("stretch", "value", allow_duplicate=True),
    Output("scale", "value", allow_duplicate=True),
    Output("quality-mask", "value", allow_duplicate=True),
    Output("quality-bits", "value", allow_duplicate=True),
    Output("masked-display", "value", allow_duplicate=True),
    Output("image-mode", "value", allow_duplicate=True),
    Output("difference-n", "value", allow_duplicate=True),
    Output("background", "value", allow_duplicate=True),
]
_URL_INPUTS = ["session.data", "cadence.value", "aperture.data", "stretch.value", "scale.value",
               "quality-mask.value", "quality-bits.value", "masked-display.value",
               "image-mode.value", "difference-n.value", "background.value"]

WRITE_URL = """
function (session, aperture, stretch, scale, quality, bits, masked, image, n, background, frame) {
  const defaults = __DEFAULTS__;
  const params = new URLSearchParams();
  const put = (key, value) => {
    if (value === null || value === undefined || value === "") return;
    if (key in defaults && String(value) === String(defaults[key])) return;
    params.set(key, String(value));
  };
  put("file", session && session.file);
  put("frame", frame || 0);
  put("aperture", aperture && aperture.target);
  put("sky", aperture && aperture.background);
  if (Array.isArray(stretch)) { put("low", stretch[0]); put("high", stretch[1]); }
  put("scale", scale); put("quality", quality);
  if (Array.isArray(bits) && bits.length) {
    put("bits", bits.map(Number).sort((a, b) => a - b).join("-"));
  }
  put("masked", masked); put("image", image); put("n", n); put("background", background);
  const query = params.toString();
  const url = window.location.pathname + (query ? "?" + query : "");
  const triggered = window.dash_clientside.callback_context.triggered;
  const initial = !triggered || !triggered.length || triggered[0].prop_id === ".";
  if (!initial) {
    // replaceState, not pushState: moving through cadences must not fill the history, and
    // Chromium throttles more than ~200 history calls in 10 s (playback reaches 30/s).
    const share = window._tpfShare = window._tpfShare || {};
    share.url = url;
    if (!share.timer) {
      share.timer = setTimeout(() => {
        share.timer = null;
        if (share.url !== window.location.pathname + window.location.search) {
          window.history.replaceState(window.history.state, "", share.url);
        }
      }, 250);
    }
  }
  return window.location.origin + url;
}
""".replace("__DEFAULTS__", json.dumps(
    {key: DEFAULTS[key] for key in ("low", "high", "scale", "quality", "masked", "image", "n",
                                    "background")} | {"frame": 0}))

COPY_LINK = """
async function (clicks, href) {
  if (!clicks) return window.dash_clientside.no_update;
  const link = href || window.location.href;
  try {
    await navigator.clipboard.writeText(link);
    return "Link copied.";
  } catch (error) {
    // Plain http (no secure context) has no clipboard API: the old way, with a selection.
    const area = document.createElement("textarea");
    area.value = link;
    area.setAttribute("readonly", "");
    area.style.position = "fixed"; area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    let copied = false;
    try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
    document.body.removeChild(area);
    return copied ? "Link copied." : "Copying is blocked here: right-click 'link to this view' "
                                     + "and copy the link address.";
  }
}
"""

# Both graphs through plotly.js's own image export, side by side, the cursor drawn in red.
EXPORT_PNG = """
async function (clicks) {
  if (!clicks) return window.dash_clientside.no_update;
  const scale = 2;
  const graphs = ["lightcurve", "pixels"].map(
    id => document.querySelector("#" + id + " .js-plotly-plot"));
  const urls = await Promise.all(graphs.map(gd => window.Plotly.toImage(gd, {
    format: "png", width: gd.offsetWidth, height: gd.offsetHeight, scale: scale})));
  const images = await Promise.all(urls.map(url => new Promise((resolve, reject) => {
    const image = new Image(); image.onload = () => resolve(image); image.onerror = reject;
    image.src = url;
  })));
  const canvas = document.createElement("canvas");
  canvas.width = images[0].width + images[1].width;
  canvas.height = Math.max(images[0].height, images[1].height);
  const context = canvas.getContext("2d");
  context.fillStyle = "white"; context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(images[0], 0, 0); context.drawImage(images[1], images[0].width, 0);
  const slider = document.querySelector("#cadence [role=slider]");
  const frame = slider ? Number(slider.getAttribute("aria-valuenow")) : 0;
  const gd = graphs[0], layout = gd._fullLayout, trace = gd._fullData[0];
  if (layout && layout.xaxis && trace && trace.x && frame < trace.x.length) {
    const px = layout.xaxis.l2p(trace.x[frame]);
    if (isFinite(px) && px >= 0 && px <= layout.xaxis._length) {
      const x = (layout.xaxis._offset + px) * scale;
      context.strokeStyle = "red"; context.lineWidth = 2 * scale;
      context.beginPath(); context.moveTo(x, layout._size.t * scale);
      context.lineTo(x, (layout._size.t + layout._size.h) * scale); context.stroke();
    }
  }
  const name = (document.getElementById("target-name") || {}).textContent || "view";
  const cadence = (document.getElementById("readout-0") || {}).textContent || String(frame);
  const stem = (name + "_cadence_" + cadence).replace(/[^A-Za-z0-9.-]+/g, "_");
  return {content: canvas.toDataURL("image/png").split(",")[1], filename: stem + ".png",
          base64: true, type: "image/png"};
}
"""


def register(app, store, settings) -> None:
    # The cadence is a State here: on every step the browser keeps the link's `frame` up to
    # date itself (assets/dashboard.js, following the slider), so a step costs no callback.
    app.clientside_callback(WRITE_URL, Output("share-link", "href"),
                            *[Input(*i.split(".")) for i in _URL_INPUTS if i != "cadence.value"],
                            State("cadence", "value"))
    app.clientside_callback(COPY_LINK, Output("share-status", "children"),
                            Input("copy-link", "n_clicks"), State("share-link", "href"),
                            prevent_initial_call=True)
    app.clientside_callback(EXPORT_PNG, Output("download-png", "data"),
                            Input("export-png", "n_clicks"), prevent_initial_call=True)

    @app.callback(
        Output("session", "data", allow_duplicate=True),
        Output("share-pending", "data", allow_duplicate=True),
        *_VIEW_OUTPUTS,
        Output("message", "children", allow_duplicate=True),
        Input("url", "search"),
        State("session", "data"),
        prevent_initial_call=True,
    )
    def restore(search, session):
        """Open a link: its file (when another), then every field it sets."""
        state, notices = decode_state(search)
        if not state and not notices:
            raise PreventUpdate
        current = (session or {}).get("file")
        fid = state.pop("file", current)
        try:
            tpf = store.get(fid)
        except DataError:
            notices.append("The linked file is no longer in the server's cache (or the link is "
                           "damaged): the default view is shown. Open the file again and share "
                           "a new link.")
            return (no_update, None, *[no_update] * len(_VIEW_OUTPUTS), _notices(notices))
        if fid != current:  # the rest waits until that file is drawn (apply_pending)
            return ({"file": fid}, {"file": fid, "state": state, "notices": notices},
                    *[no_update] * len(_VIEW_OUTPUTS), _notices(notices))
        return (no_update, None, *_view(tpf, state, notices), _notices(notices))

    @app.callback(
        Output("share-pending", "data", allow_duplicate=True),
        *_VIEW_OUTPUTS,
        Output("message", "children", allow_duplicate=True),
        Input("cadence", "max"),
        State("share-pending", "data"),
        State("session", "data"),
        prevent_initial_call=True,
    )
    def apply_pending(_, pending, session):
        """A link's view, once its file has been opened and drawn (files.show_file sets the
        slider's end last thing, after resetting the view)."""
        if not pending or pending.get("file") != (session or {}).get("file"):
            raise PreventUpdate
        try:
            tpf = store.get(pending["file"])
        except DataError:
            raise PreventUpdate from None
        notices = list(pending.get("notices") or [])
        return (None, *_view(tpf, pending.get("state") or {}, notices), _notices(notices))

    view_states = [State("session", "data"), State("aperture", "data"),
                   State("background", "value"), State("quality-mask", "value"),
                   State("quality-bits", "value"), State("masked-display", "value")]

    @app.callback(Output("download-csv", "data"),
                  Output("message", "children", allow_duplicate=True),
                  Input("export-csv", "n_clicks"), *view_states, prevent_initial_call=True)
    def export_csv(clicks, *view):
        try:
            export = _curve_export(store, *view)
        except DataError as exc:
            return no_update, html.Div(str(exc), className="error")
        return {"content": lightcurve_csv(export), "filename": file_stem(export.tpf) + ".csv",
                "type": "text/csv"}, no_update

    @app.callback(Output("download-fits", "data"),
                  Output("message", "children", allow_duplicate=True),
                  Input("export-fits", "n_clicks"), *view_states, prevent_initial_call=True)
    def export_fits(clicks, *view):
        try:
            export = _curve_export(store, *view)
        except DataError as exc:
            return no_update, html.Div(str(exc), className="error")
        content = base64.b64encode(lightcurve_fits(export)).decode("ascii")
        return {"content": content, "filename": file_stem(export.tpf) + ".fits",
                "base64": True, "type": "application/fits"}, no_update

    _register_movie(app, store, settings)


def _register_movie(app, store, settings) -> None:
    import diskcache  # noqa: PLC0415 (only the server needs it)

    # A process per job on this host, or a Celery worker when REDIS_URL is set (caching.py).
    manager = background_manager(
        settings, diskcache.Cache(str(Path(settings["cache_dir"]) / "movie-jobs")))

    @app.callback(
        Output("download-movie", "data"),
        Output("movie-status", "children"),
        Input("export-movie", "n_clicks"),
        State("session", "data"), State("cadence", "value"),
        State("movie-start", "value"), State("movie-end", "value"),
        State("movie-skip", "value"), State("movie-fps", "value"),
        State("movie-format", "value"), State("movie-outline", "value"),
        State("stretch", "value"), State("scale", "value"), State("aperture", "data"),
        background=True, manager=manager, interval=400,
        running=[(Output("export-movie", "disabled"), True, False),
                 (Output("cancel-movie", "disabled"), False, True),
                 (Output("movie-busy", "hidden"), False, True)],
        progress=[Output("movie-progress", "value"), Output("movie-progress-text", "children")],
        progress_default=["0", ""],
        cancel=[Input("cancel-movie", "n_clicks")],
        prevent_initial_call=True,
    )
    def make_movie(set_progress, clicks, session, frame, start, end, skip, fps, fmt, outline,
                   percentiles, scale, stored_aperture):
        if not clicks:
            raise PreventUpdate
        try:
            tpf = store.get((session or {}).get("file"))
            frame = int(frame or 0)
            first = int(start) - 1 if start else frame - MOVIE_WINDOW
            last = int(end) - 1 if end else frame + MOVIE_WINDOW
            masks = view_state.aperture(tpf, stored_aperture)
            spec = MovieSpec(first, last, step=int(skip or 1), fps=float(fps or 10),
                             levels=tpf.levels(*(percentiles or (1, 95))), scale=scale or "log",
                             outline=masks.target if outline else None)
            frames = spec.frames(tpf.n_cadences)

            def report(done, total):
                if done == 1 or done == total or done % max(1, total // 20) == 0:
                    set_progress((str(round(100 * done / total)),
                                  f"frame {done} of {total}"))
            data = write_movie(tpf, spec, fmt or "gif", progress=report)
        except DataError as exc:
            return no_update, html.Div(str(exc), className="error")
        name = (f"{file_stem(tpf).removesuffix('_lightcurve')}_frames_{frames[0] + 1}-"
                f"{frames[-1] + 1}.{fmt}")
        status = (f"{name}: {frames.size} frames at {spec.fps:g} fps, "
                  f"{len(data) / 2**20:,.1f} MB.")
        return ({"content": base64.b64encode(data).decode("ascii"), "filename": name,
                 "base64": True, "type": "image/gif" if fmt == "gif" else "video/mp4"},
                status)


def _curve_export(store, session, stored_aperture, background, preset, bits,
                  display) -> CurveExport:
    fid = (session or {}).get("file")
    tpf = store.get(fid)
    masks = view_state.aperture(tpf, stored_aperture)
    flux = view_state.curve(store, fid, masks, background)
    hidden = view_state.hidden(store, fid, preset, bits)
    bitmask = tpf.flags.bitmask(preset or "none")
    for bit in bits or []:
        bitmask |= int(bit)
    words = (preset or "none") + "".join(f" +{int(b)}" for b in sorted(bits or []))
    return CurveExport(tpf=tpf, flux=np.asarray(flux, dtype=np.float64),
                       flux_err=aperture_flux_err(tpf, masks.target),
                       target_mask=masks.target, background_mask=masks.background,
                       background=background or "none", hidden=np.asarray(hidden, dtype=bool),
                       quality=words, quality_bitmask=int(bitmask),
                       drop_hidden=display == "hide")


def _view(tpf, state: dict, notices: list[str]) -> tuple:
    """The values of _VIEW_OUTPUTS for a link's ``state`` on ``tpf`` (notices appended)."""
    state, dropped = fits_file(state, tpf.n_cadences, tpf.shape)
    notices.extend(dropped)
    bits = state.get("bits", [])
    known = [b for b in bits if b in tpf.flags.names]
    if len(known) < len(bits):
        notices.append("The link's quality bits include some this mission does not define; "
                       "they were ignored.")
    return (
        state.get("frame", 0),
        _aperture_edits(tpf, state),
        [state.get("low", DEFAULTS["low"]), state.get("high", DEFAULTS["high"])],
        state.get("scale", DEFAULTS["scale"]),
        state.get("quality", DEFAULTS["quality"]),
        known,
        state.get("masked", DEFAULTS["masked"]),
        state.get("image", DEFAULTS["image"]),
        state.get("n", DEFAULTS["n"]),
        state.get("background", DEFAULTS["background"]),
    )


def _aperture_edits(tpf, state: dict) -> list[dict]:
    """Edits that callbacks.aperture.replay turns into the link's masks: a selection of exactly
    the mask's pixels (or a clear), so later clicks keep adding to the restored aperture."""
    edits = []
    for key, which in (("aperture", "target"), ("sky", "background")):
        if key not in state:
            continue
        mask = decode_mask(state[key], tpf.shape)
        if not mask.any():
            edits.append({"op": "clear", "which": which})
            continue
        points = [{"x": int(tpf.column + j), "y": int(tpf.row + i)} for i, j in np.argwhere(mask)]
        edits.append({"op": "select", "which": which, "selection": {"points": points}})
    return edits


def _notices(notices: list[str]):
    return [html.Div(text, className="notice") for text in notices] if notices else no_update
