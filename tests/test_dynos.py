"""Several dynos that share no disk: two gunicorn instances and a Celery worker, each with a
cache folder of its own, sharing only a real Redis and a real S3-compatible object store.

One deployment for the module: ``redis-server`` on a free loopback port, ``moto_server`` behind
tests/s3_stand_in.py's proxy (which can make the store slow or gone), dyno A (the Procfile's
``web`` command, one worker), dyno B (two workers) and the Procfile's ``worker`` (Celery: the
movie's background job), all configured by their environment only (``REDIS_URL``,
``TPF_DASHBOARD_STORE_URL``, the ``AWS_*`` variables) as on a PaaS. Files are uploaded on A and
everything else is asked of B, over HTTP as the browser asks; frames, curves and exports are
checked against the file read with astropy here.

The tests run in file order: the last ones make the store slow, then gone.

Needs ``redis-server`` (Debian), the ``redis``/``celery`` packages and ``moto[server]``/``boto3``
(the ``test`` extra): missing, these tests fail under CI (``CI`` set) and are skipped elsewhere.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import requests
from PIL import Image

from .callbacks.test_http import call, data_url, decode_typed_array, find_callback, upload
from .conftest import ROOT, free_port
from .deployments import (
    _procfile,
    _redis_server,
    _wait,
    aperture_sum,
    check_frames,
    reference,
    step,
    steps_on_both_workers,
    view_on,
)
from .s3_stand_in import BUCKET, FaultyProxy, MotoServer, environment, need_s3
from .synthetic import tpf_bytes

UPDATE = "/_dash-update-component"
PREFIX = "dynos/"
STORE_TIMEOUT = 1.0  # TPF_DASHBOARD_STORE_TIMEOUT: each request to the store, one retry
RETRY_AFTER = 5.0  # how long a dyno leaves the store alone after it failed (object_store.py)


class Dyno:
    """One gunicorn instance: the Procfile's ``web`` command with its own port and folder."""

    def __init__(self, name: str, tmp: Path, env: dict, workers: int):
        self.name, self.port = name, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.cache = tmp / name
        web = (_procfile("web").replace("${WEB_CONCURRENCY:-2}", str(workers))
               .replace("0.0.0.0:${PORT:-8050}", f"127.0.0.1:{self.port}"))
        self.log = tmp / f"{name}.log"
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", *shlex.split(web)], cwd=ROOT, stdout=out,
                stderr=subprocess.STDOUT, env=dict(env, TPF_DASHBOARD_CACHE=str(self.cache)))

    def ready(self) -> None:
        def healthy() -> bool:
            try:
                return requests.get(self.url + "/health", timeout=1).ok
            except requests.RequestException:
                return False
        _wait(f"dyno {self.name}", healthy, self.process, self.log)
        self.dependencies = requests.get(self.url + "/_dash-dependencies", timeout=30).json()
        self.layout = requests.get(self.url + "/_dash-layout", timeout=30).json()

    def has(self, fid: str) -> bool:
        return (self.cache / "tpf" / f"{fid}.tpf.json").exists()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class Deployment:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        redis_port = free_port()
        self.processes: list[subprocess.Popen] = []
        self.redis = self._start("redis", [_redis_server(), "--port", str(redis_port), "--bind",
                                           "127.0.0.1", "--save", "", "--appendonly", "no",
                                           "--dir", str(tmp)], dict(os.environ))
        self.moto = MotoServer(tmp / "moto.log")
        self.proxy = FaultyProxy(self.moto.port)
        closed = f"http://127.0.0.1:{free_port()}"  # MAST: refused at once, never the real one
        env = dict(os.environ, **environment(self.proxy.url),
                   REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
                   TPF_DASHBOARD_STORE_URL=f"s3://{BUCKET}/{PREFIX}",
                   TPF_DASHBOARD_STORE_TIMEOUT=str(STORE_TIMEOUT),
                   SECRET_KEY="the same on every dyno", PYTHONUNBUFFERED="1",
                   TPF_DASHBOARD_MAST_URL=closed,
                   TPF_DASHBOARD_MAST_RESOLVER_URL=closed + "/resolver")
        for name in ("TPF_DASHBOARD_FILE", "PORT", "WEB_CONCURRENCY"):
            env.pop(name, None)
        _wait("redis-server", lambda: "Ready to accept" in (tmp / "redis.log").read_text(),
              self.redis, tmp / "redis.log", seconds=15)
        # Started together: the three builds of the app overlap.
        self.a = Dyno("a", tmp, env, workers=1)
        self.b = Dyno("b", tmp, env, workers=2)
        worker = (_procfile("worker").replace("${CELERY_CONCURRENCY:-2}", "1")
                  + " --without-mingle --without-gossip --without-heartbeat")
        self.worker_cache = tmp / "worker"
        self.worker = self._start("worker", [sys.executable, "-m", *shlex.split(worker)],
                                  dict(env, TPF_DASHBOARD_CACHE=str(self.worker_cache)))
        self.processes += [self.a.process, self.b.process]
        self.a.ready()
        self.b.ready()
        _wait("celery", lambda: " ready." in (tmp / "worker.log").read_text(), self.worker,
              tmp / "worker.log")

    def _start(self, name: str, command: list[str], env: dict) -> subprocess.Popen:
        with open(self.tmp / f"{name}.log", "ab") as out:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out,
                                       stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def upload(self, data: bytes, name: str) -> str:
        """Upload a TPF on dyno A; its id."""
        response = upload(self.a, self.a.dependencies, self.a.layout, data_url(data), name)
        assert response.status_code == 200, response.text[:500]
        body = response.json()["response"]
        assert "upload-result" in body, body.get("upload-status")
        return body["upload-result"]["data"]["file"]

    def stop(self) -> None:
        for process in reversed(self.processes):  # Celery and the dynos, then Redis
            process.terminate()
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        self.proxy.stop()
        self.moto.stop()


