"""Limits and untrusted input (issue 7, item 3).

* A request body over the upload cap is answered with the page's message before the body is
  read, and the server's memory does not grow by the upload's size (werkzeug and gunicorn).
* File references a user can craft (a file-id store value in any callback, the link's ``file``
  parameter, an upload's file name) never reach the file system: every ``open`` and ``stat``
  the app makes in-process is recorded (``sys.addaudithook`` plus wrappers around
  ``os.stat``/``os.lstat``/``os.access``) and none names the crafted text.
* Debug is off: a failing callback answers with a message, never a traceback.
* The open-files bound: with ``max_open_files=2`` a third file evicts the least recently used,
  which is then reopened from the cache folder when it is needed again.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import socket
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import psutil
import pytest
import requests

from dashboard.app import create_app

from .callbacks.test_http import find_callback, payload, walk
from .conftest import ROOT, Server
from .synthetic import tpf_bytes

UPDATE = "/_dash-update-component"
CAP_MB = 1
UPLOAD_BYTES = 5 * 2**20  # what the client announces and would send: 5x the cap


# --- helpers -------------------------------------------------------------------------------------

def frame_callback(dependencies) -> tuple[dict, str]:
    """The server callback that sends a frame's pixels, and the input that names the frame."""
    for key in ("cadence.value", "frame-sync.data"):
        found = [d for d in dependencies if d.get("clientside_function") is None
                 and key in [f"{i['id']}.{i['property']}" for i in d["inputs"]]
                 and "pixels.figure" in d["output"]]
        if found:
            return found[0], key
    raise AssertionError("no server callback sends the pixels of a frame")


def frame_changes(key: str, frame: int) -> dict:
    if key == "frame-sync.data":
        return {"frame-sync.data": {"frame": frame, "request": frame + 1}}
    return {"cadence.value": frame}


def data_url(data: bytes) -> str:
    return "data:application/octet-stream;base64," + base64.b64encode(data).decode("ascii")


def text_of(response_body: dict) -> str:
    return json.dumps(response_body)


# --- (a) uploads over the cap ---------------------------------------------------------------------

def _load_bench():
    if "bench_load" not in sys.modules:
        spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "load.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_load"] = module  # its dataclasses look their module up
        spec.loader.exec_module(module)
    return sys.modules["bench_load"]


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
    upload = find_callback(deps, "upload-tpf.contents", "session.data")
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
    assert '"session"' not in text  # the open file stays as it was
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

FAILING_INPUTS = [
    # An unexpected type where a number or a pair of numbers belongs.
    {"image-mode.value": "difference", "difference-n.value": "many"},
    {"stretch.value": "wide", "scale.value": "log"},
    {"stretch.value": [None, {"x": 1}], "scale.value": "sqrt"},
]


def test_failing_callbacks_send_no_traceback(capped):
    deps = requests.get(capped.url + "/_dash-dependencies", timeout=30).json()
    layout = requests.get(capped.url + "/_dash-layout", timeout=30).json()
    home = requests.get(capped.url + "/", timeout=30).text
    assert '"ui":false' in home.replace(" ", "")  # Dash dev tools are off
    step, key = frame_callback(deps)
    restretch = find_callback(deps, "stretch.value", "pixels.figure")
    answers = []
    for values in FAILING_INPUTS:
        for callback in (step, restretch):
            inputs = {k: v for k, v in values.items()
                      if k in [f"{i['id']}.{i['property']}" for i in callback["inputs"]]}
            if not inputs:
                continue
            changed = {**frame_changes(key, 3), **inputs} if callback is step else inputs
            response = requests.post(capped.url + UPDATE, timeout=30,
                                     json=payload(callback, layout, changed))
            answers.append(response)
    # Requests that are not callbacks at all.
    answers.append(requests.post(capped.url + UPDATE, data=b"{not json", timeout=30,
                                 headers={"Content-Type": "application/json"}))
    answers.append(requests.post(capped.url + UPDATE, json={"output": "nope.children",
                                                            "inputs": []}, timeout=30))
    for response in answers:
        assert response.status_code in (200, 204, 400, 500), response.status_code
        assert "Traceback" not in response.text and 'File "' not in response.text, \
            response.text[:800]
        assert str(ROOT) not in response.text
    shown = [r.text for r in answers if r.status_code == 200 and "went wrong" in r.text]
    assert shown, "no failing callback was exercised: " + repr([a.text[:200] for a in answers])
    # The user is told, in the page's message area.
    assert all('"message"' in text for text in shown)


