"""What the page says about an open file: its header line, notices, and which choices it
can fill (a control whose data the file lacks says so beside it, not by silence)."""

from __future__ import annotations

import numpy as np

from .derive import flux_bkg_usable, frames_without_time, pos_corr_usable


def header_parts(tpf) -> list[tuple[str, str]]:
    """(role, text) pieces of the header line: mission, target, period, size, name."""
    parts = [("mission", tpf.mission), ("name", tpf.target)]
    if tpf.period:
        parts.append(("period", tpf.period))
    parts.append(("size", f"{tpf.shape[0]}×{tpf.shape[1]} px · {tpf.n_cadences:,} cadences"))
    parts.append(("badge", "Simulated demo") if tpf.simulated else ("filename", tpf.filename))
    return parts


def notices(tpf) -> list[str]:
    out = []
    if tpf.simulated:
        from ..data.demo import description

        out.append(description())
    out.extend(getattr(tpf, "notices", None) or [])
    if not tpf.aperture_from_file:
        out.append("This file has no pipeline aperture: the outlined aperture is pixels more "
                   "than 3σ above the median image, connected to the centre (a threshold "
                   "aperture).")
    if tpf.cadenceno_synthesised:
        out.append("This file has no cadence numbers (TESScut writes 0): CADENCENO is the "
                   "0-based frame number here.")
    missing = frames_without_time(tpf)
    if missing:
        out.append(f"{missing:,} of {tpf.n_cadences:,} cadences have no valid time: they are "
                   "left out of the light curve and its exports (their frames can still be "
                   "stepped through).")
    return out


def quality_bit_options(tpf) -> list[dict]:
    return [{"label": f"{bit}: {name}", "value": bit} for bit, name in tpf.flags.names.items()]


def quality_labels(tpf) -> dict[int, str]:
    """Each distinct non-zero QUALITY value of the file and its decoded names."""
    return {int(q): ", ".join(tpf.flags.decode(q)) for q in np.unique(tpf.quality) if q}


def background_options(tpf) -> list[dict]:
    """The background choices, the FLUX_BKG one disabled (and saying why) when unusable."""
    if tpf.flux_bkg is None:
        why = " (this file has no FLUX_BKG)"
    elif not flux_bkg_usable(tpf):
        why = " (FLUX_BKG is all NaN in this file)"
    else:
        why = ""
    return [{"label": "none", "value": "none"},
            {"label": "subtract FLUX_BKG" + why, "value": "file", "disabled": bool(why)},
            {"label": "subtract background pixels", "value": "aperture"}]


def panel_options(tpf) -> list[dict]:
    """The diagnostic panels, each saying what it shows for this file."""
    background = "background" if flux_bkg_usable(tpf) else \
        "background (no usable FLUX_BKG: from background pixels)"
    centroids = "centroids + POS_CORR" if pos_corr_usable(tpf) else \
        "centroids (no POS_CORR in this file)"
    return [{"label": background, "value": "background"},
            {"label": centroids, "value": "centroids"},
            {"label": "per-pixel curves", "value": "pixels"}]
