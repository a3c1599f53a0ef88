"""TPF uploads streamed to the upload route (callbacks/upload_route.py): the bytes reach the
disk whole and hashed, the cap holds while streaming, and a large upload leaves the server's
peak memory (VmHWM, /proc) below the file's size + 50 MB; the token opens the file."""

from __future__ import annotations

import hashlib
import http.client
import json
from pathlib import Path

import pytest
import requests

from tests.conftest import Server
from tests.data.test_tpf_stream import write_big

ROUTE = "/upload/tpf"


def status(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) * 1024
    raise KeyError(key)


@pytest.fixture(scope="module")
def big_upload(tmp_path_factory):
    """A TPF of ~170 MB (120,000 cadences of 19 x 19 pixels)."""
    path = tmp_path_factory.mktemp("upload") / "tess20s.fits"
    write_big(path, 120_000, (19, 19))
    return path


@pytest.fixture(scope="module")
def roomy_server(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("roomy-server"),
                    env={"TPF_DASHBOARD_MAX_UPLOAD_MB": "400"})
    yield server
    server.stop()


def test_a_large_upload_streams_to_disk_with_little_memory(roomy_server, big_upload):
    size = big_upload.stat().st_size
    pid = roomy_server.process.pid
    before = status(pid, "VmRSS:")
    with open(big_upload, "rb") as body:  # requests streams a file object from disk
        answer = requests.post(roomy_server.url + ROUTE, params={"name": big_upload.name},
                               data=body, timeout=120)
    assert answer.status_code == 200, answer.text
    peak = status(pid, "VmHWM:")
    expected = hashlib.sha256(big_upload.read_bytes()).hexdigest()[:20]
    assert answer.json()["token"] == f"tpf-upload:{expected}"
    assert answer.json()["bytes"] == size
    kept = roomy_server.cache / "incoming" / f"{expected}.fits"
    assert kept.read_bytes() == big_upload.read_bytes()
    assert peak - before < size + 50 * 2**20
    # Far below, in fact: the route holds one mebibyte at a time.
    assert peak - before < 0.25 * size, f"peak grew {(peak - before) / 2**20:.0f} MiB"


def test_an_upload_over_the_cap_is_refused_from_its_length(roomy_server):
    """Refused from the Content-Length alone: the answer comes before any byte is sent."""
    connection = http.client.HTTPConnection("127.0.0.1", roomy_server.port, timeout=30)
    connection.putrequest("POST", ROUTE + "?name=huge.fits")
    connection.putheader("Content-Length", str(401 * 2**20))
    connection.endheaders()
    answer = connection.getresponse()
    assert answer.status == 413
    assert "huge.fits is over the upload limit of 400 MB" in json.loads(answer.read())["message"]
    connection.close()


def test_the_cap_holds_while_streaming_and_nothing_is_kept(tmp_path):
    """receive() counts the bytes as they arrive: past the cap it stops and removes what it
    wrote (a length that lied, or a stream without one)."""
    import io

    from dashboard.callbacks.upload_route import receive

    with pytest.raises(OverflowError):
        receive(io.BytesIO(b"\0" * (3 * 2**20)), tmp_path, limit=2**20)
    assert list(tmp_path.iterdir()) == []
    fid, path, size = receive(io.BytesIO(b"abc" * 1000), tmp_path, limit=2**20)
    assert size == 3000 and path.read_bytes() == b"abc" * 1000
    assert fid == hashlib.sha256(b"abc" * 1000).hexdigest()[:20]


def test_an_upload_without_a_length_is_refused_and_nothing_kept(roomy_server):
    def chunks():
        for _ in range(3):
            yield b"\0" * 2**20
    answer = requests.post(roomy_server.url + ROUTE, params={"name": "big.fits"}, data=chunks(),
                           timeout=30)
    assert answer.status_code == 400
    incoming = roomy_server.cache / "incoming"
    assert not incoming.exists() or not any(p.name.startswith(".receiving-")
                                            for p in incoming.iterdir())


def test_uploads_no_page_opened_are_removed_after_an_hour(tmp_path):
    import os
    import time

    from dashboard.callbacks.upload_route import forget_unclaimed

    old, new = tmp_path / f"{'a' * 20}.fits", tmp_path / f"{'b' * 20}.fits"
    old.write_bytes(b"x")
    new.write_bytes(b"y")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    forget_unclaimed(tmp_path)
    assert not old.exists() and new.exists()
