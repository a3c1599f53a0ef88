"""The dashboard in a real JupyterLab and a real Notebook 7, as a user meets it there.

One ``jupyter lab`` (with jupyter-server-proxy, as on JupyterHub) serves both front ends; the
tests write a notebook, open it in Chromium, run its cells with Shift+Enter and drive the
dashboard inside the cell's output frame with the mouse and keys. What they check is what the
user sees and what the browser asks for: the frame's address goes through Jupyter's
``/proxy/<port>/`` (so a browser that reaches only the Jupyter server can load it), every frame
batch too, arrow keys step the cadence inside the notebook, a click on the curve jumps; running
a cell again replaces its view; the servers end with the kernel. A Jupyter without the proxy
serves the page directly.

Skipped locally without Jupyter; under CI (which installs the test extra) a missing one fails.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import requests

from dashboard.data import open_tpf
from dashboard.data.demo import TRUTH, demo_bytes
from dashboard.notebook.jupyter import JupyterServer, route
from dashboard.notebook.serving import bind, start
from tests.conftest import missing

from .conftest import READY
from .jupyter_page import CELL, InFrame, Jupyter, absent, open_notebook, run_cell
from .viewer_page import CURVE_POINT, assert_settled, blur, click_curve, wait_frame, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.jupyter]

K2 = "ktwo221312395-c91_lpd-targ.fits.gz"
# JupyterLab logs this when a kernel opens a comm no front-end extension answers: Dash opens
# one ("dash") on import, for its own extension, which JupyterLab 4 does not load.
COMM_NOISE = "Exception opening new comm"


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory):
    gone = absent()
    if gone:
        missing(f"{', '.join(gone)} not installed (pip install -e '.[test]')")
    server = Jupyter(tmp_path_factory.mktemp("jupyter"))
    yield server
    server.stop()


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context
    context.close()


def _watch(page) -> tuple[list, list]:
    """(every URL the page and its frames request, and its problems: page errors, console
    errors, and server errors as ``HTTP <status>: <url>``; the console's own line for a server
    error names no URL, so it is counted through the response instead)."""
    urls, problems = [], []
    page.on("request", lambda request: urls.append(request.url))
    page.on("response", lambda response: problems.append(f"HTTP {response.status}: {response.url}")
            if response.status >= 500 else None)
    page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: problems.append(
        f"console.error: {msg.text} (from {(msg.location or {}).get('url', '?')})")
            if msg.type == "error" and COMM_NOISE not in msg.text
            and not SERVER_ERROR.search(msg.text) else None)
    return urls, problems


SERVER_ERROR = re.compile(r"status of 5\d\d")


def _not_from(problems: list, ports) -> list:
    """Problems other than those of views whose servers were stopped on purpose: a view still
    open in the page may ask its stopped server for something (the proxy answers 500, and
    dash-renderer logs the failed callback from its script, loaded under that view's
    /proxy/<port>/). Page errors always count."""
    return [p for p in problems
            if not (p.startswith(("HTTP 5", "console.error"))
                    and any(f"/proxy/{port}/" in p for port in ports))]


def _dashboard_in(page, cell: int, old_src: str | None = None) -> InFrame:
    """The dashboard frame in cell ``cell``'s output (a new one, if ``old_src`` was there),
    once the page in it has drawn (a frame still loading when its server stops would log
    errors)."""
    output = page.locator(CELL).nth(cell).locator("iframe.tpf-dashboard")
    wait_until(lambda: output.count() == 1 and output.get_attribute("src") != old_src,
               timeout=60, message=lambda: f"a dashboard in cell {cell}'s output")
    element = output.element_handle()
    element.scroll_into_view_if_needed()
    frame = InFrame(page, element)
    frame.wait_for_function(READY, timeout=30_000)
    return frame


def _port(frame: InFrame) -> int:
    return int(frame.element.get_attribute("data-port"))


def _refuses(port: int) -> bool:
    try:
        requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
    except requests.ConnectionError:
        return True
    return False


def _steps_and_jumps(frame: InFrame, tpf, jump_to: int) -> None:
    """Arrow keys inside the notebook's frame step the cadence; a click on the curve jumps."""
    assert_settled(frame, wait_frame(frame, tpf, 0))
    frame.click("#readout-cadence")  # a click into the frame gives it the keys, as a user does
    blur(frame)
    for _ in range(3):
        frame.keyboard.press("ArrowRight")
    assert_settled(frame, wait_frame(frame, tpf, 3))
    frame.keyboard.press("Shift+ArrowRight")
    wait_frame(frame, tpf, 13)
    frame.keyboard.press("ArrowLeft")
    assert_settled(frame, wait_frame(frame, tpf, 12))
    where = frame.evaluate(CURVE_POINT, [jump_to, None, None])
    click_curve(frame, where, tpf.time[jump_to])
    assert_settled(frame, wait_frame(frame, tpf, jump_to))


