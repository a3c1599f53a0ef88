"""Which cache and which background-job runner the dashboard uses, from its configuration.

========================= ====================================== ================================
                          default (no extra service)             ``REDIS_URL`` set
========================= ====================================== ================================
derived results           flask-caching ``FileSystemCache`` under flask-caching ``RedisCache``
(light curves, figures)   ``<cache_dir>/derived``                (shared by every worker)
background callbacks      ``LocalJobManager`` (Dash's            Dash ``CeleryManager`` on the
(archive search,          DiskcacheManager): a process per job,  same Redis: jobs run in
download, TESScut)        state under ``<cache_dir>/background`` ``celery -A dashboard.worker``
files, pixel cubes        ``<cache_dir>/tpf``: the bytes and     the same: workers share them
                          native-endian ``.npy`` arrays, opened  through the page cache, never
                          memory-mapped                          through Redis
========================= ====================================== ================================

Every worker on either side finds a user's session (file ids, uploaded light curves, apertures
in the browser's stores) because ids are content hashes of files under the same cache
directory (or, with ``TPF_DASHBOARD_STORE_URL``, in an object store every host fetches from:
:mod:`dashboard.data.object_store`), and derived results are computed the same way by whoever
misses them. Redis going
away degrades to per-worker memory plus files (see :mod:`dashboard.data.shared_cache`).
"""

from __future__ import annotations

import logging
import os
import sys
from functools import cache
from pathlib import Path

import multiprocess
import psutil
from dash import DiskcacheManager
from flask_caching import Cache

from .data.errors import DataError

log = logging.getLogger(__name__)

# A Redis that stops answering must not hold a step for long: the store stops asking it for a
# few seconds after a failure, and each attempt gives up after this long.
REDIS_TIMEOUT_S = 1.0
_DERIVED_TIMEOUT_S = 24 * 3600


def shared_cache(server, settings) -> Cache:
    """The cache of derived results that all workers share."""
    config = {"CACHE_DEFAULT_TIMEOUT": _DERIVED_TIMEOUT_S}
    if settings.redis_url:
        config.update({
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": settings.redis_url,
            "CACHE_KEY_PREFIX": "tpf-dashboard:",
            "CACHE_OPTIONS": _redis_options(),  # passed to redis.from_url
        })
    else:
        config.update({
            "CACHE_TYPE": "FileSystemCache",
            "CACHE_DIR": str(Path(settings.cache_dir) / "derived"),
            "CACHE_THRESHOLD": 2000,
        })
    return Cache(server, config=config)


@cache
def celery_app(redis_url: str):
    """One Celery application per Redis URL (broker and result backend), shared by the web
    workers that queue background callbacks and the Celery worker that runs them."""
    from celery import Celery  # noqa: PLC0415 (the optional [redis] extra)

    app = Celery("tpf-dashboard", broker=redis_url, backend=redis_url)
    app.conf.update(
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=REDIS_TIMEOUT_S * 2,
        task_publish_retry_policy={"max_retries": 1, "interval_start": 0,
                                   "interval_step": 0.5, "interval_max": 0.5},
        redis_socket_timeout=REDIS_TIMEOUT_S * 5,
        redis_socket_connect_timeout=REDIS_TIMEOUT_S * 2,
        result_expires=3600,
        worker_hijack_root_logger=False,
        task_track_started=True,
    )
    return app


def background_manager(settings, handle):
    """Dash's manager for background callbacks: Celery on Redis when ``redis_url`` is set,
    else a process per job with ``handle`` (a diskcache.Cache) holding their state."""
    if settings.redis_url:
        return _celery_manager(settings.redis_url)
    return LocalJobManager(handle)


class LocalJobManager(DiskcacheManager):
    """Dash's DiskcacheManager, without its one-second stall in a multi-worker server.

    When a job's result is collected, Dash kills the job's process and waits up to 1 s for it
    under a diskcache lock. A job started by another gunicorn worker is not this worker's
    child: it stays a zombie until its own parent reaps it, so that wait always ran the full
    second and every step queued on this worker waited behind it (measured: other users' step
    p99 703-828 ms while a failing archive ended searches quickly). Here only our own children
    are waited for, which reaps them; another worker's job is only killed, and its parent reaps
    it when it next starts or collects a job.
    """

    def terminate_job(self, job):
        if job is not None:
            _end_job(int(job))
        # Reap this worker's own jobs whose results another worker collected.
        multiprocess.active_children()


def _end_job(pid: int) -> None:
    try:
        process = psutil.Process(pid)
        parent = process.ppid()
    except psutil.NoSuchProcess:
        return
    own_child = parent == os.getpid()
    # A pid from an old page may name an unrelated process by now: kill only a job of this
    # worker or of a sibling worker (the child of another child of our parent).
    if not (own_child or _is_sibling(parent)):
        return
    for proc in [*_children(process), process]:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    if own_child:
        try:
            process.wait(1)
        except (psutil.TimeoutExpired, psutil.NoSuchProcess):
            pass


def _is_sibling(pid: int) -> bool:
    try:
        return pid != os.getppid() and psutil.Process(pid).ppid() == os.getppid()
    except psutil.NoSuchProcess:
        return False


def _children(process: psutil.Process) -> list:
    try:
        return process.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


@cache
def _celery_manager(redis_url: str):
    """One manager for all background callbacks: Dash registers every callback with every
    manager, and two on one Celery app would register each task name twice."""
    from dash import CeleryManager  # noqa: PLC0415

    class QueueCheckingCeleryManager(CeleryManager):
        """Refuses a job at once, with a message the page shows, when Redis is down: Celery
        itself would retry for many seconds and then fail without telling the user."""

        def call_job_fn(self, key, job_fn, args, context):
            check_queue(redis_url)
            return super().call_job_fn(key, job_fn, args, context)

    return QueueCheckingCeleryManager(celery_app(redis_url))


def _redis_options() -> dict:
    """redis-py client options: give up after REDIS_TIMEOUT_S, retry a dropped connection
    once at once (not redis-py's default of several retries with backoff)."""
    from redis.backoff import NoBackoff  # noqa: PLC0415 (only with Redis)
    from redis.retry import Retry  # noqa: PLC0415

    return {"socket_timeout": REDIS_TIMEOUT_S, "socket_connect_timeout": REDIS_TIMEOUT_S,
            "retry": Retry(NoBackoff(), 1)}


@cache
def _redis_client(redis_url: str):
    import redis  # noqa: PLC0415

    return redis.Redis.from_url(redis_url, **_redis_options())


class JobQueueUnavailable(DataError):
    """A background job could not be queued: Redis does not answer."""


def check_queue(redis_url: str) -> None:
    """Raise JobQueueUnavailable if the Redis behind the job queue does not answer a ping."""
    try:
        _redis_client(redis_url).ping()
    except Exception as exc:  # noqa: BLE001 (any failure means no queue)
        log.warning("background job refused: Redis does not answer (%s: %s)",
                    type(exc).__name__, exc)
        raise JobQueueUnavailable("Archive searches, downloads and movies are unavailable for "
                                  "the moment: their job queue does not answer. Everything else "
                                  "keeps working; try again in a minute.") from None


def log_to_stderr() -> None:
    """Deployed (gunicorn, Celery), let the dashboard's own warnings and notices reach the
    process's log with the worker's pid, unless logging was configured already."""
    logger = logging.getLogger("dashboard")
    if logger.handlers or logging.getLogger().handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(
        "[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
