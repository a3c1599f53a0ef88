"""One call from a file to its sky field: cone, query, epoch, placement; and a user's CSV.

:func:`catalogue_field` works with any catalogue that has ``cone(ra, dec, radius_deg,
max_mag)`` returning a :class:`~.services.ConeResult` and an ``epoch`` (its reference epoch, or
None when each source has its own): :class:`~.gaia.GaiaDR3`, :class:`~.tic.TessInputCatalog` and
:class:`CsvCatalogue` here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..wcs import observation_epoch
from .field import DEFAULT_MAG_RANGE, SkyField, place_sources, stamp_cone
from .psf import Contamination
from .services import ConeResult
from .sources import read_catalogue_csv, target_source

if TYPE_CHECKING:
    from ..tpf import TargetPixelFile

# The server-side magnitude cut is in the catalogue's band, the target's magnitude in the
# file's (Kp, T): allow for the difference (G - Kp and G - T reach ~1.5 mag for red stars), then
# cut exactly in the catalogue's band once the target is found in it.
BAND_SLACK = 1.5


class CsvCatalogue:
    """A person's own catalogue (see :func:`.sources.read_catalogue_csv`), as a catalogue."""

    epoch = None  # each row has its own ref_epoch
    band = ""

    def __init__(self, data: bytes | str, name: str = "catalogue.csv"):
        self.name = self.catalogue = name
        self.sources = read_catalogue_csv(data, name)

    def cone(self, ra: float, dec: float, radius_deg: float,
             max_mag: float | None = None) -> ConeResult:
        # Every row: a fast-moving star may be outside the cone at its epoch and on the stamp
        # at the file's; placing the sources keeps only those on the stamp.
        return ConeResult(self.catalogue, list(self.sources))


def catalogue_field(tpf: TargetPixelFile, catalogue,
                    mag_range: float | None = DEFAULT_MAG_RANGE) -> SkyField:
    """The catalogue's sources on the stamp at the file's epoch. Raises DataError when the file
    has no WCS or the service fails."""
    epoch = observation_epoch(tpf)
    years = 0.0 if catalogue.epoch is None else epoch - catalogue.epoch
    ra, dec, radius = stamp_cone(tpf, years=years)
    target = target_source(tpf)
    max_mag = None
    if mag_range is not None and target is not None and target.mag is not None:
        max_mag = target.mag + mag_range + BAND_SLACK
    result = catalogue.cone(ra, dec, radius, max_mag)
    sky = place_sources(tpf, result.sources, catalogue=result.catalogue, epoch=epoch,
                        mag_range=mag_range)
    sky.truncated, sky.from_cache = result.truncated, result.from_cache
    if result.truncated:
        sky.notes.append(f"{result.catalogue} gave its row limit: fainter sources may be "
                         "missing.")
    return sky


def field_summary(sky: SkyField, contamination: Contamination | None = None) -> str:
    """One or two sentences for the page's status line, with the numbers behind them."""
    if not len(sky):
        text = f"{sky.catalogue}: no sources on the stamp (epoch {sky.epoch:.2f})."
    else:
        text = (f"{sky.catalogue}: {len(sky)} source{'s' if len(sky) != 1 else ''} on the stamp "
                f"at epoch {sky.epoch:.2f}")
        if sky.mag_limit is not None:
            text += f", down to {sky.mag_limit:.1f} mag"
        text += "." if sky.target is not None else "; the target is not among them."
    if sky.truncated:
        text += " The service's row limit was reached: fainter sources may be missing."
    if contamination is not None:
        if contamination.ratio is None:
            text += f" Contamination unknown: {contamination.reason}."
        else:
            text += (f" In the aperture, other stars add {100 * contamination.ratio:.1f} % to "
                     f"the target's light (the aperture holds "
                     f"{100 * contamination.target_fraction:.0f} % of the target's light)")
            if contamination.contributors:
                name, share = contamination.contributors[0]
                text += f"; {100 * share:.0f} % of that from {name}"
            text += "."
            if contamination.without_mag:
                text += (f" {contamination.without_mag} neighbour(s) without a magnitude are "
                         "not counted.")
    return text
