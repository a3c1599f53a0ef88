"""Exports of the view: its light curve as CSV or FITS (one callback, one status line), and a
movie of a frame range made in a background job with progress and Cancel.

The PNG of both graphs is made in the browser (assets/exports.js), from what is on screen.
"""

from __future__ import annotations

import base64
from pathlib import Path

from dash import Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from ..caching import background_manager
from ..data import DataError
from ..data.export import file_stem, lightcurve_csv, lightcurve_fits
from ..data.movie import write_movie
from ..view.exports import MOVIE_WINDOW, curve_export, movie_spec
from ..view.owner import ViewRecord
from .parts import notes


def register(app, store, settings) -> None:
    @app.callback(
        Output("download-csv", "data"),
        Output("download-fits", "data"),
        Output("export-status", "children"),
        Input("export-csv", "n_clicks"),
        Input("export-fits", "n_clicks"),
        State("view", "data"),
        prevent_initial_call=True,
    )
    def export_curve(csv_clicks, fits_clicks, view):
        try:
            export = curve_export(store, ViewRecord.from_store(view).state)
        except DataError as exc:
            return no_update, no_update, notes([str(exc)], "error")
        stem = file_stem(export.tpf)
        done = notes([f"{len(export.rows):,} cadences written."])
        if ctx.triggered_id == "export-fits":
            content = base64.b64encode(lightcurve_fits(export)).decode("ascii")
            return no_update, {"content": content, "filename": stem + ".fits", "base64": True,
                               "type": "application/fits"}, done
        return ({"content": lightcurve_csv(export), "filename": stem + ".csv",
                 "type": "text/csv"}, no_update, done)

    _register_movie(app, store, settings)


def _register_movie(app, store, settings) -> None:
    import diskcache  # noqa: PLC0415 (only the server needs it)

    # A process per job on this host, or a Celery worker when REDIS_URL is set (caching.py).
    manager = background_manager(
        settings, diskcache.Cache(str(Path(settings.cache_dir) / "movie-jobs")))

    @app.callback(
        Output("download-movie", "data"),
        Output("movie-status", "children"),
        Input("export-movie", "n_clicks"),
        State("view", "data"), State("frame-sync", "data"),
        State("movie-start", "value"), State("movie-end", "value"),
        State("movie-skip", "value"), State("movie-fps", "value"),
        State("movie-format", "value"), State("movie-outline", "value"),
        background=True, manager=manager, interval=400,
        running=[(Output("export-movie", "disabled"), True, False),
                 (Output("cancel-movie", "disabled"), False, True),
                 (Output("movie-busy", "hidden"), False, True)],
        progress=[Output("movie-progress", "value"), Output("movie-progress-text", "children")],
        progress_default=["0", ""],
        cancel=[Input("cancel-movie", "n_clicks")],
        prevent_initial_call=True,
    )
    def make_movie(set_progress, clicks, view, sync, start, end, skip, fps, fmt, outline):
        if not clicks:
            raise PreventUpdate
        state = ViewRecord.from_store(view).state
        try:
            tpf = store.get(state.file)
            frame = int(sync["frame"]) if isinstance(sync, dict) and \
                sync.get("file") == state.file else 0
            spec = movie_spec(tpf, state, frame, start, end, skip, fps, bool(outline),
                              MOVIE_WINDOW)
            frames = spec.frames(tpf.n_cadences)

            def report(done, total):
                if done == 1 or done == total or done % max(1, total // 20) == 0:
                    set_progress((str(round(100 * done / total)), f"frame {done} of {total}"))
            data = write_movie(tpf, spec, fmt or "gif", progress=report)
        except DataError as exc:
            return no_update, notes([str(exc)], "error")
        name = (f"{file_stem(tpf).removesuffix('_lightcurve')}_frames_{frames[0]}-"
                f"{frames[-1]}.{fmt}")
        status = (f"{name}: {frames.size} frames (0-based {frames[0]}–{frames[-1]}) at "
                  f"{spec.fps:g} fps, {len(data) / 2**20:,.1f} MB.")
        return ({"content": base64.b64encode(data).decode("ascii"), "filename": name,
                 "base64": True, "type": "image/gif" if fmt == "gif" else "video/mp4"},
                status)