# --- (b) crafted file references never reach the file system -------------------------------------

CRAFTED = [  # (what a user could send, text that would be in any path built from it)
    ("../../etc/passwd", "passwd"),
    ("/etc/passwd", "passwd"),
    ("..%2F..%2Fetc%2Fpasswd", "passwd"),
    ("../../../etc/passwdx", "passwd"),  # 20 characters, the length of a file id
    ("0123456789abcdef../.", "0123456789abcdef"),  # 20, hex then a way up
    ("0123456789ABCDEF0123", "0123456789ABCDEF0123"),  # 20, the right shape but upper case
    ("/tmp/evil\x00.fits", "evil"),
    ("~root/.ssh/id_rsa", "id_rsa"),
    ("C:\\Windows\\win.ini", "win.ini"),
    ("B" * 10_000, "B" * 64),
]
_OS_EVENTS = {"open", "os.listdir", "os.scandir", "os.remove", "os.rename", "os.rmdir",
              "os.mkdir", "os.chmod", "os.chown", "os.utime", "os.truncate", "os.link",
              "os.symlink", "os.chdir", "shutil.copyfile", "shutil.rmtree", "os.startfile"}


class Touched:
    """Paths the process opens or stats while ``active``."""

    def __init__(self):
        self.active = False
        self.paths: list[str] = []

    def hook(self, event, args):
        if self.active and event in _OS_EVENTS and args:
            self.record(args[0])

    def record(self, path):
        if isinstance(path, (str, bytes, os.PathLike)):
            self.paths.append(os.fsdecode(path) if not isinstance(path, str) else path)

    def naming(self, marker: str) -> list[str]:
        return [p for p in self.paths if marker in p]


_TOUCHED = Touched()
sys.addaudithook(_TOUCHED.hook)  # audit hooks cannot be removed: it records only when active


@pytest.fixture
def touched(monkeypatch):
    for name in ("stat", "lstat", "access"):  # os.stat raises no audit event
        original = getattr(os, name)

        def wrapper(path, *args, _original=original, **kwargs):
            _TOUCHED.record(path)
            return _original(path, *args, **kwargs)
        monkeypatch.setattr(os, name, wrapper)
    _TOUCHED.paths = []
    _TOUCHED.active = True
    yield _TOUCHED
    _TOUCHED.active = False


@pytest.fixture(scope="module")
def inprocess(tmp_path_factory):
    """The app in this process (Flask's test client), so its file access can be watched."""
    cache = tmp_path_factory.mktemp("inprocess") / "cache"
    app = create_app({"cache_dir": str(cache)})
    client = app.server.test_client()
    deps = client.get("/_dash-dependencies").get_json()
    layout = client.get("/_dash-layout").get_json()
    return app, client, deps, layout, cache


# Store values that name a file, as a crafted id would be sent in each.
def _references(crafted: str) -> dict:
    return {"session.data": {"file": crafted},
            "custom.data": {"id": crafted, "name": crafted, "columns": None,
                            "time_system": None},
            "grid-file.data": crafted,
            "share-pending.data": {"file": crafted, "state": {}, "notices": []},
            "url.search": "?file=" + quote(crafted, safe="")}


def _trigger_value(key: str, layout_value):
    prop = key.split(".", 1)[1]
    if prop in ("n_clicks", "n_submit"):
        return 1
    return layout_value


def test_the_audit_hook_sees_file_access(touched, tmp_path):
    """The watch itself works: an open and a stat of a file are both recorded."""
    probe = tmp_path / "probe-passwd.txt"
    probe.write_text("x")
    probe.exists()
    assert len(touched.naming("probe-passwd")) >= 2