def test_jupyterlab_shows_it_through_the_proxy(jupyter, context, demo):
    """show(tpf, lc=...) in a JupyterLab cell: the dashboard in the output, loaded through
    /proxy/<port>/; keys and clicks work in it; a second cell on a busy port gets its own
    view, running it again replaces that view, and the kernel's end stops them all."""
    path = jupyter.folder / "demo.fits"
    path.write_bytes(demo_bytes())
    name = jupyter.notebook(
        "lab.ipynb",
        "from dashboard import show\nfrom dashboard.data.demo import demo_tpf\n"
        "tpf = demo_tpf()\nkeep = tpf.quality == 0\n"
        f"show({str(path)!r}, lc=(tpf.time[keep], tpf.pipeline_lightcurve[keep]))",
        "from dashboard.notebook import views\n"
        f"show({str(path)!r}, port=views()[0].port)  # that port is busy: another is used")
    page = open_notebook(context, jupyter.url + f"lab/tree/{name}")
    urls, problems = _watch(page)
    jupyter.wait_kernel_ready(name)

    run_cell(page, 0)
    frame = _dashboard_in(page, 0)
    port = _port(frame)
    assert frame.element.get_attribute("src") == f"/proxy/{port}/"
    assert frame.url.split("?")[0] == jupyter.url + f"proxy/{port}/"  # the view adds its query
    _steps_and_jumps(frame, demo, TRUTH["cosmic_ray"]["frame"])
    batches = [url for url in urls if "/frames/" in url]
    assert batches and all(url.startswith(jupyter.url + f"proxy/{port}/frames/")
                           for url in batches), batches[:3]
    assert not any(f"127.0.0.1:{port}" in url for url in urls)  # nothing went around Jupyter

    run_cell(page, 1)
    second_port = _port(_dashboard_in(page, 1))
    assert second_port != port
    assert f"Port {port} was busy" in page.locator(CELL).nth(1).inner_text()
    assert requests.get(jupyter.url + f"proxy/{second_port}/health", timeout=5).ok
    run_cell(page, 1)  # again: the view it showed is replaced, its server stopped
    third = _dashboard_in(page, 1, old_src=f"/proxy/{second_port}/")
    assert wait_until(lambda: _refuses(second_port), timeout=10)
    for shown in (port, _port(third)):
        assert requests.get(jupyter.url + f"proxy/{shown}/health", timeout=5).ok
    assert not _not_from(problems, [second_port]), problems

    jupyter.shutdown_kernels()
    for shown in (port, _port(third)):
        assert wait_until(lambda shown=shown: _refuses(shown), timeout=15)
    assert not _not_from(problems, [port, second_port, _port(third)]), problems


def test_notebook7_interact_with_lightkurve(jupyter, context, shared_file):
    """Notebook 7, lightkurve's objects: interact(lk.read(path), lc=...flatten()) shows the
    file's own cadences through the proxy, and keys and clicks drive it."""
    path = shared_file(K2)
    name = jupyter.notebook(
        "nb7.ipynb",
        "import lightkurve as lk\nimport dashboard\n"
        f"tpf = lk.read({str(path)!r})\n"
        "dashboard.interact(tpf, lc=tpf.to_lightcurve().flatten())")
    page = open_notebook(context, jupyter.url + f"notebooks/{name}")
    _, problems = _watch(page)
    jupyter.wait_kernel_ready(name)
    run_cell(page, 0)
    frame = _dashboard_in(page, 0)
    port = _port(frame)
    assert frame.url.split("?")[0] == jupyter.url + f"proxy/{port}/"  # the view adds its query
    truth = open_tpf(path)
    curve = truth.lightcurve()
    jump_to = int(np.flatnonzero(np.isfinite(curve) & np.isfinite(truth.time))[600])
    _steps_and_jumps(frame, truth, jump_to)
    assert not problems, problems


def test_without_the_proxy_the_page_is_served_directly(jupyter, tmp_path, demo):
    """The route as a kernel finds it, asked of real Jupyter servers: through the proxy when it
    answers (and the page, its scripts, callbacks and a frame batch all load under the prefix),
    directly from a Jupyter that has no jupyter-server-proxy."""
    from dashboard.app import create_app

    app = create_app({"cache_dir": tmp_path / "cache"})
    running = start(bind(app, "127.0.0.1", 0))
    try:
        server = JupyterServer("/", jupyter.url, "", jupyter.process.pid)
        way = route(running.port, "127.0.0.1", app.default_file, server=server, env={})
        assert way.proxied and way.src == way.prefix == f"/proxy/{running.port}/"
        dict.__setitem__(app.config, "requests_pathname_prefix", way.prefix)
        base = jupyter.url + f"proxy/{running.port}/"
        index = requests.get(base, timeout=10).text
        scripts = [s for s in _sources(index) if s.startswith("/")]
        assert scripts and all(s.startswith(way.prefix) for s in scripts), scripts[:3]
        for script in scripts[:3]:
            assert requests.get(jupyter.url + script.lstrip("/"), timeout=10).ok
        assert requests.get(base + "_dash-layout", timeout=10).ok
        batch = requests.get(base + f"frames/{app.default_file}?start=0&count=2", timeout=10)
        assert batch.ok and len(batch.content) > 15 * 15 * 4

        bare = Jupyter(tmp_path / "no-proxy", proxy=False)
        try:
            server = JupyterServer("/", bare.url, "", bare.process.pid)
            way = route(running.port, "127.0.0.1", app.default_file, server=server, env={})
            assert not way.proxied and way.src == f"http://127.0.0.1:{running.port}/"
            assert "no jupyter-server-proxy" in way.why
        finally:
            bare.stop()
    finally:
        running.stop()


def _sources(index: str) -> list[str]:
    import re

    return re.findall(r'<script src="([^"]+)"', index)
