"""A real Jupyter server for the notebook tests (and docs/jupyter_screenshot.py), and driving
its JupyterLab / Notebook 7 pages with Playwright.

:class:`Jupyter` starts ``python -m jupyter lab`` (it serves Notebook 7's pages too) on a free
loopback port, token-less, with HOME, JUPYTER_CONFIG_DIR, JUPYTER_DATA_DIR, the runtime dir and
IPYTHONDIR in a temporary folder, and PYTHONPATH set to this checkout so its kernels import this
``dashboard``. Its page config turns off what would pop up over the notebook: the
"build recommended" dialog (Dash ships a JupyterLab 3 source extension; a user clicks
Cancel) and the news prompt. No network is used.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
# What the tests need in the Jupyter server's environment (the test extra installs them all).
NEEDED = {"jupyterlab": "jupyterlab", "notebook": "notebook", "ipykernel": "ipykernel",
          "jupyter_server_proxy": "jupyter-server-proxy"}
PAGE_CONFIG = {"buildCheck": False, "buildAvailable": False,
               "disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}


def absent() -> list[str]:
    """The Jupyter packages that are not installed (PyPI names)."""
    return [pypi for module, pypi in NEEDED.items() if importlib.util.find_spec(module) is None]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Jupyter:
    """``jupyter lab`` in ``folder`` (its notebooks' directory is ``folder/notebooks``).

    ``proxy=False`` starts it without jupyter-server-proxy, as a Jupyter without it is.
    """

    def __init__(self, folder: Path, *, proxy: bool = True, env: dict | None = None):
        self.folder = Path(folder)
        self.notebooks = self.folder / "notebooks"
        self.runtime = self.folder / "runtime"
        config = self.folder / "config"
        for path in (self.notebooks, self.runtime, config / "labconfig", self.folder / "home"):
            path.mkdir(parents=True, exist_ok=True)
        (config / "labconfig" / "page_config.json").write_text(json.dumps(PAGE_CONFIG))
        if not proxy:
            (config / "jupyter_server_config.json").write_text(json.dumps(
                {"ServerApp": {"jpserver_extensions": {"jupyter_server_proxy": False}}}))
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.env = dict(
            os.environ, HOME=str(self.folder / "home"), JUPYTER_CONFIG_DIR=str(config),
            JUPYTER_DATA_DIR=str(self.folder / "data"), JUPYTER_RUNTIME_DIR=str(self.runtime),
            IPYTHONDIR=str(self.folder / "home" / ".ipython"), PYTHONPATH=str(ROOT),
            TPF_DASHBOARD_CACHE=str(self.folder / "cache"), PYTHONUNBUFFERED="1",
            JUPYTER_PLATFORM_DIRS="1", **(env or {}))
        self.env.pop("JUPYTERHUB_SERVICE_PREFIX", None)
        self.log = open(self.folder / "jupyter.log", "w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
             "--ip=127.0.0.1", f"--port={self.port}", "--port-retries=0",
             "--IdentityProvider.token=", "--ServerApp.password=",
             "--ServerApp.disable_check_xsrf=True",  # the tests' own REST calls
             f"--ServerApp.root_dir={self.notebooks}", "--LabApp.extension_manager=readonly",
             "--LabApp.news_url=None"],
            cwd=self.notebooks, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_up()

    def _wait_up(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter exited:\n{self.output()}")
            try:
                if requests.get(self.url + "api/status", timeout=1).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"jupyter did not start:\n{self.output()}")

    def notebook(self, name: str, *cells: str) -> str:
        """Write a notebook of code ``cells`` (for the python3 kernel); its file name."""
        document = {
            "cells": [{"cell_type": "code", "execution_count": None, "id": f"cell-{i}",
                       "metadata": {}, "outputs": [], "source": source}
                      for i, source in enumerate(cells)],
            "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                        "name": "python3"}},
            "nbformat": 4, "nbformat_minor": 5}
        (self.notebooks / name).write_text(json.dumps(document))
        return name

    def kernels(self) -> list[dict]:
        return requests.get(self.url + "api/kernels", timeout=5).json()

    def kernel_of(self, name: str) -> dict | None:
        """The kernel of notebook ``name``'s session, or None."""
        for session in requests.get(self.url + "api/sessions", timeout=5).json():
            if session.get("path") == name:
                return session["kernel"]
        return None

    def wait_kernel_ready(self, name: str, timeout: float = 60) -> dict:
        """Wait until notebook ``name``'s kernel is idle with a page connected to it (a cell
        run before that is not sent)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            kernel = self.kernel_of(name)
            if kernel and kernel["execution_state"] == "idle" and kernel["connections"] >= 1:
                return kernel
            time.sleep(0.2)
        raise AssertionError(f"the kernel of {name} was not ready within {timeout} s: "
                             f"{self.kernel_of(name)}")

    def shutdown_kernels(self) -> None:
        for kernel in self.kernels():
            requests.delete(self.url + f"api/kernels/{kernel['id']}",
                            timeout=30).raise_for_status()

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return (self.folder / "jupyter.log").read_text()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self.log.close()


# --- the notebook page ---------------------------------------------------------------------------

# A notebook's cells and outputs look the same in JupyterLab and Notebook 7 (one code base).
CELL = ".jp-Notebook .jp-CodeCell"


def open_notebook(context, url: str, timeout_ms: float = 60_000):
    """A new page on a notebook's URL, once its first cell's editor is there."""
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(url)
    page.wait_for_selector(f"{CELL} .cm-content", timeout=timeout_ms)
    return page


def run_cell(page, index: int) -> None:
    """Run cell ``index`` as a user does: click into its editor, press Shift+Enter."""
    cell = page.locator(CELL).nth(index)
    cell.locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")


def dashboard_frames(page, index: int) -> list:
    """The dashboard iframes in cell ``index``'s output (element handles)."""
    return page.locator(CELL).nth(index).locator("iframe.tpf-dashboard").element_handles()


class InFrame:
    """A dashboard iframe seen as the page helpers of viewer_page.py expect: ``evaluate`` and
    ``wait_for_function`` run inside it; ``mouse`` takes the frame's own coordinates (what its
    getBoundingClientRect gives) and moves the real mouse there; ``keyboard`` is the page's,
    which types into the frame holding the focus."""

    def __init__(self, page, element):
        self.page, self.element = page, element
        self.frame = element.content_frame()
        self.mouse = _OffsetMouse(self)
        self.keyboard = page.keyboard

    def offset(self) -> tuple[float, float]:
        box = self.element.bounding_box()
        return box["x"], box["y"]

    def __getattr__(self, name):
        return getattr(self.frame, name)


class _OffsetMouse:
    def __init__(self, frame: InFrame):
        self.frame = frame

    def move(self, x, y, **kwargs):
        dx, dy = self.frame.offset()
        self.frame.page.mouse.move(x + dx, y + dy, **kwargs)

    def click(self, x, y, **kwargs):
        dx, dy = self.frame.offset()
        self.frame.page.mouse.click(x + dx, y + dy, **kwargs)