def test_crafted_file_ids_in_callbacks_never_reach_the_file_system(inprocess, touched):
    app, client, deps, layout, cache = inprocess
    callbacks = [d for d in deps if d.get("clientside_function") is None
                 and not d.get("background")]
    file_keys = set(_references("x"))
    exercised = 0
    for crafted, marker in CRAFTED:
        refs = _references(crafted)
        for callback in callbacks:
            keys = [f"{d['id']}.{d['property']}" for d in callback["inputs"]
                    + callback.get("state", [])]
            if not file_keys & set(keys):
                continue
            values = {k: v for k, v in refs.items() if k in keys}
            for spec in callback["inputs"]:
                key = f"{spec['id']}.{spec['property']}"
                if key in values:
                    changed = {key: values[key]}
                else:
                    found = [c for c in walk(layout) if c["props"].get("id") == spec["id"]]
                    changed = {key: _trigger_value(
                        key, found[0]["props"].get(spec["property"]) if found else None)}
                response = client.post(UPDATE, json=payload(callback, layout, changed, values))
                exercised += 1
                assert response.status_code in (200, 204), (crafted[:40], callback["output"],
                                                             response.status_code)
                assert "Traceback" not in response.get_data(as_text=True)
        assert not touched.naming(marker), (crafted[:40], touched.naming(marker)[:5])
    assert exercised > 50


def test_crafted_ids_get_a_clear_message(inprocess, touched):
    """The callbacks a crafted reference reaches first say what is wrong, in words."""
    app, client, deps, layout, cache = inprocess
    show = find_callback(deps, "session.data", "header.children")
    restore = find_callback(deps, "url.search", "session.data")
    for crafted, marker in CRAFTED:
        response = client.post(UPDATE, json=payload(show, layout,
                                                    {"session.data": {"file": crafted}}))
        assert response.status_code == 200
        body = response.get_json()["response"]
        assert "not valid" in text_of(body["message"]), body["message"]
        assert "header" not in body  # the view stays as it was

        search = "?file=" + quote(crafted, safe="")
        response = client.post(UPDATE, json=payload(restore, layout, {"url.search": search}))
        assert response.status_code == 200, response.status_code
        message = text_of(response.get_json()["response"]["message"])
        assert "file" in message and "ignored" in message, message
        assert not touched.naming(marker), touched.naming(marker)[:5]


def test_crafted_ids_in_frame_urls_are_refused(inprocess, touched):
    """The frame painter's batch route (when the app has one) takes a file id in its path."""
    app, client, deps, layout, cache = inprocess
    rules = [r.rule for r in app.server.url_map.iter_rules() if "<fid>" in r.rule]
    if not rules:
        pytest.skip("no route takes a file id in its path")
    for rule in rules:
        for crafted, marker in CRAFTED:
            if "\x00" in crafted:
                continue  # not a URL a client can send
            url = rule.replace("<fid>", quote(crafted, safe="")) + "?start=0&count=1"
            response = client.get(url)
            # Refused, or (an encoded '/' splits the path) Dash's catch-all page route.
            page = response.status_code == 200 and response.mimetype == "text/html"
            assert response.status_code in (400, 404) or page, (url[:80], response.status_code)
            assert "Traceback" not in response.get_data(as_text=True)
            assert not touched.naming(marker), touched.naming(marker)[:5]


