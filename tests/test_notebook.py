"""``show(tpf, lc=...)`` and ``interact(tpf)`` from Python: a server outside Jupyter; in a
kernel (a stand-in: what it displays is collected) the view in the cell's output, loaded through
Jupyter's proxy or directly, one view per cell; the route decided from the Jupyter server's
runtime file and one request through its proxy. The real JupyterLab and Notebook 7 are in
tests/browser/test_jupyter.py; lightkurve's own objects in test_notebook_lightkurve.py.
"""

from __future__ import annotations

import io
import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import numpy as np
import pytest
import requests
from astropy.io import fits
from astropy.table import Table

import dashboard
from dashboard import notebook
from dashboard.data import DataError
from dashboard.data.demo import demo_bytes, demo_tpf
from dashboard.data.masks import decode_mask
from dashboard.notebook import jupyter
from dashboard.notebook.jupyter import JupyterServer, find_server, route

from .conftest import free_port, missing


def _decode(spec):
    import base64

    return np.frombuffer(base64.b64decode(spec["bdata"]), dtype=spec["dtype"])


def _cleaned_demo_curve():
    """The seed's example: drop flagged cadences and outliers from the pipeline curve."""
    tpf = demo_tpf()
    flux = tpf.pipeline_lightcurve
    keep = (tpf.quality == 0) & (np.abs(flux - np.median(flux)) < 1500)
    return tpf, keep, tpf.time[keep], flux[keep]


def _custom_trace(url):
    layout = requests.get(url + "_dash-layout", timeout=10).json()
    stack = [layout]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            props = node.get("props", {})
            if props.get("id") == "lightcurve":
                return props["figure"]["data"][2], layout
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    raise AssertionError("no light curve in the layout")


def _refuses(port: int) -> bool:
    try:
        requests.get(f"http://127.0.0.1:{port}/health", timeout=2)
    except requests.ConnectionError:
        return True
    return False


# --- outside Jupyter -----------------------------------------------------------------------------

def test_show_serves_a_cleaned_curve_with_its_gaps(tmp_path, capsys):
    """Outside Jupyter, show() serves the page with the custom curve drawn, gaps as gaps."""
    tpf, keep, time, flux = _cleaned_demo_curve()
    port = free_port()
    running = dashboard.show(demo_bytes(), lc=(time, flux), port=port, block=False,
                             cache_dir=tmp_path / "cache")
    try:
        assert f"http://127.0.0.1:{port}/" in capsys.readouterr().out
        assert requests.get(running.url + "health", timeout=10).json()["status"] == "ok"
        trace, layout = _custom_trace(running.url)
        assert trace["visible"] is True
        x = _decode(trace["x"])
        frames = np.asarray(trace["customdata"])
        drawn = frames >= 0
        # Every kept cadence is drawn at its own frame...
        np.testing.assert_array_equal(frames[drawn], np.flatnonzero(keep))
        np.testing.assert_array_equal(x[drawn], time)
        # ...and each run of dropped cadences is one break in the line, not a line across it.
        dropped_runs = np.count_nonzero(np.diff(np.flatnonzero(keep)) > 1)
        assert np.isnan(x).sum() == dropped_runs > 0
        assert "matched a cadence" in str(layout)
    finally:
        running.stop()
    assert _refuses(port)


def test_show_takes_tables_and_a_duck_typed_lightkurve_tpf(tmp_path):
    """An astropy Table as lc, and anything with an ``hdu`` HDUList as the TPF."""
    _, keep, time, flux = _cleaned_demo_curve()

    class FakeLightkurveTPF:
        hdu = fits.HDUList(fits.open(io.BytesIO(demo_bytes())))
        path = "ktwo-demo_lpd-targ.fits"

    running = dashboard.show(FakeLightkurveTPF(), lc=Table({"time": time, "flux": flux}),
                             port=free_port(), block=False, cache_dir=tmp_path / "cache")
    try:
        trace, _ = _custom_trace(running.url)
        assert np.count_nonzero(np.asarray(trace["customdata"]) >= 0) == keep.sum()
    finally:
        running.stop()


