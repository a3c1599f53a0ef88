"""Many users at once: gunicorn with two workers sharing a real Redis and one cache directory.

One deployment for the module (a ``redis-server`` on a free loopback port without persistence,
the Procfile's ``web`` command with two workers, and its ``worker`` command: a Celery worker),
driven over HTTP the way the browser drives it. Every response says which worker answered
(``X-Worker-PID``); steps are sent two at a time until both workers have answered, and every
frame and curve is checked against the file read with astropy here, not by dashboard code.

The tests run in file order: the last two stop Redis and kill a worker.

Needs Debian's ``redis-server`` (``bash .ci/run`` installs it) and the ``redis`` and ``celery``
packages (the ``test`` extra). Missing, these tests fail under CI (``CI`` set) with the reason,
and are skipped with the reason elsewhere.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import requests

from dashboard.data.demo import demo_bytes
from dashboard.data.masks import encode_mask

from .callbacks.test_http import (
    call,
    data_url,
    decode_typed_array,
    default_view,
    find_callback,
    upload,
    walk,
)
from .conftest import ROOT, free_port
from .deployments import (
    _procfile,
    _redis_server,
    _wait,
    check_frames,
    from_both_workers,
    reference,
    step,
    steps_on_both_workers,
    view_on,
)
from .synthetic import tpf_bytes

UPDATE = "/_dash-update-component"


class Deployment:
    """redis-server + the Procfile's web (2 workers) and worker commands, on loopback."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.redis_port, self.port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        self.start_redis()
        # MAST and its resolver on a closed loopback port: a search that reached the archive
        # (a regression) is refused at once instead of going out to the real MAST.
        closed = f"http://127.0.0.1:{free_port()}"
        env = dict(os.environ, REDIS_URL=self.redis_url, TPF_DASHBOARD_CACHE=str(tmp / "cache"),
                   PYTHONUNBUFFERED="1", WEB_CONCURRENCY="2", PORT=str(self.port),
                   TPF_DASHBOARD_MAST_URL=closed,
                   TPF_DASHBOARD_MAST_RESOLVER_URL=closed + "/resolver")
        env.pop("TPF_DASHBOARD_FILE", None)
        web = (_procfile("web").replace("${WEB_CONCURRENCY:-2}", "2")
               .replace("0.0.0.0:${PORT:-8050}", f"127.0.0.1:{self.port}"))
        worker = (_procfile("worker").replace("${CELERY_CONCURRENCY:-2}", "1")
                  + " --without-mingle --without-gossip --without-heartbeat")
        self._start("web", [sys.executable, "-m", *shlex.split(web)], env)
        self._start("worker", [sys.executable, "-m", *shlex.split(worker)], env)
        _wait("gunicorn", self._healthy, self.processes["web"], self.logs["web"])
        _wait("celery", lambda: " ready." in self.logs["worker"].read_text(),
              self.processes["worker"], self.logs["worker"])
        self.dependencies = requests.get(self.url + "/_dash-dependencies", timeout=30).json()
        self.layout = requests.get(self.url + "/_dash-layout", timeout=30).json()

    def start_redis(self) -> None:
        command = [_redis_server(), "--port", str(self.redis_port), "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--dir", str(self.tmp)]
        self._start("redis", command, dict(os.environ))
        _wait("redis-server", lambda: "Ready to accept connections" in self.output("redis"),
              self.processes["redis"], self.logs["redis"], seconds=15)

    def stop(self, name: str, grace: float = 15) -> None:
        process = self.processes.pop(name, None)
        if process is None:
            return
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)

    def output(self, name: str) -> str:
        return self.logs[name].read_text()

    def redis(self):
        import redis

        return redis.Redis.from_url(self.redis_url, socket_timeout=2)

    def _start(self, name: str, command: list[str], env: dict) -> None:
        self.logs[name] = self.tmp / f"{name}.log"
        with open(self.logs[name], "ab") as log:
            self.processes[name] = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                                    stderr=subprocess.STDOUT)

    def _healthy(self) -> bool:
        try:
            return requests.get(self.url + "/health", timeout=1).ok
        except requests.RequestException:
            return False


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    _redis_server()
    started = Deployment(tmp_path_factory.mktemp("multiworker"))
    yield started
    started.stop("worker", grace=2)  # its warm shutdown waits on a Redis that may be gone
    started.stop("web")
    started.stop("redis")


