"""What every sky service shares: its base URL, one timeout, a result cache, plain errors.

Each service takes its base URL and the one timeout (seconds one whole query may take,
connection and answer included) as arguments; the defaults are the services' own addresses and
30 s. The page passes them from its settings (dashboard/settings.py: ``catalog_timeout``,
``vizier_url``, ``mast_catalogs_url``, ``skybot_url`` from ``TPF_DASHBOARD_CATALOG_TIMEOUT``,
``TPF_DASHBOARD_VIZIER_URL``, ``TPF_DASHBOARD_MAST_CATALOGS_URL``, ``TPF_DASHBOARD_SKYBOT_URL``).

Every request a service makes gets the time left before its query's deadline as its timeout, so
a query that needs two or three requests (MAST) still ends within the one timeout. Results are
cached by (service, position, radius, epoch, limits) in an optional cache object with
``get(key)`` / ``set(key, value)`` (the shared flask-caching cache; wrapped in
:class:`~dashboard.data.shared_cache.FailSoftCache`), as plain JSON-able data. Every failure
(timeout, refused connection, HTTP error, an answer that cannot be read) becomes a DataError
naming the service and what happened.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
from requests.adapters import HTTPAdapter

from ..errors import DataError
from ..shared_cache import FailSoftCache
from .sources import Source

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
VIZIER_URL = "https://vizier.cds.unistra.fr"
MAST_CATALOGS_URL = "https://mast.stsci.edu"
SKYBOT_URL = "https://ssp.imcce.fr/webservices/skybot/api/conesearch.php"
_CACHE_VERSION = 1


def setting_timeout(timeout: float | None = None) -> float:
    """The timeout given, or the default; DataError for one that is not more than 0."""
    value = DEFAULT_TIMEOUT if timeout is None else float(timeout)
    if not value > 0:
        raise DataError(f"A catalogue timeout must be more than 0 seconds, not {timeout!r}.")
    return value


def setting_url(url: str | None, default: str) -> str:
    return (url or default).rstrip("/")


@dataclass
class ConeResult:
    """What one catalogue cone search gave: sources at the catalogue's epoch."""

    catalogue: str
    sources: list[Source]
    truncated: bool = False  # the row limit was reached: fainter sources may be missing
    from_cache: bool = False
    notes: list[str] = field(default_factory=list)


class DeadlineAdapter(HTTPAdapter):
    """Gives each request the time left before the current query's deadline (per thread)."""

    def __init__(self):
        super().__init__(max_retries=0)
        self._local = threading.local()

    @contextlib.contextmanager
    def deadline(self, seconds: float):
        previous = getattr(self._local, "deadline", None)
        self._local.deadline = time.monotonic() + seconds
        try:
            yield
        finally:
            self._local.deadline = previous

    def send(self, request, timeout=None, **kwargs):
        deadline = getattr(self._local, "deadline", None)
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise requests.Timeout("the query's time ran out")
            if isinstance(timeout, tuple):
                timeout = tuple(left if t is None else min(t, left) for t in timeout)
            else:
                timeout = left if timeout is None else min(float(timeout), left)
        return super().send(request, timeout=timeout, **kwargs)


class SkyService:
    """Base of the catalogue and asteroid services: settings, sessions, cache, errors."""

    name = "sky service"  # how messages name it, e.g. "Gaia DR3 (VizieR)"
    key = "sky"  # the cache key's service part

    def __init__(self, url: str, timeout: float | None, cache):
        self.url = url
        self.timeout = setting_timeout(timeout)
        if cache is not None and not isinstance(cache, FailSoftCache):
            cache = FailSoftCache(cache, name=f"{self.name} cache")
        self.cache = cache
        self._adapter = DeadlineAdapter()

    @contextlib.contextmanager
    def _sessions(self, *sessions: requests.Session):
        """The client's sessions send through the deadline adapter, and are closed after."""
        unique = list({id(s): s for s in sessions}.values())
        for session in unique:
            session.mount("http://", self._adapter)
            session.mount("https://", self._adapter)
        try:
            yield
        finally:
            for session in unique:
                session.close()

    def cache_key(self, ra: float, dec: float, radius_deg: float, epoch, *extra) -> str:
        parts = [f"sky{_CACHE_VERSION}", self.key, f"{ra % 360.0:.5f}", f"{dec:+.5f}",
                 f"{radius_deg * 3600.0:.1f}", str(epoch), *(str(e) for e in extra)]
        return ":".join(parts)

    def cached(self, key: str, fetch: Callable[[], dict]) -> tuple[dict, bool]:
        """The cached answer under ``key``, or ``fetch()`` run within the timeout and cached;
        the flag says whether it came from the cache."""
        if self.cache is not None:
            value = self.cache.get(key)
            if isinstance(value, dict):
                return value, True
        started = time.monotonic()
        with self._adapter.deadline(self.timeout), self.errors():
            value = fetch()
        log.info("%s answered in %.2f s (%s)", self.name, time.monotonic() - started, key)
        if self.cache is not None:
            self.cache.set(key, value)
        return value, False

    @contextlib.contextmanager
    def errors(self):
        """Whatever the network, the server or a parser raised, as one DataError."""
        name, timeout = self.name, self.timeout
        try:
            yield
        except DataError:
            raise
        except (requests.Timeout, TimeoutError):
            raise DataError(f"{name} did not answer within {timeout:g} s; it may be busy or "
                            "unreachable. Try again later.") from None
        except requests.ConnectionError as exc:
            if "timed out" in str(exc).lower():
                raise DataError(f"{name} stopped answering for {timeout:g} s. Try again "
                                "later.") from None
            raise DataError(f"{name} is unreachable: could not connect to {self.url}. Check "
                            "the internet connection (or the service's URL setting).") from None
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            kind = "had a server error" if status >= 500 else "refused the request"
            raise DataError(f"{name} {kind} (HTTP {status}). Try again later.") from None
        except (requests.exceptions.InvalidJSONError,
                requests.exceptions.ContentDecodingError) as exc:
            raise self._unreadable(exc) from None
        except requests.RequestException as exc:
            raise DataError(f"{name} could not be queried ({type(exc).__name__}).") from None
        except Exception as exc:  # noqa: BLE001 (parsers of a garbled answer raise anything)
            raise self._unreadable(exc) from None

    def _unreadable(self, exc: Exception) -> DataError:
        log.info("%s: unreadable answer: %r", self.name, exc)
        return DataError(f"{self.name} sent an answer that could not be read "
                         f"({type(exc).__name__}). Try again later.")