def test_a_busy_port_is_traded_for_a_free_one(tmp_path, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        busy = taken.getsockname()[1]
        running = dashboard.show(port=busy, block=False, cache_dir=tmp_path / "cache")
        try:
            assert running.port != busy and running.asked_port == busy
            assert f"Port {busy} is busy; using {running.port}." in capsys.readouterr().out
            assert requests.get(running.url + "health", timeout=10).ok
        finally:
            running.stop()


def test_plain_python_is_not_a_notebook():
    assert notebook.in_notebook() is False
    assert jupyter.cell_key() is None


def test_show_refuses_what_it_cannot_read(tmp_path):
    with pytest.raises(DataError):
        dashboard.show(object(), cache_dir=tmp_path / "cache", block=False)
    with pytest.raises(DataError):
        dashboard.show(lc=tmp_path / "missing.csv", cache_dir=tmp_path / "cache", block=False)


# --- in a kernel ---------------------------------------------------------------------------------

@pytest.fixture
def kernel(monkeypatch):
    """show() as in a Jupyter kernel of no Jupyter server: ``shown`` collects what it displays,
    ``cell["id"]`` is the cell running. Every view is stopped afterwards."""
    try:
        import IPython.display
    except ModuleNotFoundError:
        missing("IPython is not installed (pip install -e '.[test]')")
    shown = []
    cell = {"id": "cell:a"}
    monkeypatch.setattr(notebook, "in_notebook", lambda: True)
    monkeypatch.setattr(notebook, "cell_key", lambda: cell["id"])
    monkeypatch.setattr(IPython.display, "display", lambda *objects, **_: shown.extend(objects))
    monkeypatch.setattr(jupyter, "find_server", lambda: None)
    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX", raising=False)
    yield SimpleNamespace(shown=shown, cell=cell)
    notebook.stop_all()


def _frame_src(shown) -> tuple[str, int]:
    """The src and port of the last dashboard iframe displayed."""
    html = [getattr(o, "data", "") for o in shown if "tpf-dashboard" in getattr(o, "data", "")]
    match = re.search(r'<iframe class="tpf-dashboard"[^>]* src="([^"]*)" data-port="(\d+)"',
                      html[-1])
    return match[1].replace("&amp;", "&"), int(match[2])


def test_in_a_kernel_each_cell_keeps_its_view_and_a_rerun_replaces_it(kernel, tmp_path):
    cache = tmp_path / "cache"
    assert dashboard.show(cache_dir=cache, port=0) is None
    src_a, port_a = _frame_src(kernel.shown)
    # No Jupyter server started this "kernel": the page is loaded directly, and says why.
    assert src_a == f"http://127.0.0.1:{port_a}/"
    assert "no Jupyter server started this kernel" in kernel.shown[-1].data
    kernel.cell["id"] = "cell:b"
    dashboard.show(cache_dir=cache, port=port_a)  # busy: cell a holds it
    _, port_b = _frame_src(kernel.shown)
    assert port_b != port_a and f"Port {port_a} was busy" in kernel.shown[-1].data
    assert [v.port for v in notebook.views()] == [port_a, port_b]

    kernel.cell["id"] = "cell:a"
    dashboard.show(cache_dir=cache, port=port_a)  # cell a again: its old view gives way
    _, port_a2 = _frame_src(kernel.shown)
    assert port_a2 == port_a and "was busy" not in kernel.shown[-1].data
    assert len(notebook.views()) == 2
    for port in (port_a2, port_b):
        assert requests.get(f"http://127.0.0.1:{port}/health", timeout=10).ok
    notebook.stop_all()
    assert _refuses(port_a2) and _refuses(port_b) and notebook.views() == []


def test_through_the_proxy_the_page_asks_under_its_prefix(kernel, tmp_path):
    """proxy=True: the frame loads /proxy/<port>/ and the page's scripts and callbacks are asked
    for under that prefix (what jupyter-server-proxy forwards to the kernel's port)."""
    dashboard.show(cache_dir=tmp_path / "cache", port=0, proxy=True)
    src, port = _frame_src(kernel.shown)
    assert src == f"/proxy/{port}/"
    index = requests.get(f"http://127.0.0.1:{port}/", timeout=10).text
    config = json.loads(re.search(r'<script id="_dash-config" type="application/json">(.*?)'
                                  "</script>", index, re.S)[1])
    assert config["requests_pathname_prefix"] == f"/proxy/{port}/"
    scripts = re.findall(r'<script src="([^"]+)"', index)
    assert scripts and all(s.startswith(f"/proxy/{port}/") for s in scripts if s[0] == "/")


def test_tab_and_external_modes_and_dash_s_jupyterlab_mode(kernel, tmp_path):
    from IPython.display import Javascript

    dashboard.show(cache_dir=tmp_path / "cache", port=0, mode="tab")
    opened = [o for o in kernel.shown if isinstance(o, Javascript)]
    port = notebook.views()[-1].port
    assert opened and f"window.open('http://127.0.0.1:{port}/')" in opened[0].data
    kernel.cell["id"] = "cell:b"
    dashboard.show(cache_dir=tmp_path / "cache", port=0, mode="external")
    assert "<iframe" not in kernel.shown[-1].data and "Open in a new tab" in kernel.shown[-1].data
    with pytest.raises(DataError, match="JupyterLab 4"):
        dashboard.show(cache_dir=tmp_path / "cache", mode="jupyterlab")


# --- the route -----------------------------------------------------------------------------------

HUB = JupyterServer("/user/ann/", "http://127.0.0.1:8888/user/ann/", "s3cret", 1234)


@pytest.mark.parametrize("answer, env, proxied, src, why", [
    (True, {}, True, "/user/ann/proxy/9001/", "jupyter-server-proxy"),
    (False, {}, False, "http://127.0.0.1:9001/", "the Jupyter server has no jupyter-server"),
    # A login page: cannot tell; on a hub a direct address could not work anyway.
    (None, {"JUPYTERHUB_SERVICE_PREFIX": "/user/ann/"}, True, "/user/ann/proxy/9001/",
     "JupyterHub; not confirmed"),
])
def test_the_route_follows_what_the_proxy_answers(answer, env, proxied, src, why):
    asked = []

    def probe(url, token, app_id):
        asked.append((url, token, app_id))
        return answer
    way = route(9001, "127.0.0.1", "abc", server=HUB, env=env, probe=probe)
    assert asked == [("http://127.0.0.1:8888/user/ann/proxy/9001/health", "s3cret", "abc")]
    assert (way.proxied, way.src) == (proxied, src) and why in way.why
    assert way.prefix == (src if proxied else "/")


def test_the_route_without_a_server_forced_or_given_a_notebook_url(monkeypatch):
    monkeypatch.setattr(jupyter, "find_server", lambda: None)
    never = lambda *args: pytest.fail("nothing to ask")  # noqa: E731
    way = route(9001, "0.0.0.0", "abc", env={}, probe=never)
    assert not way.proxied and way.src == "http://127.0.0.1:9001/"
    way = route(9001, "127.0.0.1", "abc", env={"JUPYTERHUB_SERVICE_PREFIX": "/user/ann/"},
                probe=never)
    assert way.proxied and way.src == "/user/ann/proxy/9001/"
    way = route(9001, "127.0.0.1", "abc", server=HUB, env={}, proxy=False, probe=never)
    assert not way.proxied and way.src == "http://127.0.0.1:9001/"
    way = route(9001, "127.0.0.1", "abc", proxy=True, env={}, probe=never)
    assert way.src == way.prefix == "/proxy/9001/"
    # lightkurve's notebook_url, with or without a scheme: through that server's proxy.
    way = route(9001, "127.0.0.1", "abc", notebook_url="localhost:8888", env={}, probe=never)
    assert (way.src, way.prefix) == ("http://localhost:8888/proxy/9001/", "/proxy/9001/")
    way = route(9001, "127.0.0.1", "abc", notebook_url="https://hub.example.org/user/ann",
                env={}, probe=never)
    assert way.src == "https://hub.example.org/user/ann/proxy/9001/"
    assert way.prefix == "/user/ann/proxy/9001/"


class _FakeJupyter(BaseHTTPRequestHandler):
    """/ok/proxy/<port>/health: a dashboard's health; /none/: 404; /login/: a login page."""

    seen: list = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        _FakeJupyter.seen.append((self.path, self.headers.get("Authorization")))
        if self.path.startswith("/ok/"):
            body, kind, code = json.dumps({"default_file": "abc"}).encode(), "json", 200
        elif self.path.startswith("/login/"):
            body, kind, code = b"<html>Log in</html>", "html", 200
        else:
            body, kind, code = b"404: Not Found", "plain", 404
        self.send_response(code)
        self.send_header("Content-Type", f"application/{kind}")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_the_probe_reads_what_jupyter_answers():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeJupyter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        assert jupyter._probe(f"{base}/ok/proxy/1/health", "tok", "abc") is True
        assert jupyter._probe(f"{base}/ok/proxy/1/health", "", "another app") is None
        assert jupyter._probe(f"{base}/none/proxy/1/health", "", "abc") is False
        assert jupyter._probe(f"{base}/login/proxy/1/health", "", "abc") is None
        assert _FakeJupyter.seen[0] == ("/ok/proxy/1/health", "token tok")
        assert _FakeJupyter.seen[1][1] is None
    finally:
        server.shutdown()
        server.server_close()
    assert jupyter._probe(f"{base}/ok/proxy/1/health", "", "abc") is None  # nobody there


def test_the_kernel_s_server_is_found_among_its_ancestors(tmp_path):
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    (runtime / "jpserver-222.json").write_text(json.dumps(
        {"base_url": "/user/ann", "hostname": "0.0.0.0", "port": 8888, "token": "t",
         "secure": False, "pid": 222}))
    (runtime / "jpserver-333.json").write_text("{ not json")
    (runtime / "nbserver-444.json").write_text(json.dumps(
        {"base_url": "/", "hostname": "localhost", "port": 8889, "token": "", "pid": 444}))
    found = find_server([runtime], ancestors=[111, 222, 1])
    assert found == JupyterServer("/user/ann/", "http://127.0.0.1:8888/user/ann/", "t", 222)
    assert find_server([runtime], ancestors=[333, 444]).url == "http://localhost:8889/"
    assert find_server([runtime], ancestors=[333, 555]) is None


# --- interact() ----------------------------------------------------------------------------------

def test_interact_starts_on_lightkurve_s_choices(kernel, tmp_path, monkeypatch):
    monkeypatch.setenv("TPF_DASHBOARD_CACHE", str(tmp_path / "cache"))
    tpf = demo_tpf()
    mask = np.zeros(tpf.shape, dtype=bool)
    mask[6:9, 5:10] = True
    dashboard.interact(demo_bytes(), aperture_mask=mask, scale="linear", cmap="Greys256",
                       port=0)
    src, port = _frame_src(kernel.shown)
    query = dict(pair.split("=") for pair in src.split("?")[1].split("&"))
    np.testing.assert_array_equal(decode_mask(query["aperture"], tpf.shape), mask)
    assert (query["scale"], query["cmap"]) == ("linear", "gray")
    assert "file" not in query  # the file the dashboard opened: a link without one keeps it


def test_interact_takes_lightkurve_s_other_keywords_with_a_warning(kernel, monkeypatch, tmp_path):
    monkeypatch.setenv("TPF_DASHBOARD_CACHE", str(tmp_path / "cache"))
    with pytest.warns(UserWarning, match=r"transform_func \(pass the transformed curve"):
        dashboard.interact(demo_bytes(), transform_func=lambda lc: lc, vmin=0, port=0)
    with pytest.raises(TypeError, match="colour"):
        dashboard.interact(demo_bytes(), colour="red")
    with pytest.raises(DataError, match="2,000 cadences, more than max_cadences=1,000"):
        dashboard.interact(demo_bytes(), max_cadences=1000)
    with pytest.raises(DataError, match="needs a lightkurve TargetPixelFile"):
        dashboard.interact(demo_bytes(), aperture_mask="threshold")
    with pytest.raises(DataError, match="selects no pixel"):
        dashboard.interact(demo_bytes(), aperture_mask=np.zeros((15, 15), dtype=bool))
    with pytest.raises(DataError, match="scale must be one of"):
        dashboard.interact(demo_bytes(), scale="histeq")