@pytest.fixture(scope="module")
def dynos(tmp_path_factory):
    _redis_server()
    need_s3()
    started = Deployment(tmp_path_factory.mktemp("dynos"))
    yield started
    started.stop()


@pytest.fixture(scope="module")
def uploaded(dynos):
    """Files uploaded on dyno A before anything is asked of B: {name: (id, bytes)}."""
    files = {}
    for seed, name in enumerate(("stepped", "linked", "exported", "movie", "slow", "gone")):
        data = tpf_bytes(n_cadences=60, shape=(9, 8), mission="TESS", seed=300 + seed).data
        files[name] = (dynos.upload(data, f"{name}_tp.fits"), data)
    return files


def stored(dynos, fid: str) -> int:
    """How many times the dynos fetched ``fid`` from the store."""
    return dynos.proxy.count("GET", f"/{BUCKET}/{PREFIX}tpf/{fid}")


# --- any dyno answers any request -----------------------------------------------------------------

def test_an_upload_on_a_is_in_the_store_and_nowhere_else(dynos, uploaded):
    keys = dynos.moto.keys(PREFIX)
    for fid, _ in uploaded.values():
        assert f"{PREFIX}tpf/{fid}" in keys
        assert dynos.a.has(fid) and not dynos.b.has(fid)
    assert not [k for k in keys if k.startswith(f"{PREFIX}incoming/")]


def test_both_workers_of_b_step_through_a_file_uploaded_on_a(dynos, uploaded):
    """B's two workers serve the file's frames and the pipeline aperture's flux; B fetched it
    from the store once for both (its workers share B's folder)."""
    fid, data = uploaded["stepped"]
    answered = steps_on_both_workers(dynos.b, fid, range(60))
    assert len(answered) == 2
    ref = reference(data)
    check_frames(answered, ref, ref["aperture"])
    assert stored(dynos, fid) == 1 and dynos.b.has(fid)


def test_a_link_naming_a_file_from_a_opens_on_b(dynos, uploaded):
    """The view's owner on B, given a link to a file B has never seen, opens it at the
    linked frame with the file's header."""
    fid, data = uploaded["linked"]
    owner = find_callback(dynos.b.dependencies, "url.search", "view.data")
    response = call(dynos.b, owner, dynos.b.layout, {"url.search": f"?file={fid}&frame=17"})
    assert response.status_code == 200, response.text[:500]
    body = response.json()["response"]
    view = body["view"]["data"]
    assert view["state"]["file"] == fid and view["goto"]["frame"] == 17
    assert "TESS" in json.dumps(body["header"])
    assert stored(dynos, fid) == 1
    _, ops = step(dynos.b, fid, 17)
    assert np.array_equal(ops["batch"], reference(data)["flux"][17], equal_nan=True)


