"""A view's figures: what the page draws for a ViewState, whole (a new file, the first page)
or as the parts a change alters. The callbacks decide which, from what they drew last."""

from __future__ import annotations

import numpy as np

from ..data.vetting import difference_image
from ..figures import lightcurve as curves
from ..figures import pixels
from ..figures.diagnostics import difference_levels
from ..figures.stretch import difference_colorscale, stretched_colorscale
from . import custom as custom_curve
from . import derive
from .files import quality_labels
from .state import ViewState

# What each drawing depends on: when none of these fields changed, it is left alone.
CURVE_FIELDS = ("file", "aperture", "sky", "background", "quality", "bits", "masked",
                "normalise")
LOOK_FIELDS = ("low", "high", "scale", "cmap", "dcmap", "image", "n", "quality", "bits")
OUTLINE_FIELDS = ("aperture", "sky")


def key(state: ViewState, names: tuple[str, ...]) -> dict:
    """The fields ``names`` of ``state``, JSON-able: what a drawing was made from."""
    values = state.to_dict()
    return {name: values[name] for name in names}


# -- the light curve -----------------------------------------------------------------------------

def curve_figure(store, state: ViewState, custom: dict | None = None) -> dict:
    """The whole light-curve figure of a view: the file's figure (built once per file and
    shared between workers) with the view's curve, marks and custom curve put in."""
    own = state.but(aperture=None, sky=None, background="none")

    def build(tpf):
        flux = derive.curve_or_nan(store, state.file, own, derive.apertures(tpf, own))
        return curves.lightcurve_figure(
            tpf.time, flux, cadenceno=tpf.cadenceno, quality=tpf.quality,
            quality_labels=quality_labels(tpf), time_system=tpf.time_system,
            revision=state.file)
    base = store.derived(state.file, "lightcurve-figure", build)
    return _apply(base, curve_parts(store, state, custom))


def curve_is_overview(store, state: ViewState) -> bool:
    """Whether the file's light curve is drawn as an overview (figures/lightcurve.py)."""
    return store.get(state.file).n_cadences > curves.MAX_POINTS


def curve_parts(store, state: ViewState, custom: dict | None = None,
                x_range: tuple[float, float] | None = None) -> dict:
    """The traces and axis titles a view's choices set on the light curve, as a Patch-like
    dict of changes (see :func:`_apply` and callbacks/curve.py). ``x_range``: the time range
    in view, drawn in full when the curve is an overview."""
    tpf, flux, shown, masked = _shown_curve(store, state)
    label = "Normalised flux" if state.normalise else "Flux (e⁻/s)"
    patch = curves.curve_patch(tpf.time, shown, cadenceno=tpf.cadenceno, quality=tpf.quality,
                               quality_labels=quality_labels(tpf), masked=masked,
                               hide_masked=state.masked == "hide", flux_label=label,
                               x_range=x_range)
    view = _custom_on_view(store, state, custom, flux)
    if view is None:
        return curves.custom_patch(None, patch)
    cadence = tpf.cadence_days or float(np.nanmedian(np.diff(tpf.time)))
    traces = curves.custom_traces(view.time, view.flux, view.frames, name=view.name,
                                  time_system=tpf.time_system, max_gap_days=1.5 * cadence,
                                  own_axis=view.own_axis)
    return curves.custom_patch(traces, patch, axis_title=view.label)


def curve_zoom(store, state: ViewState, x_range: tuple[float, float] | None):
    """An overview's time range changed (a zoom, a pan, Reset axes): a Patch of trace 0's
    values only, every frame in ``x_range`` drawn; nothing else on the curve moves."""
    tpf, _, shown, masked = _shown_curve(store, state)
    return curves.values_patch(tpf.time, shown, masked, state.masked == "hide", x_range)


def _shown_curve(store, state: ViewState):
    """(file, aperture curve, the curve as drawn (normalised or not), masked frames)."""
    tpf = store.get(state.file)
    masks = derive.apertures(tpf, state)
    flux = derive.curve_or_nan(store, state.file, state, masks)
    shown = custom_curve.normalised(flux) if state.normalise else flux
    return tpf, flux, shown, derive.hidden(store, state.file, state)


def custom_notices(store, state: ViewState, custom: dict | None, tpf=None) -> list[str]:
    if not custom or not custom.get("id"):
        return []
    masks = derive.apertures(tpf or store.get(state.file), state)
    flux = derive.curve_or_nan(store, state.file, state, masks)
    try:
        return custom_curve.notices(custom_curve.on_view(store, custom, state.file, flux,
                                                         state.normalise))
    except Exception as exc:  # noqa: BLE001 (a DataError from the reader, said in the page)
        return [str(exc)]


def _custom_on_view(store, state, custom, flux):
    if not custom or not custom.get("id"):
        return None
    try:
        return custom_curve.on_view(store, custom, state.file, flux, state.normalise)
    except Exception:  # noqa: BLE001 (its notice says why; the curve is drawn without it)
        return None


def _apply(figure: dict, patch) -> dict:
    """``figure`` with a Dash Patch's assignments applied (a copy; the cached one is shared)."""
    import copy

    figure = copy.deepcopy(figure)
    for operation in patch.to_plotly_json()["operations"]:
        if operation["operation"] != "Assign":
            continue
        *path, last = operation["location"]
        target = figure
        for step in path:
            target = target[step]
        target[last] = operation["params"]["value"]
    return figure


# -- the pixel image ------------------------------------------------------------------------------

def look(tpf, state: ViewState, image: np.ndarray | None = None) -> pixels.Look:
    """The colours of the view's image: the stretch over the whole cube for flux, symmetric
    limits around zero in a diverging map for a difference image."""
    if state.image == "difference":
        low, high = difference_levels(image if image is not None else np.zeros(1))
        return pixels.Look(low, high, difference_colorscale(state.dcmap), "Δ e⁻/s")
    low, high = tpf.levels(state.low, state.high)
    return pixels.Look(low, high, stretched_colorscale(state.scale, state.cmap))


def image(store, state: ViewState, frame: int) -> np.ndarray:
    """The view's image of ``frame``: its flux, or the difference from its neighbours."""
    tpf = store.get(state.file)
    if state.image == "difference":
        return difference_image(tpf, frame, state.n, derive.hidden(store, state.file, state))
    return tpf.flux[frame]


def pixels_figure(store, state: ViewState, frame: int = 0, hover=None) -> dict:
    tpf = store.get(state.file)
    frame = int(np.clip(frame, 0, tpf.n_cadences - 1))
    masks = derive.apertures(tpf, state)
    shown = image(store, state, frame)
    return pixels.pixel_figure(shown, look(tpf, state, shown), column=tpf.column, row=tpf.row,
                               target=masks.target, background=masks.background,
                               file=state.file, frame=frame, hover=hover)
