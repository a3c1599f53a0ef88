"""An outside service's outage, as one place keeps it: logged once when it starts and once when
it ends (not per request), and the service left alone for ``retry_after`` seconds after each
failure, so a service that is down costs a request nothing and one that hangs costs one timeout
per ``retry_after`` rather than one per request. Used by the shared cache (Redis) and the
object store."""

from __future__ import annotations

import logging
import threading
import time


class Outage:
    def __init__(self, name: str, consequence: str, retry_after: float = 5.0,
                 log: logging.Logger | None = None):
        self.name = name  # "shared cache", "object store s3://bucket/prefix"
        self.consequence = consequence  # what still works meanwhile, for the log
        self.retry_after = float(retry_after)
        self._down_since: float | None = None  # monotonic time of the outage's first failure
        self._next_try = 0.0
        self._lock = threading.Lock()
        self.log = log or logging.getLogger(__name__)  # the owner's logger: its name in the log

    @property
    def up(self) -> bool:
        return self._down_since is None

    def should_try(self) -> bool:
        return self._down_since is None or time.monotonic() >= self._next_try

    def failed(self, operation: str, exc: Exception) -> None:
        with self._lock:
            first = self._down_since is None
            now = time.monotonic()
            if first:
                self._down_since = now
            self._next_try = now + self.retry_after
        if first:
            self.log.warning("%s unavailable (%s on %s: %s); %s, retrying every %g s", self.name,
                        type(exc).__name__, operation, exc, self.consequence, self.retry_after)

    def succeeded(self) -> None:
        if self._down_since is None:
            return
        with self._lock:
            since, self._down_since = self._down_since, None
        if since is not None:
            self.log.warning("%s reachable again after %.0f s", self.name,
                             time.monotonic() - since)
