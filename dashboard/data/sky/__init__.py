"""Sky context for a stamp: catalogue stars on the pixels, their light in the aperture, and the
known asteroids at a cadence. No Dash here.

* :mod:`.sources` - the :class:`Source` record, a user's CSV catalogue, the file's own target.
* :mod:`.field` - the cone around the stamp; sources moved to the file's epoch and placed on it.
* :mod:`.psf` - each source's share of light in an aperture, the aperture's contamination.
* :mod:`.services` - base URLs, the one timeout, the cache and the errors every service shares.
* :mod:`.gaia`, :mod:`.tic`, :mod:`.asteroids` - Gaia DR3 (VizieR), the TIC (MAST), SkyBoT.
* :mod:`.query` - the file -> field call, the CSV catalogue as a catalogue, the status text.

All pixel positions are stamp pixels (x = column index, y = row index, 0-based); the page's
CCD coordinates are (tpf.column + x, tpf.row + y).
"""

from .asteroids import (
    OBSERVATORY,
    KnownObject,
    KnownObjects,
    SkyBoT,
    cadence_jd_utc,
    known_objects,
    nearest_known_object,
    track_separation,
)
from .field import DEFAULT_MAG_RANGE, SkyField, place_sources, propagate, stamp_cone
from .gaia import GaiaDR3
from .psf import PSF_SIGMA_PX, ApertureFlux, Contamination, psf_image
from .query import CsvCatalogue, catalogue_field, field_summary
from .services import ConeResult
from .sources import Source, read_catalogue_csv, target_source
from .tic import TessInputCatalog

__all__ = [
    "DEFAULT_MAG_RANGE", "OBSERVATORY", "PSF_SIGMA_PX", "ApertureFlux", "ConeResult",
    "Contamination", "CsvCatalogue", "GaiaDR3", "KnownObject", "KnownObjects", "SkyBoT",
    "SkyField", "Source", "TessInputCatalog", "cadence_jd_utc", "catalogue_field",
    "field_summary", "known_objects", "nearest_known_object", "place_sources", "propagate",
    "psf_image", "read_catalogue_csv", "stamp_cone", "target_source", "track_separation",
]
