"""Untrusted input never becomes a path (issue 7, item 3), and the open-files bound.

* File references a user can craft (a file-id store value in any callback, the link's ``file``
  parameter, an upload's file name, an archive answer) never reach the file system: every
  ``open`` and ``stat`` the app makes in-process is recorded (``sys.addaudithook`` plus
  wrappers around ``os.stat``/``os.lstat``/``os.access``) and none names the crafted text.
* With ``max_open_files=2`` a third file evicts the least recently used, which is then
  reopened from the cache folder when it is needed again.
"""

from __future__ import annotations

import json
import os
import re
import sys
from urllib.parse import quote

import pytest

from dashboard.app import create_app

from .callbacks.test_http import UPDATE, data_url, default_view, find_callback, payload, walk
from .conftest import ROOT
from .synthetic import tpf_bytes

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
    view = {"state": {"file": crafted, "aperture": crafted, "sky": crafted}, "epoch": 0,
            "base": [crafted, crafted], "goto": {"frame": 0, "seq": 0}}
    return {"view.data": view,
            "custom.data": {"id": crafted, "name": crafted, "columns": {"time": crafted},
                            "time_system": crafted},
            "upload-result.data": {"file": crafted}, "archive-opened.data": {"file": crafted},
            "frame-sync.data": {"file": crafted, "frame": 1},
            "grid-jump.data": {"file": crafted, "frame": 1},
            "lightcurve-drawn.data": {"file": crafted},
            "pixels-drawn.data": {"file": crafted, "frame": 0},
            "diagnostics-drawn.data": {"grid": crafted},
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
    owner = find_callback(deps, "upload-result.data", "view.data")
    for crafted, marker in CRAFTED:
        response = client.post(UPDATE, json=payload(owner, layout,
                                                    {"upload-result.data": {"file": crafted}}))
        assert response.status_code == 200
        body = response.get_json()["response"]
        assert "not valid" in json.dumps(body["view-notes"]), body
        assert "view" not in body and "header" not in body  # the view stays as it was

        search = "?file=" + quote(crafted, safe="")
        response = client.post(UPDATE, json=payload(owner, layout, {"url.search": search}))
        assert response.status_code == 200, response.status_code
        message = json.dumps(response.get_json()["response"]["view-notes"])
        assert "file" in message and "ignored" in message, message
        assert not touched.naming(marker), touched.naming(marker)[:5]


def test_crafted_ids_in_frame_urls_are_refused(inprocess, touched):
    """The frame painter's batch route takes a file id in its path: crafted ones are refused."""
    app, client, deps, layout, cache = inprocess
    rules = [r.rule for r in app.server.url_map.iter_rules() if "<fid>" in r.rule]
    assert rules, "no route takes a file id in its path: the frame painter's batches moved?"
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
    upload = find_callback(deps, "upload-tpf.contents", "upload-result.data")
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
        assert "error" in json.dumps(response.get_json()["response"]["upload-status"])
        # A real TPF under a crafted name: stored under its content id, opened.
        response = client.post(UPDATE, json=payload(
            upload, layout, {"upload-tpf.contents": data_url(good.data)},
            {"upload-tpf.filename": crafted}))
        assert response.status_code == 200
        fid = response.get_json()["response"]["upload-result"]["data"]["file"]
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
    upload = find_callback(deps, "upload-tpf.contents", "upload-result.data")
    step = find_callback(deps, "frame-sync.data", "pixels.figure")
    demo = app.default_file

    def open_file(seed: int) -> str:
        response = client.post(UPDATE, json=payload(
            upload, layout, {"upload-tpf.contents": data_url(tpf_bytes(seed=seed).data)},
            {"upload-tpf.filename": f"file-{seed}.fits"}))
        return response.get_json()["response"]["upload-result"]["data"]["file"]

    def step_on(fid: str, frame: int = 2) -> list[str]:
        """Step on ``fid``; the paths named by its id that the step opened."""
        touched.paths = []
        view = default_view(layout)
        view = {**view, "state": {**view["state"], "file": fid}}
        response = client.post(UPDATE, json=payload(
            step, layout, {"frame-sync.data": {"file": fid, "frame": frame}},
            {"view.data": view, "pixels-drawn.data": {"file": fid, "frame": -1}}))
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        meta = {"file": fid, "frame": frame}
        assert json.dumps(meta, separators=(",", ":")) in response.get_data(as_text=True)
        return touched.naming(fid)

    step_on(demo)
    first, second = open_file(31), open_file(32)  # three files: the demo was the first
    assert len({demo, first, second}) == 3
    assert not step_on(second)   # held: nothing is read
    assert not step_on(first)    # held
    assert step_on(demo)         # evicted: reopened from the cache folder
    assert step_on(second)       # the demo's return evicted the least recently used (second)
    assert app.store.opened() == [demo, second]  # the bound: two held, the first evicted last