def test_crafted_upload_names_never_become_paths(inprocess, touched):
    app, client, deps, layout, cache = inprocess
    upload = find_callback(deps, "upload-tpf.contents", "session.data")
    light_curve = [d for d in deps if d.get("clientside_function") is None and
                   "upload-lightcurve.contents" in [f"{i['id']}.{i['property']}"
                                                   for i in d["inputs"]]]
    good = tpf_bytes(seed=21, n_cadences=12)
    csv = b"time,flux\n" + b"".join(b"%f,%f\n" % (1000 + i * 0.02, 1.0) for i in range(12))
    for crafted, marker in CRAFTED:
        # Junk under a crafted name: a message, nothing stored.
        response = client.post(UPDATE, json=payload(
            upload, layout, {"upload-tpf.contents": data_url(b"not a FITS file")},
            {"upload-tpf.filename": crafted}))
        assert response.status_code == 200
        assert "error" in text_of(response.get_json()["response"]["message"])
        # A real TPF under a crafted name: stored under its content id, opened.
        response = client.post(UPDATE, json=payload(
            upload, layout, {"upload-tpf.contents": data_url(good.data)},
            {"upload-tpf.filename": crafted}))
        assert response.status_code == 200
        fid = response.get_json()["response"]["session"]["data"]["file"]
        assert re.fullmatch(r"[0-9a-f]{20}", fid)
        for callback in light_curve:
            response = client.post(UPDATE, json=payload(
                callback, layout, {"upload-lightcurve.contents": data_url(csv)},
                {"upload-lightcurve.filename": crafted}))
            assert response.status_code in (200, 204)
            assert "Traceback" not in response.get_data(as_text=True)
        assert not touched.naming(marker), (crafted[:40], touched.naming(marker)[:5])
    # Whatever was written went into the cache folder, under ids.
    written = {p for p in touched.paths if not p.startswith(sys.prefix)
               and not p.startswith(sys.base_prefix) and str(cache) not in p
               and not p.startswith(str(ROOT)) and not p.startswith("/proc/")}
    assert not [p for p in written if any(m in p for _, m in CRAFTED)], written


def test_crafted_archive_results_never_become_paths(tmp_path, touched):
    """A search result the page sends back (``archive-found``) names a product: its file name
    and URI only ever reach the download cache as a hash, and only MAST URIs are accepted."""
    from dashboard.callbacks.archive import product_from
    from dashboard.data import DataError
    from dashboard.data.downloads import DownloadCache

    cache = DownloadCache(tmp_path / "downloads", max_bytes=10**9)
    good = tpf_bytes(seed=22).data
    for crafted, marker in CRAFTED:
        if "\x00" in crafted:
            continue
        with pytest.raises(DataError):  # not a MAST URI
            product_from({"product_uri": crafted, "filename": crafted, "mission": "Kepler"})
        path = cache.put_bytes("mast:mast:" + crafted, good, crafted)
        assert path.parent == cache.directory and marker not in path.name
        assert cache.get("mast:mast:" + crafted) == path
    assert not [p for p in touched.paths for _, m in CRAFTED if m in p and "\x00" not in m]


# --- (d) the open-files bound --------------------------------------------------------------------

def test_a_third_file_evicts_the_least_recently_used(tmp_path, touched):
    app = create_app({"cache_dir": str(tmp_path / "cache"), "max_open_files": 2})
    client = app.server.test_client()
    deps = client.get("/_dash-dependencies").get_json()
    layout = client.get("/_dash-layout").get_json()
    upload = find_callback(deps, "upload-tpf.contents", "session.data")
    step, key = frame_callback(deps)
    demo = app.default_file

    def open_file(seed: int) -> str:
        response = client.post(UPDATE, json=payload(
            upload, layout, {"upload-tpf.contents": data_url(tpf_bytes(seed=seed).data)},
            {"upload-tpf.filename": f"file-{seed}.fits"}))
        return response.get_json()["response"]["session"]["data"]["file"]

    def step_on(fid: str, frame: int = 2) -> list[str]:
        """Step on ``fid``; the paths named by its id that the step opened."""
        touched.paths = []
        response = client.post(UPDATE, json=payload(step, layout, frame_changes(key, frame),
                                                    {"session.data": {"file": fid},
                                                     "cadence.value": frame}))
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        assert f"frame {frame + 1} of" in response.get_data(as_text=True)
        return touched.naming(fid)

    step_on(demo)
    first, second = open_file(31), open_file(32)  # three files: the demo was the first
    assert len({demo, first, second}) == 3
    assert not step_on(second)   # held: nothing is read
    assert not step_on(first)    # held
    assert step_on(demo)         # evicted: reopened from the cache folder
    assert step_on(second)       # the demo's return evicted the least recently used (second)
    held = getattr(app.store, "_open", None)
    if held is not None:
        assert len(held) <= 2
