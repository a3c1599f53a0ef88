"""Gaia DR3 sources around a position, from VizieR (catalogue ``I/355/gaiadr3``).

``astroquery.vizier`` builds the query (an ASU script POSTed to ``<base>/viz-bin/votable``) and
parses VizieR's VOTable; :class:`_Vizier` only makes the base URL configurable (astroquery takes
a host name and always uses https). Positions are VizieR's ``RA_ICRS``/``DE_ICRS``, ICRS at the
Gaia DR3 epoch 2016.0; proper motions ``pmRA`` (times cos dec) and ``pmDE`` in mas/yr, empty
for two-parameter solutions. The query is sorted by G and cut at ``row_limit`` rows, so a cut
keeps the brightest.
"""

from __future__ import annotations

import functools

import astropy.units as u
from astropy.coordinates import SkyCoord

from .services import VIZIER_URL, ConeResult, SkyService, setting_url
from .sources import Source, finite_or_none

CATALOGUE = "I/355/gaiadr3"
EPOCH = 2016.0
_COLUMNS = ["Source", "RA_ICRS", "DE_ICRS", "pmRA", "pmDE", "+Gmag", "BPmag", "RPmag"]
_BANDS = (("G", "Gmag"), ("BP", "BPmag"), ("RP", "RPmag"))


@functools.cache
def _vizier_class():
    """astroquery's VizieR client with a base URL of our choice, made when first asked for
    (astroquery is ~7 MiB of every server process otherwise)."""
    from astroquery.vizier import VizierClass

    class _Vizier(VizierClass):
        def __init__(self, base_url: str, **kwargs):
            super().__init__(**kwargs)
            self.base_url = base_url

        def _server_to_url(self, return_type="votable"):
            return f"{self.base_url}/viz-bin/{return_type}"

    return _Vizier


class GaiaDR3(SkyService):
    """Gaia DR3 through VizieR. ``url``: VizieR's base URL."""

    name = "Gaia DR3 (VizieR)"
    key = "gaiadr3"
    catalogue = "Gaia DR3"
    epoch = EPOCH
    band = "G"

    def __init__(self, url: str | None = None, timeout: float | None = None, cache=None,
                 row_limit: int = 5000):
        super().__init__(setting_url(url, VIZIER_URL), timeout,
                         cache)
        self.row_limit = int(row_limit)

    def cone(self, ra: float, dec: float, radius_deg: float,
             max_mag: float | None = None) -> ConeResult:
        """Sources within ``radius_deg`` of (ra, dec), those brighter than ``max_mag`` (G) only
        when it is given."""
        limit = None if max_mag is None else round(float(max_mag), 2)
        key = self.cache_key(ra, dec, radius_deg, EPOCH, limit, self.row_limit)
        value, cached = self.cached(key, lambda: self._query(ra, dec, radius_deg, limit))
        sources = [Source.from_dict(s) for s in value["sources"]]
        return ConeResult(self.catalogue, sources, truncated=value["truncated"],
                          from_cache=cached)

    def _query(self, ra, dec, radius_deg, limit) -> dict:
        filters = {} if limit is None else {"Gmag": f"<{limit:g}"}
        # A client per query: astroquery's clients keep per-query state, and pages query from
        # several threads at once.
        vizier = _vizier_class()(self.url, columns=list(_COLUMNS), row_limit=self.row_limit,
                         timeout=self.timeout)
        with self._sessions(vizier._session):
            tables = vizier.query_region(
                SkyCoord(ra * u.deg, dec * u.deg, frame="icrs"), radius=radius_deg * u.deg,
                catalog=CATALOGUE, column_filters=filters, cache=False)
        if tables is None:  # astroquery returns None for a body that is neither VOTable nor TSV
            raise ValueError("not a VOTable")
        rows = tables[0] if len(tables) else []
        sources = [_source(row) for row in rows]
        return {"sources": [s.to_dict() for s in sources if s is not None],
                "truncated": len(rows) >= self.row_limit}


def _source(row) -> Source | None:
    ra, dec = finite_or_none(row["RA_ICRS"]), finite_or_none(row["DE_ICRS"])
    if ra is None or dec is None:
        return None
    magnitudes = {band: finite_or_none(row[column]) for band, column in _BANDS
                  if column in row.colnames}
    magnitudes = {band: value for band, value in magnitudes.items() if value is not None}
    return Source(id=f"Gaia DR3 {int(row['Source'])}", ra=ra, dec=dec,
                  pmra=finite_or_none(row["pmRA"]), pmdec=finite_or_none(row["pmDE"]),
                  ref_epoch=EPOCH, mag=magnitudes.get("G"), band="G", catalogue="Gaia DR3",
                  magnitudes=magnitudes)
