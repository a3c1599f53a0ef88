"""``explain``: tick through the instrumental checklist for one cadence or a range of frames.

Every check runs on the same evidence (the difference image against nearby frames, its noise,
the target's position and PSF width); a check the file cannot support is listed in ``skipped``
with the reason instead of being scored. Hypotheses come back best first.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError
from . import compact, hypotheses, target
from .evidence import Unusable, build
from .matched import matched_difference
from .report import KINDS, BlipReport, Skipped, ramp
from .source import as_tpf

N_REFERENCE = 15  # frames each side in the reference median (30 in all)

_PIXEL_CHECKS = ("cosmic_ray", "moving_object", "pointing", "background", "scattered_light",
                 "rolling_band", "off_target", "on_target", "noise")
_SHAPE_CHECKS = ("moving_object", "pointing", "scattered_light", "rolling_band", "off_target",
                 "on_target")


def check_aperture(tpf, aperture) -> np.ndarray:
    aperture = tpf.pipeline_mask if aperture is None else np.asarray(aperture, dtype=bool)
    if aperture.shape != tpf.shape:
        raise DataError(f"Aperture shape {aperture.shape} does not match the stamp {tpf.shape}.")
    return aperture


def check_frames(tpf, frame, last) -> tuple[int, int]:
    try:
        first = int(frame)
        last = first if last is None else int(last)
    except (TypeError, ValueError):
        raise DataError(f"Frame {frame!r} is not a whole number.") from None
    n = tpf.n_cadences
    for value in (first, last):
        if not 0 <= value < n:
            raise DataError(f"Frame {value} is outside this file's frames 0-{n - 1}.")
    if last < first:
        raise DataError(f"The last frame ({last}) comes before the first ({first}).")
    return first, last


def explain(tpf, frame: int, aperture=None, *, last: int | None = None,
            background_mask=None, hidden=None, n_reference: int = N_REFERENCE) -> BlipReport:
    """Every hypothesis for frame ``frame`` (or frames ``frame``..``last``), best first.

    ``tpf`` is a TargetPixelFile, a path, bytes or a lightkurve TargetPixelFile; ``aperture`` a
    (rows, cols) bool mask (default: the pipeline aperture); ``hidden`` a bool per frame for
    cadences a quality mask hides (left out of the reference); ``background_mask`` optional
    background pixels whose change is reported with the background check.
    """
    tpf = as_tpf(tpf)
    first, last = check_frames(tpf, frame, last)
    aperture = check_aperture(tpf, aperture)
    if background_mask is not None:
        background_mask = check_aperture(tpf, background_mask)
    skipped: list[Skipped] = []
    found = [hypotheses.flagged(tpf, first, last)]
    numbers: dict = {"aperture_pixels": int(aperture.sum()),
                     "aperture_from_file": bool(tpf.aperture_from_file)}
    if not aperture.any():
        skipped.append(Skipped("aperture", "the aperture is empty: the target's position and "
                                           "the aperture's change are unknown"))
    try:
        ev = build(tpf, first, last, aperture, hidden, n_reference)
    except Unusable as exc:
        skipped += [Skipped(kind, str(exc)) for kind in _PIXEL_CHECKS]
    else:
        found += _pixel_checks(ev, background_mask, skipped)
        numbers.update(ev.numbers)
    # best first; among those with no evidence at all, the ones that came closest (by the
    # share they explain), and 'flagged' last: 'no QUALITY bit' is no explanation
    found.sort(key=lambda h: (-round(h.score, 6), h.score == 0 and h.kind == "flagged",
                              -float(h.numbers.get("share", 0) or 0), KINDS.index(h.kind)))
    time = float(tpf.time[first]) if np.isfinite(tpf.time[first]) else None
    return BlipReport(frame=first, first=first, last=last, cadenceno=int(tpf.cadenceno[first]),
                      time=time, time_system=tpf.time_system, hypotheses=found,
                      skipped=skipped, numbers=numbers)


def _pixel_checks(ev, background_mask, skipped: list[Skipped]) -> list:
    rows, cols = ev.shape
    narrow = min(rows, cols) < 3
    no_target = ev.target is None
    results, done = [], {}

    def run(kind, function, *args):
        if narrow and kind in _SHAPE_CHECKS:
            skipped.append(Skipped(kind, f"the stamp is {rows}x{cols} pixels: too narrow (fewer "
                                         "than 3 across) for shape, centroid and track checks"))
            return None
        if no_target and kind in ("on_target", "off_target"):
            skipped.append(Skipped(kind, "the aperture is empty (or holds no flux), so the "
                                         "target's position is unknown"))
            return None
        try:
            result = function(*args)
        except Unusable as exc:
            skipped.append(Skipped(kind, str(exc)))
            return None
        done[kind] = result
        results.append(result)
        return result

    run("cosmic_ray", compact.cosmic_ray, ev)
    moving = run("moving_object", compact.moving_object, ev)
    run("pointing", hypotheses.pointing, ev)
    compact_share = compact.point_source(ev, ev.diff, ev.weight, ev.signal).fraction
    run("background", hypotheses.background, ev, background_mask, compact_share)
    run("scattered_light", hypotheses.scattered_light, ev, compact_share)
    run("rolling_band", hypotheses.rolling_band, ev)
    if not narrow and not no_target:
        image, weight, signal = matched_difference(ev)
        source = compact.point_source(ev, image, weight, signal)
        # is the change sharper than a PSF where it is strongest? (then it is no star's)
        rejection = compact.psf_rejection(ev, source.sign * image, weight, source.top_pixels)
        sharp = ramp(rejection, 3, 6)
        ev.numbers["change_psf_rejection"] = rejection
        ev.numbers["change_centroid_row"] = source.row
        ev.numbers["change_centroid_column"] = source.column
        moving_factor = 0.0
        if moving is not None and "factors" in moving.numbers:
            f = moving.numbers["factors"]
            moving_factor = f["detections"] * f["moves"] * f["straight"]
        run("off_target", target.off_target, ev, source, moving_factor, sharp)
        run("on_target", target.on_target, ev, source, sharp)
    else:
        run("off_target", None)
        run("on_target", None)
    run("noise", hypotheses.noise, ev, max([h.score for h in results] or [0.0]))
    return results
