"""The load tool's dynos (``bench/load.py --dynos N``): N gunicorn instances that share no disk,
only a ``redis-server`` and an S3-compatible object store (``moto_server``), as on a PaaS.

Each instance is the Procfile's ``web`` command (``load_server.Gunicorn``) with a cache folder
of its own and ``REDIS_URL``, ``TPF_DASHBOARD_STORE_URL`` and the ``AWS_*`` variables pointing
at the two services, all on 127.0.0.1. The file to step through is uploaded on the first
instance (as a user would), so every other instance must fetch it from the store; the first
frame batch each instance serves of it is timed apart, as the cost of that fetch.

Needs ``redis-server`` (Debian) and the ``redis``, ``celery``, ``boto3`` and ``moto[server]``
packages (``pip install -e '.[test]'``).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

from dash_client import UPDATE_PATH, Callback, find_callback, layout_props
from load_server import Gunicorn, free_port

BUCKET = "tpf-dashboard-bench"


class Dynos:
    def __init__(self, count: int, workers: int, work: Path):
        self.work = work
        self.services: list[subprocess.Popen] = []
        self.instances: list[Gunicorn] = []
        try:
            redis_url = self._redis()
            endpoint = self._moto()
            env = {"REDIS_URL": redis_url, "TPF_DASHBOARD_STORE_URL": f"s3://{BUCKET}/bench/",
                   "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "bench",
                   "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
                   "SECRET_KEY": "the same on every dyno"}
            for i in range(count):
                self.instances.append(Gunicorn(workers, None, work / f"dyno{i}" / "cache",
                                               work / f"dyno{i}.log", env))
            for instance in self.instances:
                instance.wait_ready()
        except BaseException:
            self.stop()
            raise

    @property
    def urls(self) -> list[str]:
        return [instance.url for instance in self.instances]

    @property
    def masters(self) -> list[int]:
        return [instance.pid for instance in self.instances]

    def log_text(self) -> str:
        return "".join(instance.log_text() for instance in self.instances)

    def stop(self) -> None:
        for instance in self.instances:
            instance.stop()
        for process in self.services:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(10)

    def _redis(self) -> str:
        command = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(command).exists():
            raise SystemExit("--dynos needs redis-server (Debian: apt-get install redis-server)")
        port = free_port()
        self._start([command, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                     "--appendonly", "no", "--dir", str(self.work)], "redis", port)
        return f"redis://127.0.0.1:{port}/0"

    def _moto(self) -> str:
        command = shutil.which("moto_server") or str(Path(sys.executable).with_name(
            "moto_server"))
        if not Path(command).exists():
            raise SystemExit("--dynos needs moto_server (pip install 'moto[server]' boto3)")
        port = free_port()
        self._start([command, "-H", "127.0.0.1", "-p", str(port)], "moto", port)
        endpoint = f"http://127.0.0.1:{port}"
        import boto3

        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                     aws_access_key_id="bench",
                     aws_secret_access_key="bench").create_bucket(Bucket=BUCKET)
        return endpoint

    def _start(self, command: list[str], name: str, port: int) -> None:
        log = open(self.work / f"{name}.log", "wb")
        self.services.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                              env=dict(os.environ)))
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port),
                                                                        timeout=0.2):
                return
            if time.monotonic() > deadline or self.services[-1].poll() is not None:
                raise SystemExit(f"{name} did not start: see {self.work / (name + '.log')}")
            time.sleep(0.05)


def upload_and_spread(urls: list[str], path: Path, templates: dict) -> tuple[dict, list[str]]:
    """Upload ``path`` on the first instance and make it the file the users step through:
    ``templates`` with its id, frame count and frame-source; and a line per instance timing
    its first batch of the file (the other instances fetch it from the store then)."""
    import requests

    deps = requests.get(urls[0] + "/_dash-dependencies", timeout=60).json()
    props = layout_props(requests.get(urls[0] + "/_dash-layout", timeout=60).json())
    data = path.read_bytes()
    contents = "data:application/octet-stream;base64," + base64.b64encode(data).decode()
    upload = Callback(find_callback(deps, "upload-tpf.contents", "upload-result"), props)
    t0 = time.perf_counter()
    answer = requests.post(urls[0] + UPDATE_PATH, timeout=300, json=upload.body(**{
        "upload-tpf.contents": contents, "upload-tpf.filename": path.name})).json()
    upload_ms = (time.perf_counter() - t0) * 1e3
    try:
        fid = answer["response"]["upload-result"]["data"]["file"]
    except (KeyError, TypeError):
        raise SystemExit(f"the upload was refused: {str(answer)[:300]}") from None
    view = dict(props["view"]["data"])
    view["state"] = {**view["state"], "file": fid, "aperture": None}
    source_cb = Callback(find_callback(deps, "view.data", "frame-source"), props)
    answer = requests.post(urls[0] + UPDATE_PATH, json=source_cb.body(**{"view.data": view}),
                           timeout=60).json()
    source = answer["response"]["frame-source"]["data"]
    from astropy.io import fits

    with fits.open(path) as hdul:
        n_frames = len(hdul[1].data)
    lines = [f"upload of {path.name} ({len(data) / 2**20:.1f} MB) on dyno 0: {upload_ms:.0f} ms"]
    for i, url in enumerate(urls):
        t0 = time.perf_counter()
        first = requests.get(f"{url}/{source['url'].lstrip('/')}&start=0&count="
                             f"{source['batch']}", timeout=120)
        first.raise_for_status()
        how = "its own copy" if i == 0 else "fetched from the object store, converted"
        lines.append(f"first batch on dyno {i}: {(time.perf_counter() - t0) * 1e3:.0f} ms "
                     f"({how})")
    (length,) = struct.unpack_from("<I", first.content)
    rows, cols = json.loads(first.content[4:4 + length])["shape"]
    # Every callback the users send now names the uploaded file in the view it carries.
    templates["step"].props["view"] = dict(props["view"], data=view)
    templates = dict(templates, file=fid, n_frames=n_frames,
                     source=dict(source, pixels=rows * cols))
    return templates, lines
