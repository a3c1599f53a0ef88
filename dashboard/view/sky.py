"""The sky around a view's stamp: who else is on these pixels (Gaia DR3, the TIC, a catalogue
of your own), how much of their light the view's aperture takes, and the known asteroids at a
cadence. Plain dicts for the page's stores; the services come from the settings
(dashboard/services.py) and cache their answers in the shared cache."""

from __future__ import annotations

import numpy as np

from ..data import DataError
from ..data.sky import ApertureFlux, CsvCatalogue, SkyField, catalogue_field, field_summary
from ..data.sky import known_objects as skybot_objects
from ..data.wcs import has_wcs, stamp_wcs
from ..figures.sky import radec_text
from ..services import gaia, skybot, tic
from . import derive

CATALOGUES = {"gaia": "Gaia DR3", "tic": "TIC", "yours": "your catalogue"}
CATALOGUE_KIND = "catalogues"  # the store's blob kind for uploaded catalogue CSVs


def hover(store, fid: str):
    """RA/Dec of each pixel for the heatmap's hover, or None for a file without a WCS."""
    def compute(tpf):
        return radec_text(stamp_wcs(tpf), tpf.shape) if has_wcs(tpf) else None
    return store.derived(fid, "radec-text", compute, share=False)


def options(tpf, catalogue: dict | None) -> list[dict]:
    """The catalogue choices for a file: each disabled, saying why, where it cannot be used."""
    if not has_wcs(tpf):
        why = " (this file carries no sky coordinates)"
        return [{"label": name + why, "value": key, "disabled": True}
                for key, name in CATALOGUES.items()]
    tess = tpf.mission == "TESS"
    yours = (catalogue or {}).get("name")
    return [{"label": "Gaia DR3 (VizieR)", "value": "gaia"},
            {"label": "TIC (MAST)" + ("" if tess else " (TESS files only)"), "value": "tic",
             "disabled": not tess},
            {"label": f"your catalogue ({yours})" if yours else
             "your catalogue (upload a CSV below)", "value": "yours", "disabled": not yours}]


def look_up(store, settings, fid: str, chosen: list[str], catalogue: dict | None
            ) -> tuple[dict, list[str]]:
    """The chosen catalogues' sources on the stamp ({key: SkyField dict}) and one status
    sentence per catalogue (or its failure, said plainly)."""
    tpf = store.get(fid)
    fields, status = {}, []
    for key in chosen:
        try:
            if key == "gaia":
                service = gaia(settings, store.shared)
            elif key == "tic":
                service = tic(settings, store.shared)
            elif key == "yours" and catalogue:
                data, name = store.get_blob(catalogue["id"], CATALOGUE_KIND)
                service = CsvCatalogue(data, name)
            else:
                continue
            sky = catalogue_field(tpf, service)
        except DataError as exc:
            status.append(str(exc))
            continue
        fields[key] = sky.to_dict()
        status.append(field_summary(sky))
    return fields, status


def fractions_and_contamination(tpf, sky: dict, aperture: np.ndarray):
    """Each source's share of light in ``aperture`` and the aperture's contamination."""
    field = SkyField.from_dict(sky)
    flux = ApertureFlux.for_field(field, tpf.mission, tpf.shape)
    return flux.fractions(aperture), flux.contamination(aperture), field


def summary(store, state, fields: dict) -> list[str]:
    """The status line per catalogue, with the view's aperture's contamination."""
    tpf = store.get(state.file)
    masks = derive.apertures(tpf, state)
    out = []
    for sky in fields.values():
        _, contamination, field = fractions_and_contamination(tpf, sky, masks.target)
        out.append(field_summary(field, contamination))
    return out


def asteroids(store, settings, fid: str, frame: int) -> dict:
    """The known solar-system objects on the stamp at ``frame`` (SkyBoT)."""
    tpf = store.get(fid)
    frame = min(max(int(frame), 0), tpf.n_cadences - 1)  # the browser's word for it
    return skybot_objects(tpf, frame, skybot(settings, store.shared)).to_dict()
