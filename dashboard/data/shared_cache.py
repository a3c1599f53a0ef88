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

from .outage import Outage

log = logging.getLogger(__name__)


class FailSoftCache:
    def __init__(self, cache, retry_after: float = 5.0, name: str = "shared cache"):
        self.cache = cache
        self.retry_after = retry_after
        self.name = name
        self.outage = Outage(name, "serving from this worker's memory and the cache directory",
                             retry_after, log)

    @property
    def available(self) -> bool:
        return self.outage.up

    def get(self, key):
        if not self.outage.should_try():
            return None
        try:
            value = self.cache.get(key)
        except Exception as exc:  # noqa: BLE001 (any backend failure is a miss)
            self.outage.failed("get", exc)
            return None
        self.outage.succeeded()
        return value

    def set(self, key, value) -> bool:
        if not self.outage.should_try():
            return False
        try:
            self.cache.set(key, value)
        except Exception as exc:  # noqa: BLE001
            self.outage.failed("set", exc)
            return False
        self.outage.succeeded()
        return True
