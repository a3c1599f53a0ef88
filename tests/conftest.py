"""Shared fixtures: the real mission files in ../shared/data, and a dashboard server process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("TPF_SHARED_DATA", ROOT.parent / "shared" / "data"))


def pytest_addoption(parser):
    parser.addoption("--live", action="store_true", help="run tests that need the internet")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--live"):
        return
    skip = pytest.mark.skip(reason="needs the internet; run with --live")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)


def missing(reason: str):
    """Under CI (``CI`` set) something a test needs being absent is a failure with its reason,
    so that it cannot pass as skips; elsewhere (a fresh clone) a skip."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must have it)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        missing(f"real mission files not found at {SHARED_DATA} (set TPF_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture
def shared_file(shared_data):
    def find(name: str) -> Path:
        path = shared_data / name
        if not path.exists():
            missing(f"{name} is not in {shared_data}")
        return path
    return find


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A ``python -m dashboard`` process on a free loopback port."""

    def __init__(self, tmp: Path, *args: str, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.cache = tmp / "cache"
        env = dict(os.environ, TPF_DASHBOARD_CACHE=str(self.cache), PYTHONUNBUFFERED="1",
                   **(env or {}))
        self.log = open(tmp / "server.log", "w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dashboard", *args, "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.output()}")
            try:
                if requests.get(self.url + "/health", timeout=1).ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.2)
        raise RuntimeError(f"server did not start: {self.output()}")

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory):
    """One dashboard on the built-in demo, shared by the tests that only read from it."""
    server = Server(tmp_path_factory.mktemp("demo-server"))
    yield server
    server.stop()


@pytest.fixture
def fresh_server(tmp_path):
    """A dashboard of the test's own (for tests that change what it has open)."""
    servers = []

    def start(*args: str, env: dict | None = None) -> Server:
        server = Server(tmp_path, *args, env=env)
        servers.append(server)
        return server
    yield start
    for server in servers:
        server.stop()
