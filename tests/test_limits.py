"""Limits (issue 7, item 3): what a server does with requests it must refuse.

* A request body over the upload cap is answered with the page's message before the body is
  read, and the server's memory does not grow by the upload's size (werkzeug and gunicorn).
* Debug is off: a failing callback answers with a message, never a traceback.

Crafted names and the open-files bound are in ``test_untrusted_input.py``.
"""

from __future__ import annotations

import importlib.util
import json
import socket
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest
import requests

from .callbacks.test_http import UPDATE, find_callback, payload
from .conftest import ROOT, Server

CAP_MB = 1
UPLOAD_BYTES = 5 * 2**20  # what the client announces and would send: 5x the cap


# --- (a) uploads over the cap ---------------------------------------------------------------------

def _load_bench():
    """bench/load_server.py: how the load tool starts the Procfile's gunicorn."""
    if "bench_load_server" not in sys.modules:
        spec = importlib.util.spec_from_file_location("bench_load_server",
                                                      ROOT / "bench" / "load_server.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules["bench_load_server"] = module
    return sys.modules["bench_load_server"]


class Gunicorn:
    """The Procfile's gunicorn (2 workers) on a loopback port, as bench/load.py starts it."""

    def __init__(self, tmp: Path):
        bench = _load_bench()
        self.server = bench.Gunicorn(2, None, tmp / "cache", tmp / "gunicorn.log")
        self.server.wait_ready()
        self.url = self.server.url
        self.pids = [p.pid for p in bench.worker_processes(self.server.pid)]

    def output(self) -> str:
        return self.server.log_text()

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture(scope="module", params=["werkzeug", "gunicorn"])
def capped(request, tmp_path_factory):
    """A dashboard with a 1 MB upload cap: ``python -m dashboard`` or the Procfile's gunicorn."""
    tmp = tmp_path_factory.mktemp(f"capped-{request.param}")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TPF_DASHBOARD_MAX_UPLOAD_MB", str(CAP_MB))
        if request.param == "werkzeug":
            server = Server(tmp)
            server.pids = [server.process.pid]
        else:
            pytest.importorskip("gunicorn")
            server = Gunicorn(tmp)
    server.kind = request.param
    yield server
    server.stop()


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in bytes."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            out[name] = int(value.split()[0]) * 1024
    return out


class PeakMemory:
    """Peak RSS growth of processes over a block: the kernel's high-water mark, reset first
    (``/proc/<pid>/clear_refs``); where that cannot be reset, RSS sampled every 2 ms."""

    def __init__(self, pids: list[int]):
        self.pids = pids

    def __enter__(self):
        self.before = {pid: _status(pid)["VmRSS"] for pid in self.pids}
        try:
            for pid in self.pids:
                Path(f"/proc/{pid}/clear_refs").write_text("5")
            self.sampler = None
        except OSError:
            self.peak = dict(self.before)
            self.stop = threading.Event()
            self.sampler = threading.Thread(target=self._sample, daemon=True)
            self.sampler.start()
        return self

    def _sample(self):
        while not self.stop.is_set():
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], psutil.Process(pid).memory_info().rss)
            time.sleep(0.002)

    def __exit__(self, *exc):
        if self.sampler is not None:
            self.stop.set()
            self.sampler.join()
        else:
            self.peak = {pid: _status(pid)["VmHWM"] for pid in self.pids}
        self.growth = max(self.peak[pid] - self.before[pid] for pid in self.pids)
        self.after = {pid: _status(pid)["VmRSS"] for pid in self.pids}


