"""Configuration picks the cache: files and local processes by default, Redis and Celery with
REDIS_URL (no Redis server is needed to build the app)."""

from __future__ import annotations

import subprocess
import sys
import time

import multiprocess
import psutil
import pytest

from .conftest import free_port
from .deployments import _need_packages


def test_without_redis_url_files_and_local_processes(tmp_path, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    from flask_caching.backends.filesystemcache import FileSystemCache

    from dashboard.app import create_app
    from dashboard.caching import LocalJobManager

    app = create_app({"cache_dir": tmp_path})
    assert isinstance(app.store.shared.cache.cache, FileSystemCache)
    managers = {type(cb.get("manager")) for cb in app.callback_map.values() if cb.get("manager")}
    assert managers == {LocalJobManager}


def test_redis_url_picks_redis_and_celery(tmp_path, monkeypatch):
    """REDIS_URL (no server needed to build the app): RedisCache for derived results, Celery
    for every background callback, on one Celery app the worker module exposes."""
    _need_packages()
    from dash import CeleryManager
    from flask_caching.backends.rediscache import RedisCache

    from dashboard.app import create_app
    from dashboard.caching import celery_app

    url = f"redis://127.0.0.1:{free_port()}/0"
    monkeypatch.setenv("REDIS_URL", url)
    app = create_app({"cache_dir": tmp_path})
    assert app.settings.redis_url == url
    assert isinstance(app.store.shared.cache.cache, RedisCache)
    managers = [cb["manager"] for cb in app.callback_map.values() if cb.get("manager")]
    assert len(managers) >= 2 and all(isinstance(m, CeleryManager) for m in managers)
    assert {m.handle for m in managers} == {celery_app(url)}
    # Nothing answers at that URL: a derived result is computed all the same.
    fid = app.default_file
    assert app.store.derived(fid, "n", lambda tpf: tpf.n_cadences) == 2000


def test_secret_key_signs_job_handles_alike_in_every_worker(tmp_path, monkeypatch):
    """Workers that cannot share a job store (here two cache folders; in production, Redis
    down when a worker first signs) sign background-job handles with different secrets, so one
    refuses the other's jobs; SECRET_KEY gives them one."""
    from dashboard.app import create_app

    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    apart = [create_app({"cache_dir": tmp_path / name}) for name in ("a", "b")]
    assert apart[0]._get_signing_secret() != apart[1]._get_signing_secret()
    monkeypatch.setenv("SECRET_KEY", "one key for the deployment")
    together = [create_app({"cache_dir": tmp_path / name}) for name in ("c", "d")]
    assert {app._get_signing_secret() for app in together} == {b"one key for the deployment"}


# Background jobs without Redis: how a worker ends a job that another worker may have started.
# The test process plays gunicorn's arbiter; `_worker` processes play its workers.

_WORKER = """
import subprocess, sys, time
from diskcache import Cache
from dashboard.caching import LocalJobManager

command = sys.argv[1]
if command == "start":  # start a job and never reap it, as a worker busy serving steps
    job = subprocess.Popen(sys.argv[2:])
    print(job.pid, flush=True)
    time.sleep(60)
else:  # collect: end the job whose pid is given, as Dash does when its result is read
    manager = LocalJobManager(Cache(sys.argv[2]))
    start = time.perf_counter()
    manager.terminate_job(sys.argv[3])
    print(time.perf_counter() - start, flush=True)
"""


def _worker(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _WORKER, *args], stdout=subprocess.PIPE,
                            text=True)


def _collect(cache_dir, pid: int) -> float:
    """Seconds our LocalJobManager takes to end job ``pid``, in a worker of its own."""
    worker = _worker("collect", str(cache_dir), str(pid))
    out, _ = worker.communicate(timeout=30)
    return float(out)


@pytest.fixture
def sibling_job():
    """Start a job in another worker: yields (start, its pid); the starter never reaps it."""
    workers = []

    def start(*command: str) -> int:
        worker = _worker("start", *command)
        workers.append(worker)
        return int(worker.stdout.readline())

    yield start
    for worker in workers:
        worker.kill()
        worker.wait()


def test_a_finished_job_of_another_worker_is_collected_without_waiting(tmp_path, sibling_job):
    """The failing-archive stall: another worker's finished job is a zombie only its parent can
    reap, so waiting for it to go (as Dash's DiskcacheManager does, up to 1 s, while the worker
    serves nothing else) never succeeds. Ours returns at once and leaves it to its parent."""
    job = sibling_job("true")
    _wait_for(lambda: psutil.Process(job).status() == psutil.STATUS_ZOMBIE)
    assert _collect(tmp_path, job) < 0.5
    assert psutil.Process(job).status() == psutil.STATUS_ZOMBIE  # still its parent's to reap


def test_a_running_job_of_another_worker_is_killed(tmp_path, sibling_job):
    job = sibling_job("sleep", "60")
    assert psutil.Process(job).status() != psutil.STATUS_ZOMBIE
    _collect(tmp_path, job)
    _wait_for(lambda: psutil.Process(job).status() == psutil.STATUS_ZOMBIE)


def test_own_jobs_are_killed_and_reaped(tmp_path):
    """A job of this process is waited for, so it leaves no zombie behind."""
    from diskcache import Cache

    from dashboard.caching import LocalJobManager

    manager = LocalJobManager(Cache(str(tmp_path)))
    running = multiprocess.Process(target=time.sleep, args=(60,))
    running.start()
    manager.terminate_job(running.pid)
    assert not psutil.pid_exists(running.pid)
    # One that ended while another worker collected its result is reaped on the next call.
    ended = multiprocess.Process(target=int)
    ended.start()
    _wait_for(lambda: psutil.Process(ended.pid).status() == psutil.STATUS_ZOMBIE)
    manager.terminate_job(None)
    assert not psutil.pid_exists(ended.pid)


def test_a_stale_pid_naming_an_unrelated_process_is_left_alone(tmp_path):
    """A pid from an old page may name someone else's process by now: a process that is no
    job of this worker or of a sibling (here this test's grandchild) survives."""
    from diskcache import Cache

    from dashboard.caching import LocalJobManager

    outsider = subprocess.Popen([sys.executable, "-c",
                                 "import subprocess; subprocess.run(['sleep', '60'])"])
    try:
        _wait_for(lambda: psutil.Process(outsider.pid).children())
        sleeper = psutil.Process(outsider.pid).children()[0]
        LocalJobManager(Cache(str(tmp_path))).terminate_job(sleeper.pid)
        assert sleeper.is_running() and sleeper.status() != psutil.STATUS_ZOMBIE
    finally:
        outsider.kill()
        outsider.wait()
        sleeper.kill()


def _wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
