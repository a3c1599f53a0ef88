"""Re-extraction: aperture, background, quality mask, diagnostics and the custom curve.

One callback, because each of these changes what the others show (the curve depends on the
aperture and background, the marks on the quality mask, the normalisation on both curves). It
sends Patches of what changed; the per-cadence step (frames.py) stays small and reads the same
cached results.
"""

from __future__ import annotations

import numpy as np
from dash import Input, Output, State, html, no_update
from dash.exceptions import PreventUpdate

from ..data import DataError
from ..data.vetting import centroids, pixel_lightcurves
from ..figures.diagnostics import (
    aperture_shapes,
    diagnostics_figure,
    grid_highlight_patch,
    pixel_grid_figure,
)
from ..figures.lightcurve import curve_patch, custom_patch
from ..figures.pixels import frame_meta, outline_patch
from . import view_state
from .custom import custom_view
from .files import quality_labels
from .frames import readout


def _normalised(values: np.ndarray, normalise: bool) -> np.ndarray:
    if not normalise:
        return values
    median = np.nanmedian(values) if np.isfinite(values).any() else np.nan
    return values / median if median else values


def _diagnostic_panels(store, fid, tpf, masks, mode, chosen) -> dict[str, np.ndarray]:
    panels = {}
    if "background" in chosen:
        series = view_state.background_series(store, fid, masks, mode)
        if series is not None:
            panels["Background (e⁻/s)"] = series
    if "centroids" in chosen and masks.target.any():
        column, row = store.derived(fid, f"centroids:{masks.target_code}",
                                    lambda t: centroids(t, masks.target), share=False)
        panels["Centroid column"] = column
        panels["Centroid row"] = row
        if tpf.pos_corr1 is not None:
            panels["POS_CORR1 (px)"] = tpf.pos_corr1
            panels["POS_CORR2 (px)"] = tpf.pos_corr2
    return panels


def register(app, store, settings) -> None:
    @app.callback(
        Output("lightcurve", "figure", allow_duplicate=True),
        Output("pixels", "figure", allow_duplicate=True),
        Output("diagnostics", "figure"),
        Output("diagnostics-wrap", "hidden"),
        Output("pixel-grid", "figure"),
        Output("pixel-grid-wrap", "hidden"),
        Output("grid-file", "data"),
        Output("hidden", "data"),
        Output("readout-note-3", "children"),
        Output("analysis-notes", "children"),
        Input("aperture", "data"),
        Input("background", "value"),
        Input("quality-mask", "value"),
        Input("quality-bits", "value"),
        Input("masked-display", "value"),
        Input("diagnostic-panels", "value"),
        Input("custom", "data"),
        Input("normalise", "value"),
        State("session", "data"),
        State("cadence", "value"),
        State("grid-file", "data"),
        prevent_initial_call=True,
    )
    def reextract(stored_aperture, mode, preset, bits, display, chosen, custom, normalise,
                  session, frame, grid_file):
        try:
            fid = session["file"]
            tpf = store.get(fid)
        except (DataError, TypeError, KeyError):
            raise PreventUpdate from None
        notices = []
        masks = view_state.aperture(tpf, stored_aperture)
        try:
            flux = view_state.curve(store, fid, masks, mode)
        except DataError as exc:  # empty aperture, no FLUX_BKG, empty background aperture
            notices.append(str(exc))
            flux = np.full(tpf.n_cadences, np.nan)
        normalise = bool(normalise)
        masked = view_state.hidden(store, fid, preset, bits)
        label = "Normalised flux" if normalise else "Flux (e⁻/s)"
        curves = curve_patch(tpf.time, _normalised(flux, normalise), cadenceno=tpf.cadenceno,
                             quality=tpf.quality, quality_labels=quality_labels(tpf),
                             masked=masked, hide_masked=display == "hide", flux_label=label)

        traces = None
        if custom:
            try:
                traces, custom_notices = custom_view(
                    store, custom, fid, lambda values: _normalised(values, normalise))
                notices.extend(custom_notices)
            except DataError as exc:
                notices.append(str(exc))
        curves = custom_patch(traces, curves)

        frame = int(np.clip(frame or 0, 0, tpf.n_cadences - 1))
        pixels = outline_patch(aperture_shapes(masks.target, masks.background, tpf.column,
                                               tpf.row))
        # The readout's flux changes with the aperture; it travels with the frame (frames.py).
        pixels["data"][0]["meta"] = frame_meta(frame, readout(tpf, frame, flux))

        chosen = chosen or []
        panels = _diagnostic_panels(store, fid, tpf, masks, mode, chosen)
        if "background" in chosen and not any(k.startswith("Background") for k in panels):
            notices.append("This file has no FLUX_BKG; select background pixels to see a "
                           "background curve.")
        diagnostics = (diagnostics_figure(tpf.time, panels, time_system=tpf.time_system,
                                          revision=fid) if panels else no_update)
        grid, grid_hidden, built_for = no_update, True, no_update
        if "pixels" in chosen:
            grid_curves = store.derived(fid, "pixel-curves", pixel_lightcurves, share=False)
            grid_hidden = False
            if grid_file == fid:
                # The grid on the page is this file's: an aperture change only moves the
                # highlighted cells (a few KB), not the whole grid (~700 KB for 50x50).
                grid = grid_highlight_patch(grid_curves, masks.target, masks.background)
            else:
                grid = pixel_grid_figure(grid_curves, target_mask=masks.target,
                                         column=tpf.column, row=tpf.row,
                                         background_mask=masks.background, revision=fid)
                built_for = fid
            if grid_curves.limited:
                rows, columns = grid_curves.shape
                notices.append(f"The stamp is {tpf.shape[0]}×{tpf.shape[1]} pixels: the "
                               f"per-pixel grid shows the {rows}×{columns} around the aperture.")
        message = [html.Div(text, className="notice") for text in notices]
        return (curves, pixels, diagnostics, not panels, grid, grid_hidden, built_for,
                view_state.runs(masked), view_state.describe(masks, mode, tpf), message)

