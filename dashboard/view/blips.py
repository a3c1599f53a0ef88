"""The blip report of a view: dashboard/data/blips on the view's own aperture, background
pixels and quality mask, as the plain dicts the page shows (cached per file and choices)."""

from __future__ import annotations

from ..data.blips import centroid_test, centroid_test_frames, explain, find_blips
from . import derive
from .state import ViewState

KIND_NAMES = {
    "flagged": "Flagged by the pipeline", "cosmic_ray": "Cosmic ray",
    "moving_object": "Moving object", "pointing": "Pointing jump",
    "background": "Background change", "scattered_light": "Scattered light",
    "rolling_band": "Rolling band", "off_target": "Off-target source",
    "on_target": "On the target", "noise": "Noise",
}


def _choices(store, state: ViewState):
    tpf = store.get(state.file)
    masks = derive.apertures(tpf, state)
    hidden = derive.hidden(store, state.file, state)
    return tpf, masks, hidden


def report(store, state: ViewState, frame: int) -> dict:
    """Every hypothesis for ``frame``, best first (``BlipReport.to_dict``)."""
    tpf, masks, hidden = _choices(store, state)
    result = explain(tpf, frame, masks.target if masks.target.any() else None,
                     background_mask=masks.background if masks.background.any() else None,
                     hidden=hidden)
    return result.to_dict()


def events(store, state: ViewState) -> dict:
    """The events of the view's light curve, most significant first, each named
    (``BlipList.to_dict``); computed once per (file, aperture, quality mask) per process."""
    tpf, masks, hidden = _choices(store, state)
    key = (f"blips:{masks.target_code}:{masks.background_code}:{state.quality}:"
           f"{'-'.join(map(str, state.bits))}")
    return store.derived(state.file, key, lambda t: find_blips(
        t, masks.target if masks.target.any() else None, hidden=hidden).to_dict(),
        share=False)


def centroid(store, state: ViewState, *, period=None, epoch=None, duration=None,
             picked: list[list[int]] | None = None) -> dict:
    """The pixel-level centroid test for an ephemeris (days, the file's own time system) or for
    event frame ranges picked in the list (``CentroidTest.to_dict``)."""
    tpf, masks, hidden = _choices(store, state)
    aperture = masks.target if masks.target.any() else None
    if picked:
        result = centroid_test_frames(tpf, [tuple(p) for p in picked], aperture, hidden=hidden)
    else:
        result = centroid_test(tpf, float(period), float(epoch), float(duration), aperture,
                               hidden=hidden)
    return result.to_dict()


def name_known_object(report: dict, known: dict, max_px: float = 3.0) -> None:
    """Name the known solar-system object (SkyBoT's answer ``known``, asked for a frame near
    the report's) that a moving-object hypothesis's fitted track passes within ``max_px`` of:
    its name and the distance go into the hypothesis's summary and numbers."""
    from ..data.sky import nearest_known_object, track_separation

    objects = known.get("objects") or []
    for hypothesis in report["hypotheses"]:
        track = (hypothesis.get("overlay") or {}).get("track")
        if hypothesis["kind"] != "moving_object" or not track or not objects:
            continue
        frames, rows, columns = zip(*track, strict=True)
        found = nearest_known_object((frames, rows, columns), objects, max_px)
        if found is None:
            continue
        name = f"({found.number}) {found.name}" if found.number else found.name
        distance = track_separation((frames, rows, columns), found)
        hypothesis["summary"] += (f" It is the known {found.kind or 'object'} {name}, "
                                  f"{distance:.1f} px from the track (SkyBoT).")
        hypothesis["numbers"]["known_object"] = name
        hypothesis["numbers"]["known_object_px"] = round(distance, 2)