# --- item 2: correct under several workers --------------------------------------------------------

def test_both_workers_give_identical_frames_and_curves(deployment):
    """Steps of the demo answered by either worker are the file's own frames with the pipeline
    aperture's flux; the light curve drawn by each worker is the same; derived results live in
    Redis."""
    health = requests.get(deployment.url + "/health", timeout=5).json()
    assert health["shared_cache"] == "redis" and health["shared_cache_available"] is True
    fid = default_view(deployment.layout)["state"]["file"]
    ref = reference(demo_bytes())
    answered = steps_on_both_workers(deployment, fid, range(0, 2000, 97))
    assert len(answered) == 2
    check_frames(answered, ref, ref["aperture"])

    draw = find_callback(deployment.dependencies, "view.data", "lightcurve.figure")
    figures = from_both_workers(lambda: call(deployment, draw, deployment.layout,
                                             {"view.data": view_on(deployment, fid)},
                                             {"lightcurve-drawn.data": None}))
    curves = [r.json()["response"]["lightcurve"]["figure"] for r in figures.values()]
    assert curves[0] == curves[1]
    # The browser's prefetched batches of frames: the same bytes from either worker.
    source = next((c["props"].get("data") for c in walk(deployment.layout)
                   if c["props"].get("id") == "frame-source"), None)
    assert source and source.get("url"), "the layout has no frame-source batch URL"
    url = f"{deployment.url}/{source['url']}&start=40&count=8"
    batches = from_both_workers(lambda: requests.get(url, timeout=30))
    first, second = (r.content for r in batches.values())
    assert first == second and len(first) > 8 * ref["flux"][0].nbytes
    keys = [k.decode() for k in deployment.redis().keys("tpf-dashboard:*")]
    assert any(f"{fid}:curve:" in k for k in keys), keys
    assert any(f"{fid}:lightcurve-figure" in k for k in keys), keys


def test_an_upload_and_an_aperture_on_one_worker_are_seen_by_the_other(deployment):
    """A TPF uploaded to one worker is stepped through by both, with a custom aperture (kept
    in the browser's store), and both give its frames and that aperture's flux."""
    syn = tpf_bytes(n_cadences=60, shape=(9, 8), mission="TESS", seed=31)
    response = upload(deployment, deployment.dependencies, deployment.layout,
                      data_url(syn.data), "upload_tp.fits")
    assert response.status_code == 200, response.text[:500]
    fid = response.json()["response"]["upload-result"]["data"]["file"]
    uploaded_by = int(response.headers["X-Worker-PID"])

    mask = np.zeros((9, 8), dtype=bool)
    mask[2:6, 3:7] = True
    answered = steps_on_both_workers(deployment, fid, range(60), aperture=encode_mask(mask))
    assert uploaded_by in answered and len(answered) == 2
    check_frames(answered, reference(syn.data), mask)
    # One entry on disk, whoever converted it: the bytes, the arrays, the manifest.
    cached = Path(deployment.tmp / "cache" / "tpf")
    assert len(list(cached.glob(f"{fid}.tpf.json"))) == 1
    assert not list(cached.glob(".incoming-*"))


