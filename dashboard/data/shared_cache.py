"""A shared cache that fails soft: when its server is gone, every call is a miss.

The store keeps derived results (light curves, figures) in a cache shared by all workers, Redis
in a deployment. If Redis stops, the dashboard must keep serving from what each worker has in
memory and from the cache directory. :class:`FailSoftCache` wraps any object with ``get`` and
``set`` (a flask-caching ``Cache``, a cachelib backend): an exception from either is logged
(once, not per request) and treated as a miss, and for ``retry_after`` seconds after a failure
the server is not asked at all, so a dead Redis costs nothing per step. The first successful
call after an outage is logged too.

flask-caching's ``RedisCache`` raises ``redis.exceptions.ConnectionError`` on a refused
connection (it does not swallow it), hence this wrapper.
"""

from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger(__name__)


class FailSoftCache:
    def __init__(self, cache, retry_after: float = 5.0, name: str = "shared cache"):
        self.cache = cache
        self.retry_after = retry_after
        self.name = name
        self._down_since: float | None = None  # monotonic time of the outage's first failure
        self._next_try = 0.0
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        return self._down_since is None

    def get(self, key):
        if not self._should_try():
            return None
        try:
            value = self.cache.get(key)
        except Exception as exc:  # noqa: BLE001 (any backend failure is a miss)
            self._failed("get", exc)
            return None
        self._succeeded()
        return value

    def set(self, key, value) -> bool:
        if not self._should_try():
            return False
        try:
            self.cache.set(key, value)
        except Exception as exc:  # noqa: BLE001
            self._failed("set", exc)
            return False
        self._succeeded()
        return True

    def _should_try(self) -> bool:
        return self._down_since is None or time.monotonic() >= self._next_try

    def _failed(self, operation: str, exc: Exception) -> None:
        with self._lock:
            first = self._down_since is None
            now = time.monotonic()
            if first:
                self._down_since = now
            self._next_try = now + self.retry_after
        if first:
            log.warning("%s unavailable (%s on %s: %s); serving from this worker's memory and "
                        "the cache directory, retrying every %g s", self.name,
                        type(exc).__name__, operation, exc, self.retry_after)

    def _succeeded(self) -> None:
        if self._down_since is None:
            return
        with self._lock:
            since, self._down_since = self._down_since, None
        if since is not None:
            log.warning("%s reachable again after %.0f s", self.name, time.monotonic() - since)