def _read_response(sock: socket.socket) -> tuple[int, dict, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    length = int(headers.get("content-length", -1))
    while length < 0 or len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body


def streamed_post(url: str, body: bytes, first: int = 64 * 1024, timeout: float = 20):
    """POST ``body`` announcing its whole length, but send only its first ``first`` bytes and
    then wait for the answer: a server that reads the body before refusing it never answers."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        head = (f"POST {UPDATE} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
                f"Content-Type: application/json\r\nAccept: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        sock.sendall(head + body[:first])
        try:
            return _read_response(sock)
        except TimeoutError:
            pytest.fail(f"no answer within {timeout} s after {first} of {len(body)} bytes: "
                        "the server waits for the whole body before refusing it")


def test_upload_over_the_cap_is_refused_unread_with_the_message(capped):
    deps = requests.get(capped.url + "/_dash-dependencies", timeout=30).json()
    layout = requests.get(capped.url + "/_dash-layout", timeout=30).json()
    upload = find_callback(deps, "upload-tpf.contents", "upload-result.data")
    # A real upload's shape: a data URL inside the renderer's JSON body, 5x the cap.
    contents = "data:application/octet-stream;base64," + "A" * UPLOAD_BYTES
    body = json.dumps(payload(upload, layout, {"upload-tpf.contents": contents},
                              {"upload-tpf.filename": "big.fits"})).encode()
    for _ in range(2):  # the first request of a process can allocate on its own account
        with PeakMemory(capped.pids) as memory:
            status, headers, answer = streamed_post(capped.url, body)
    assert status == 200, (status, answer[:300])
    text = answer.decode()
    assert f"over the upload limit of {CAP_MB} MB" in text, text[:500]
    assert '"upload-result"' not in text  # the open file stays as it was
    # Had the body been read (5 MB) and parsed (JSON, base64), the server would have grown by
    # more than the upload itself; it grows by almost nothing.
    assert memory.growth < UPLOAD_BYTES / 4, (capped.kind, memory.growth, memory.before,
                                              memory.peak)
    for pid in capped.pids:
        assert memory.after[pid] - memory.before[pid] < UPLOAD_BYTES / 4
    # The server is still fine afterwards.
    assert requests.get(capped.url + "/health", timeout=10).json()["status"] == "ok"
    assert "RequestEntityTooLarge" not in capped.output()  # handled, not an error


# --- (c) debug off -------------------------------------------------------------------------------

# Values of every wrong kind, for every input and state of every callback.
JUNK = ["junk", -5, 1e300, ["x", {"y": None}], {"state": {"file": 5}, "epoch": "x"}, True,
        {"file": "0" * 20, "frame": "many"}, {"id": "0123456789abcdef0123", "columns": "abc"}]


def test_junk_in_any_callback_sends_no_traceback(capped):
    """Whatever a page (or anyone) sends as a callback's inputs, the answer is a normal one,
    perhaps a message, never a traceback or an HTTP 500, and the server keeps serving."""
    deps = requests.get(capped.url + "/_dash-dependencies", timeout=30).json()
    layout = requests.get(capped.url + "/_dash-layout", timeout=30).json()
    home = requests.get(capped.url + "/", timeout=30).text
    assert '"ui":false' in home.replace(" ", "")  # Dash dev tools are off
    server_side = [d for d in deps if d.get("clientside_function") is None
                   and not d.get("background") and not d.get("no_output")]
    assert len(server_side) >= 10
    answers = []
    for callback in server_side:
        keys = [f"{i['id']}.{i['property']}" for i in callback["inputs"] + callback.get(
            "state", []) if isinstance(i["id"], str)]
        for junk in JUNK:
            changed = {key: junk for key in keys}
            response = requests.post(capped.url + UPDATE, timeout=30,
                                     json=payload(callback, layout, changed))
            answers.append((callback["output"][:40], junk, response))
    # Requests that are not callbacks at all.
    answers.append(("raw", None, requests.post(capped.url + UPDATE, data=b"{not json",
                                               timeout=30,
                                               headers={"Content-Type": "application/json"})))
    answers.append(("raw", None, requests.post(capped.url + UPDATE, timeout=30, json={
        "output": "nope.children", "inputs": []})))
    for where, junk, response in answers:
        assert response.status_code in (200, 204, 400), (where, junk, response.text[:300])
        assert "Traceback" not in response.text and 'File "' not in response.text, \
            (where, response.text[:800])
        assert str(ROOT) not in response.text
        if "went wrong" in response.text:  # the user is told, in the page's message area
            assert '"message"' in response.text
    assert requests.get(capped.url + "/health", timeout=10).json()["status"] == "ok"
    assert "Traceback" not in capped.output(), capped.output()[-3000:]