def test_a_csv_export_on_b(dynos, uploaded):
    """The CSV of a file uploaded on A, asked of B: each cadence's flux is the aperture sum of
    the file's FLUX (astropy), by cadence number."""
    fid, data = uploaded["exported"]
    export = find_callback(dynos.b.dependencies, "export-csv.n_clicks", "download-csv.data")
    response = call(dynos.b, export, dynos.b.layout, {"export-csv.n_clicks": 1},
                    {"view.data": view_on(dynos.b, fid)})
    assert response.status_code == 200, response.text[:500]
    csv = response.json()["response"]["download-csv"]["data"]["content"]
    assert "source file: exported_tp.fits" in csv
    rows = [line.split(",") for line in csv.splitlines()
            if line and not line.startswith("#")][1:]
    ref = reference(data)
    curve = aperture_sum(ref["flux"], ref["aperture"])
    from astropy.io import fits

    with fits.open(io.BytesIO(data)) as hdul:
        cadences = list(hdul[1].data["CADENCENO"])
    assert len(rows) == 60
    for row in rows:
        assert float(row[1]) == pytest.approx(curve[cadences.index(int(row[4]))], rel=1e-9)


def test_a_movie_asked_of_b_is_made_by_the_job_worker_from_the_store(dynos, uploaded):
    """A movie is a background job: queued by B, run by the Celery worker (a dyno of its own,
    with its own folder, which fetches the file from the store), collected from B."""
    fid, _ = uploaded["movie"]
    movie = find_callback(dynos.b.dependencies, "export-movie.n_clicks", "download-movie.data")
    state = {"view.data": view_on(dynos.b, fid), "movie-start.value": 5,
             "movie-end.value": 14, "movie-skip.value": 1, "movie-format.value": "gif"}
    body = background(dynos.b, movie, {"export-movie.n_clicks": 1}, state)
    content = body["download-movie"]["data"]
    assert content["filename"].endswith("_frames_5-14.gif"), content["filename"]
    gif = Image.open(io.BytesIO(base64.b64decode(content["content"])))
    assert gif.n_frames == 10
    assert (dynos.worker_cache / "tpf" / f"{fid}.tpf.json").exists()
    assert not dynos.b.has(fid)  # B only queued the job and passed its result on


def background(dyno: Dyno, callback: dict, changed: dict, state: dict) -> dict:
    """A background callback as the renderer runs it: queued, then polled (by whichever worker
    answers) until its response comes; that response."""
    page = requests.get(dyno.url + "/", timeout=10).text
    config = json.loads(re.search(r'<script id="_dash-config"[^>]*>(.*?)</script>', page,
                                  re.S).group(1))
    with mock.patch.object(requests, "post") as post:
        call(dyno, callback, dyno.layout, changed, state)
    payload = post.call_args.kwargs["json"]
    query = f"?endId={config['end_id']}"
    handles = requests.post(dyno.url + UPDATE + query, json=payload, timeout=30).json()
    assert {"cacheKey", "job"} <= set(handles), handles
    query += f"&cacheKey={handles['cacheKey']}&job={handles['job']}"
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        response = requests.post(dyno.url + UPDATE + query, json=payload, timeout=30)
        answer = response.json() if response.status_code == 200 else {}
        if "response" in answer:
            return answer["response"]
        time.sleep(0.2)
    raise AssertionError(f"no result from the job: {response.status_code} {response.text[:300]}")


