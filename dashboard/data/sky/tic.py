"""TESS Input Catalog (TIC v8) sources around a position, from MAST's catalogue service.

``astroquery.mast.Catalogs.query_criteria(catalog="Tic", coordinates=..., radius=...,
Tmag=[low, high])`` makes the requests: the Portal's columnsconfig for ``Mast.Catalogs.Tess.Cone``
(plus ``Mast.Catalogs.All.Tic`` for the columns' types) and ``Mast.Catalogs.Filtered.Tic.Position
.Rows`` with the magnitude filter, so a tall stamp's wide cone does not return millions of faint
rows. TIC positions (``ra``, ``dec``) are ICRS at epoch 2000.0 (Gaia DR2 positions moved back by
the TIC team), proper motions ``pmRA``/``pmDEC`` mas/yr, magnitudes ``Tmag`` (TESS band, used for
flux ratios), ``GAIAmag``, ``Vmag``, ``Kmag``. Entries the TIC marks as duplicates, split or
artifacts are dropped.
"""

from __future__ import annotations

import warnings

import astropy.units as u
from astropy.coordinates import SkyCoord

from .services import MAST_CATALOGS_URL, ConeResult, SkyService, setting_url
from .sources import Source, finite_or_none

EPOCH = 2000.0
FAINTEST = 30.0  # the filter needs a range; nothing in the TIC is fainter
_BANDS = (("T", "Tmag"), ("G", "GAIAmag"), ("V", "Vmag"), ("K", "Kmag"))
_DROPPED = {"DUPLICATE", "SPLIT", "ARTIFACT"}


class TessInputCatalog(SkyService):
    """The TIC at MAST. ``url``: MAST's base URL."""

    name = "TIC (MAST)"
    key = "tic8"
    catalogue = "TIC"
    epoch = EPOCH
    band = "T"

    def __init__(self, url: str | None = None, timeout: float | None = None, cache=None):
        super().__init__(setting_url(url, MAST_CATALOGS_URL),
                         timeout, cache)

    def cone(self, ra: float, dec: float, radius_deg: float,
             max_mag: float | None = None) -> ConeResult:
        """TIC entries within ``radius_deg`` of (ra, dec), brighter than ``max_mag`` (Tmag)."""
        limit = FAINTEST if max_mag is None else round(float(max_mag), 2)
        key = self.cache_key(ra, dec, radius_deg, EPOCH, limit)
        value, cached = self.cached(key, lambda: self._query(ra, dec, radius_deg, limit))
        return ConeResult(self.catalogue, [Source.from_dict(s) for s in value["sources"]],
                          from_cache=cached)

    def _client(self):
        """A client per query: astroquery's keep per-query state (the current service and
        connection), and pages query from several threads at once."""
        from astroquery.mast import CatalogsClass  # only when a catalogue is asked for

        catalogs = CatalogsClass()
        portal = catalogs._portal_api_connection
        portal.MAST_REQUEST_URL = self.url + "/api/v0/invoke"
        portal.COLUMNS_CONFIG_URL = self.url + "/portal/Mashup/Mashup.asmx/columnsconfig"
        portal.TIMEOUT = self.timeout  # bounds astroquery's wait on "EXECUTING" answers
        portal._column_configs = {}  # astroquery shares the class's dict between all clients
        return catalogs

    def _query(self, ra, dec, radius_deg, limit) -> dict:
        catalogs = self._client()
        sessions = catalogs._session, catalogs._portal_api_connection._session
        with self._sessions(*sessions), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # NoResultsWarning: an empty list says it
            table = catalogs.query_criteria(
                catalog="Tic", coordinates=SkyCoord(ra * u.deg, dec * u.deg, frame="icrs"),
                radius=radius_deg * u.deg, Tmag=[-5.0, float(limit)])
        sources = [_source(row) for row in table] if len(table) else []
        return {"sources": [s.to_dict() for s in sources if s is not None]}


def _source(row) -> Source | None:
    names = row.colnames
    disposition = str(row["disposition"]).strip().upper() if "disposition" in names else ""
    if disposition in _DROPPED:
        return None
    ra, dec = finite_or_none(row["ra"]), finite_or_none(row["dec"])
    if ra is None or dec is None:
        return None
    magnitudes = {band: finite_or_none(row[column]) for band, column in _BANDS if column in names}
    magnitudes = {band: value for band, value in magnitudes.items() if value is not None}
    return Source(id=str(row["ID"]).strip(), ra=ra, dec=dec,
                  pmra=finite_or_none(row["pmRA"]) if "pmRA" in names else None,
                  pmdec=finite_or_none(row["pmDEC"]) if "pmDEC" in names else None,
                  ref_epoch=EPOCH, mag=magnitudes.get("T"), band="T", catalogue="TIC",
                  magnitudes=magnitudes)
