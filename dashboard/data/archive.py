"""Finding and fetching Kepler, K2 and TESS target pixel files (TPFs) at MAST.

:class:`Archive` is what the dashboard talks to; :class:`MastArchive` implements it with
``astroquery.mast``. Catalogue ids are searched by MAST's exact ``target_name`` (``kplr%09d``,
``ktwo%09d``, the TIC digits) with ``Observations.query_criteria``, as lightkurve does, so a
neighbour's files never stand in for the target; names are resolved to a position and searched,
like coordinates, in a small cone. ``Observations.get_product_list`` lists the files, of which
the TPFs are kept: ``productSubGroupDescription`` LPD-TARG / SPD-TARG (Kepler, K2), TP / FAST-TP
(TESS SPOC), or a name ending ``targ.fits(.gz)`` / ``tp.fits`` (e.g. TESS-SPOC HLSP TPFs); reading
those tables is in :mod:`archive_products`.

Every network call has a timeout (default 60 s) and every failure becomes a DataError with a
plain message: target not found, name not resolvable, no TPF, archive unreachable, timeout,
server error, download interrupted, downloaded file unreadable.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

import astropy.units as u
import requests
from astropy.coordinates import Angle, SkyCoord
from astroquery.exceptions import InvalidQueryError, RemoteServiceError
from requests.adapters import HTTPAdapter

from .archive_products import (
    MISSIONS,
    ArchiveProduct,
    exposure_text,
    matches,
    order,
    target_pixel_files,
)
from .downloads import DownloadCache, Progress
from .errors import DataError
from .targets import MISSION_OF_KIND, Target

MAST_SERVER = "https://mast.stsci.edu"
# The STScI name resolver (SANTA), the service astroquery.mast.utils.resolve_object calls.
RESOLVER_URL = "http://mastresolver.stsci.edu/Santa-war/query"
_CHUNK = 256 * 1024
# Words of this module's messages for "the archive, not the request, is the problem".
_ARCHIVE_DOWN = ("unreachable", "did not answer", "stopped answering", "server error",
                 "connection to mast broke")


def archive_down(message: str) -> bool:
    """Whether an archive error means MAST could not be used (rather than a bad request)."""
    lowered = message.lower()
    return any(word in lowered for word in _ARCHIVE_DOWN)


class Archive(Protocol):
    """Where target pixel files come from; MastArchive in production, fakes in UI tests."""

    def search(self, target: Target, mission: str | None = None, period: int | None = None,
               exposure: float | str | None = None) -> list[ArchiveProduct]: ...

    def download(self, product: ArchiveProduct, progress: Progress | None = None) -> Path: ...

    def tesscut_sectors(self, ra: float, dec: float) -> list[int]: ...

    def tesscut(self, ra: float, dec: float, sector: int, size: int = 10) -> Path: ...


class _DefaultTimeoutAdapter(HTTPAdapter):
    """Applies a timeout to requests made without one (astroquery's portal and service calls)."""

    def __init__(self, timeout: float):
        super().__init__()
        self.default_timeout = timeout

    def send(self, request, timeout=None, **kwargs):
        return super().send(request, timeout=self.default_timeout if timeout is None else timeout,
                            **kwargs)


class MastArchive:
    """The :class:`Archive` backed by MAST through ``astroquery.mast``.

    ``server`` and ``resolver_url`` exist so that tests (and mirrors) can point it elsewhere;
    ``timeout`` bounds each connection attempt and each wait for data, in seconds.
    """

    def __init__(self, cache: DownloadCache, timeout: float = 60.0, server: str = MAST_SERVER,
                 resolver_url: str = RESOLVER_URL, cone_radius_arcsec: float = 2.0):
        self.cache = cache
        self.timeout = float(timeout)
        self.resolver_url = resolver_url
        self.cone_radius = Angle(cone_radius_arcsec, u.arcsec)
        # Imported here, not at the top: astroquery's MAST module is ~7 MiB of every server
        # process, and only archive searches and downloads (background jobs) need it.
        from astroquery.mast import ObservationsClass, TesscutClass

        self._observations = ObservationsClass()
        self._tesscut = TesscutClass()
        portal = self._observations._portal_api_connection
        portal.MAST_REQUEST_URL = server + "/api/v0/invoke"
        portal.COLUMNS_CONFIG_URL = server + "/portal/Mashup/Mashup.asmx/columnsconfig"
        portal.MAST_DOWNLOAD_URL = server + "/api/v0.1/Download/file"
        portal.TIMEOUT = self.timeout  # bounds astroquery's wait on "EXECUTING" answers
        portal._column_configs = {}  # per instance: astroquery shares it between all clients
        cutouts = self._tesscut._service_api_connection
        cutouts.SERVICE_URL = server
        cutouts.set_service_params(cutouts.SERVICES, "tesscut")
        cutouts.TIMEOUT = self.timeout
        for session in {id(s): s for s in (self._observations._session, portal._session,
                                           self._tesscut._session, cutouts._session)}.values():
            adapter = _DefaultTimeoutAdapter(self.timeout)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        self._session = self._observations._session

    # -- search -------------------------------------------------------------------------------
    def search(self, target: Target, mission: str | None = None, period: int | None = None,
               exposure: float | str | None = None) -> list[ArchiveProduct]:
        """The target's TPFs, sorted by mission, then period, then exposure time."""
        missions = _missions(target, mission)
        with _archive_errors("searching MAST", self.timeout):
            observations = self._find_observations(target, missions)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # NoResultsWarning: an empty list says it
                products = self._observations.get_product_list(observations)
        found = target_pixel_files(observations, products)
        if not found:
            raise DataError(f"MAST has {', '.join(missions)} observations of {target.label} but "
                            "no target pixel files for them.")
        chosen = [p for p in found if matches(p, period, exposure)]
        if not chosen:
            offered = sorted({f"{p.mission} {p.period_label} ({exposure_text(p.exposure_s)})"
                              for p in found})
            raise DataError(f"None of the target pixel files of {target.label} match the "
                            f"period / exposure asked for. MAST has: {'; '.join(offered)}.")
        return sorted(chosen, key=order)

    def _find_observations(self, target: Target, missions: tuple[str, ...]):
        criteria = {"project": list(missions), "dataproduct_type": ["cube", "timeseries"]}
        if target.kind in ("kic", "epic", "tic", "id"):
            kinds = target.candidates if target.kind == "id" else (target.kind,)
            names = [name for kind in kinds for name in _exact_target_names(kind, target.id)]
            table = self._query(target_name=names, **criteria)
            if len(table) or target.kind == "id":
                if not len(table):
                    raise DataError(f"No Kepler, K2 or TESS observations at MAST carry the number "
                                    f"{target.id}. Check it, or add KIC, EPIC or TIC before it.")
                return table
            ra, dec = self.resolve(target.label, unknown_id=True)  # ids MAST files elsewhere
        elif target.kind == "name":
            ra, dec = self.resolve(target.name)
        else:
            ra, dec = target.ra, target.dec
        table = self._query(coordinates=SkyCoord(ra, dec, unit="deg"), radius=self.cone_radius,
                            **criteria)
        if not len(table):
            raise DataError(f"MAST has no {' / '.join(missions)} observations within "
                            f"{self.cone_radius.arcsec:g} arcsec of {target.label} "
                            f"({ra:.5f} {dec:+.5f}).")
        return table

    def _query(self, **criteria):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # NoResultsWarning, "t_exptime is continuous"
            table = self._observations.query_criteria(**criteria)
        # Full-frame images are not target pixel files (TESScut is the way to their pixels).
        if len(table) and "target_name" in table.colnames:
            table = table[[str(name) not in ("TESS FFI", "TICA FFI")
                           for name in table["target_name"]]]
        return table

    def resolve(self, name: str, unknown_id: bool = False) -> tuple[float, float]:
        """A name's position from the MAST name resolver (SANTA), the one astroquery uses.

        Called here directly rather than through ``astroquery.mast.utils.resolve_object``, which
        makes its request with no timeout and so could hang a search forever when offline.
        """
        response = self._session.get(
            self.resolver_url, params={"name": name, "outputFormat": "json", "resolveAll": False},
            timeout=self.timeout)
        response.raise_for_status()
        found = response.json().get("resolvedCoordinate") or []
        if not found:
            if unknown_id:
                raise DataError(f"{name} was not found at MAST: no observations carry that "
                                "number and the name resolver does not know it. Check the number.")
            raise DataError(f"MAST could not resolve the name '{name}' to a position on the sky. "
                            "Check the spelling, or give a KIC, EPIC or TIC number or coordinates.")
        best = next((r for r in found if r.get("searchString") == name.lower()), found[0])
        return float(best["ra"]), float(best["decl"])

    # -- download -----------------------------------------------------------------------------
    def download(self, product: ArchiveProduct, progress: Progress | None = None) -> Path:
        """The product's file in the cache, fetched (and verified) only if not there already."""
        cached = self.cache.get(product.cache_key)
        if cached is not None:
            return cached
        # The URL astroquery's Observations.download_file builds; fetched here so that the bytes
        # stream into the cache's temporary file with progress, a timeout and a size check.
        base = self._observations._portal_api_connection.MAST_DOWNLOAD_URL
        url = base + "?uri=" + quote(product.product_uri, safe=":/")
        with _archive_errors(f"downloading {product.filename}", self.timeout):
            with self._session.get(url, stream=True, timeout=self.timeout) as response:
                response.raise_for_status()
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else product.size_bytes
                return self.cache.put_stream(product.cache_key, response.iter_content(_CHUNK),
                                             product.filename, total=total, progress=progress)

    # -- TESScut ------------------------------------------------------------------------------
    def tesscut_sectors(self, ra: float, dec: float) -> list[int]:
        """TESS sectors whose full-frame images cover the position."""
        with _archive_errors("asking TESScut for sectors", self.timeout):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                table = self._tesscut.get_sectors(coordinates=SkyCoord(ra, dec, unit="deg"))
        return sorted({int(sector) for sector in table["sector"]}) if len(table) else []

    def tesscut(self, ra: float, dec: float, sector: int, size: int = 10) -> Path:
        """A ``size`` x ``size`` pixel cutout of one sector's full-frame images, cached."""
        key = f"tesscut:{ra:.6f}:{dec:+.6f}:{int(sector)}:{int(size)}"
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        with _archive_errors(f"making a TESScut cutout for sector {sector}", self.timeout):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cutouts = self._tesscut.get_cutouts(coordinates=SkyCoord(ra, dec, unit="deg"),
                                                    size=int(size), sector=int(sector))
        if not cutouts:
            raise DataError(f"TESScut has no sector {sector} cutout at {ra:.5f} {dec:+.5f}.")
        buffer = io.BytesIO()
        cutouts[0].writeto(buffer)
        name = getattr(cutouts[0], "filename", None)  # astroquery sets the zip member's name
        filename = Path(name).name if isinstance(name, str) and name else "tesscut.fits"
        return self.cache.put_bytes(key, buffer.getvalue(), filename)


# -- helpers ----------------------------------------------------------------------------------
def _missions(target: Target, mission: str | None) -> tuple[str, ...]:
    if mission is not None:
        match = next((m for m in MISSIONS if m.lower() == str(mission).lower()), None)
        if match is None:
            raise DataError(f"Unknown mission {mission!r}; choose Kepler, K2 or TESS.")
        if target.mission_hint and target.kind != "id" and match != target.mission_hint:
            raise DataError(f"{target.label} is a {target.mission_hint} target; it has no "
                            f"{match} files under that number.")
        return (match,)
    if target.kind == "id":
        return tuple(MISSION_OF_KIND[kind] for kind in target.candidates)
    return (target.mission_hint,) if target.mission_hint else MISSIONS


def _exact_target_names(kind: str, number: int) -> list[str]:
    """MAST's target_name for a catalogue number (lightkurve's rule: kplr/ktwo + nine digits)."""
    if kind == "kic":
        return [f"kplr{number:09d}"]
    if kind == "epic":
        return [f"ktwo{number:09d}"]
    # SPOC products carry the bare TIC digits; lightkurve pads to nine, so ask for both forms.
    return sorted({str(number), f"{number:09d}"})


@contextlib.contextmanager
def _archive_errors(action: str, timeout: float):
    """Turn whatever the network or astroquery raised into a DataError a person can act on."""
    try:
        yield
    except DataError:
        raise
    except (requests.Timeout, TimeoutError):
        raise DataError(f"MAST did not answer within {timeout:g} s while {action}; the archive "
                        "may be busy. Try again later.") from None
    except requests.ConnectionError as exc:
        if "timed out" in str(exc).lower():  # a read timeout in the middle of a body
            raise DataError(f"MAST stopped answering for {timeout:g} s while {action}; nothing "
                            "was kept. Try again later.") from None
        raise DataError(f"The archive is unreachable: could not connect to MAST while {action}. "
                        "Check the internet connection; files downloaded before still open "
                        "from the cache.") from None
    except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
        raise DataError(f"The connection to MAST broke while {action}; the download was "
                        "interrupted and nothing was kept. Try again.") from None
    except requests.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else 0
        if status >= 500:
            raise DataError(f"The archive (MAST) had a server error (HTTP {status}) while "
                            f"{action}. Try again later.") from None
        raise DataError(f"The archive (MAST) refused the request (HTTP {status}) while "
                        f"{action}.") from None
    except (RemoteServiceError, InvalidQueryError) as exc:
        raise DataError(f"The archive (MAST) reported an error while {action}: {exc}") from None
    except (ValueError, KeyError) as exc:  # an answer that is not the JSON MAST sends
        raise DataError(f"The archive (MAST) sent an answer that could not be read while "
                        f"{action} ({type(exc).__name__}). Try again later.") from None