def test_a_light_curve_uploaded_on_a_is_drawn_on_b(dynos, uploaded):
    """A light curve uploaded on A (a blob, by its content id) is drawn by B beside the TPF,
    each point on its cadence, with the uploaded values."""
    fid, _ = uploaded["stepped"]
    flux = 1 + 0.001 * np.arange(60)
    text = "time,flux\n" + "".join(f"{1000.0 + 0.0204 * i:.6f},{f:.6f}\n"
                                   for i, f in enumerate(flux))
    upload_curve = find_callback(dynos.a.dependencies, "upload-lightcurve.contents",
                                 "custom.data")
    response = call(dynos.a, upload_curve, dynos.a.layout,
                    {"upload-lightcurve.contents": data_url(text.encode())},
                    {"upload-lightcurve.filename": "mine.csv"})
    custom = response.json()["response"]["custom"]["data"]
    assert f"{PREFIX}lightcurves/{custom['id']}" in dynos.moto.keys(PREFIX)
    draw = find_callback(dynos.b.dependencies, "view.data", "lightcurve.figure")
    response = call(dynos.b, draw, dynos.b.layout, {"view.data": view_on(dynos.b, fid)},
                    {"custom.data": {**custom, "time_system": "BTJD"},
                     "lightcurve-drawn.data": None})
    assert response.status_code == 200, response.text[:500]
    traces = response.json()["response"]["lightcurve"]["figure"]["data"]
    (drawn,) = [t for t in traces if t.get("name") == "custom: mine.csv"]
    assert np.array_equal(decode_typed_array(drawn["y"]), flux.astype(np.float32))


# --- the store in trouble -------------------------------------------------------------------------

@pytest.mark.parametrize("fault", ["slow", "gone"])
def test_a_store_in_trouble(dynos, uploaded, fault):
    """The store slow (it never answers) or gone: B keeps stepping through the file it has; a
    link to a file only the store has leaves the view as it was with a notice, and its frames
    say the store does not answer, each within two tries of the timeout; an upload on A says
    it could not be stored. None of it is a 500 or a traceback. When the store answers again,
    the link opens."""
    fid, data = uploaded[fault]
    kept, kept_data = uploaded["stepped"]
    dynos.proxy.mode = fault
    try:
        _, ops = step(dynos.b, kept, 30)
        assert np.array_equal(ops["batch"], reference(kept_data)["flux"][30], equal_nan=True)

        bound = 2 * STORE_TIMEOUT + 3  # two tries, retry backoff, a busy machine
        owner = find_callback(dynos.b.dependencies, "url.search", "view.data")
        started = time.monotonic()
        response = call(dynos.b, owner, dynos.b.layout, {"url.search": f"?file={fid}"})
        assert time.monotonic() - started < bound
        assert response.status_code == 200, response.text[:500]
        body = response.json()["response"]
        assert "view" not in body  # the view stays as it was
        # Said as it is: the file exists, its store does not answer (not "no longer cached").
        assert "file store, which does not answer just now" in json.dumps(body["view-notes"])
        started = time.monotonic()
        batch = requests.get(f"{dynos.b.url}/frames/{fid}?start=0&count=1", timeout=30)
        assert time.monotonic() - started < bound
        assert batch.status_code == 404 and "does not answer" in batch.json()["message"]

        new = tpf_bytes(n_cadences=20, seed=400 + len(fault)).data
        started = time.monotonic()
        response = upload(dynos.a, dynos.a.dependencies, dynos.a.layout, data_url(new),
                          f"{fault}_upload.fits")
        assert time.monotonic() - started < bound
        body = response.json()["response"]
        assert "upload-result" not in body
        assert "could not be stored" in json.dumps(body["upload-status"])
    finally:
        dynos.proxy.mode = "pass"
    assert not list((dynos.b.cache / "tpf").glob(f"{fid}.*"))  # nothing half-fetched kept

    deadline = time.monotonic() + RETRY_AFTER + 10
    while True:  # each dyno's worker asks the store again RETRY_AFTER s after its failure
        response = call(dynos.b, owner, dynos.b.layout, {"url.search": f"?file={fid}"})
        if "view" in response.json()["response"]:
            break
        assert time.monotonic() < deadline, "the link did not open once the store was back"
        time.sleep(0.5)
    _, ops = step(dynos.b, fid, 3)
    assert np.array_equal(ops["batch"], reference(data)["flux"][3], equal_nan=True)
    for dyno in (dynos.a, dynos.b):
        assert "Traceback" not in dyno.output(), dyno.output()[-3000:]
        assert "object store" in dyno.output() and "unavailable" in dyno.output()