def test_background_callbacks_run_on_celery(deployment):
    """With REDIS_URL, an archive search runs as a Celery task: queued by one worker, its
    result polled from whichever worker answers (the handles' signing secret is shared)."""
    page = requests.get(deployment.url + "/", timeout=10).text
    config = json.loads(re.search(r'<script id="_dash-config"[^>]*>(.*?)</script>', page,
                                  re.S).group(1))
    query = f"?endId={config['end_id']}"
    search = find_callback(deployment.dependencies, "search.n_clicks", "archive-results.children")
    response = _post(deployment, search, query, {"search.n_clicks": 1, "target.value": "  "})
    handles = response.json()
    assert {"cacheKey", "job"} <= set(handles), handles
    query += f"&cacheKey={handles['cacheKey']}&job={handles['job']}"
    pollers, deadline = set(), time.monotonic() + 30
    while True:
        response = _post(deployment, search, query, {"search.n_clicks": None})
        pollers.add(response.headers["X-Worker-PID"])
        body = response.json() if response.status_code == 200 else {}
        if "response" in body:
            break
        assert time.monotonic() < deadline, f"no result: {response.status_code} {body}"
        time.sleep(0.1)
    assert "No target given" in json.dumps(body["response"]["archive-status"])
    assert "background_callback_" in deployment.output("worker")
    assert "succeeded" in deployment.output("worker")


def _post(deployment, callback, query: str, changed: dict) -> requests.Response:
    """What call() sends, posted with a background callback's query string."""
    with mock.patch.object(requests, "post") as post:
        call(deployment, callback, deployment.layout, changed)
    payload = post.call_args.kwargs["json"]
    return requests.post(deployment.url + UPDATE + query, json=payload, timeout=30)


# --- item 4: faults survived ----------------------------------------------------------------------

def test_redis_stopped_mid_run_steps_keep_working_and_it_is_logged(deployment):
    """Redis stops: steps with an aperture neither worker has seen (its curve must be computed,
    and Redis is asked first) still succeed on both workers with the right flux, /health says
    the shared cache is unavailable, each worker logs the outage once, and an archive search
    (a Celery job) is refused at once with a message instead of hanging."""
    deployment.stop("redis")
    fid = default_view(deployment.layout)["state"]["file"]
    ref = reference(demo_bytes())
    mask = ref["aperture"].copy()
    mask[np.argwhere(~mask)[0][0], np.argwhere(~mask)[0][1]] = True  # one pixel more
    answered = steps_on_both_workers(deployment, fid, range(3, 2000, 151),
                                     aperture=encode_mask(mask))
    check_frames(answered, ref, mask)

    log = deployment.output("web")
    outages = log.count("shared cache unavailable")
    assert outages == len(answered), log[-3000:]
    assert "ConnectionError" in log
    states = {requests.get(deployment.url + "/health", timeout=5).json()[
        "shared_cache_available"] for _ in range(6)}
    assert states == {False}

    # A background job cannot be queued: refused at once, and the page says why.
    search = find_callback(deployment.dependencies, "search.n_clicks", "archive-results.children")
    started = time.monotonic()
    response = call(deployment, search, deployment.layout,
                    {"search.n_clicks": 2, "target.value": "Kepler-10"})
    assert time.monotonic() - started < 5
    assert response.status_code == 200, response.text[:500]
    assert "job queue does not answer" in json.dumps(response.json()["response"]["archive-status"])
    assert "Traceback" not in deployment.output("web"), deployment.output("web")[-3000:]


def test_a_killed_worker_the_next_request_succeeds(deployment):
    """SIGKILL one worker: the next step is answered by the other, and gunicorn boots a
    replacement that answers too."""
    fid = default_view(deployment.layout)["state"]["file"]
    ref = reference(demo_bytes())
    victim, _ = step(deployment, fid, 5)
    os.kill(victim, signal.SIGKILL)
    pid, ops = step(deployment, fid, 6)
    assert pid != victim
    assert np.array_equal(decode_typed_array(ops[("data", 0, "z")]), ref["flux"][6],
                          equal_nan=True)
    deadline = time.monotonic() + 20
    while True:
        pids = {step(deployment, fid, frame)[0] for frame in (7, 8, 9, 10)}
        if pids - {pid, victim}:
            break
        assert time.monotonic() < deadline, "no replacement worker answered"
    assert victim not in pids
    assert "Booting worker" in deployment.output("web")
