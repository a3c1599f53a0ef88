"""``python -m dashboard --target ...`` when MAST cannot be reached: it says so, never hangs, and
serves a cached copy of the target if the download cache has one, else the simulated demo."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest
import requests

from dashboard.data.downloads import DownloadCache
from dashboard.data.store import file_id
from tests.conftest import ROOT
from tests.synthetic import tpf_bytes


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.fixture
def offline(monkeypatch):
    url = _closed_port_url()
    monkeypatch.setenv("TPF_DASHBOARD_MAST_URL", url)
    monkeypatch.setenv("TPF_DASHBOARD_MAST_RESOLVER_URL", url + "/resolver")


def test_offline_target_falls_back_to_the_demo_and_serves(offline, fresh_server):
    started = time.monotonic()
    server = fresh_server("--target", "EPIC 201572338", "--archive-timeout", "3")
    assert time.monotonic() - started < 30
    output = server.output()
    assert "The archive cannot be reached" in output and "unreachable" in output
    assert "opening the simulated demo instead" in output
    assert "Serving the simulated demo" in output
    health = requests.get(server.url + "/health", timeout=5).json()
    assert health["status"] == "ok"


def test_offline_target_opens_the_cached_copy(offline, fresh_server, tmp_path):
    # The Server keeps its cache in <tmp>/cache; a K2 file of EPIC 201572338 fetched earlier.
    synthetic = tpf_bytes(mission="K2", target_id=201572338)
    DownloadCache(tmp_path / "cache" / "downloads").put_bytes(
        "mast:K2/url/ktwo201572338-c01_lpd-targ.fits.gz", synthetic.data,
        "ktwo201572338-c01_lpd-targ.fits")
    DownloadCache(tmp_path / "cache" / "downloads").put_bytes(
        "mast:K2/other", tpf_bytes(mission="K2", target_id=201000001, seed=5).data, "other.fits")
    server = fresh_server("--target", "EPIC 201572338", "--campaign", "5",
                          "--archive-timeout", "3")
    output = server.output()
    assert "The archive cannot be reached" in output and "cached copy" in output
    health = requests.get(server.url + "/health", timeout=5).json()
    assert health["default_file"] == file_id(synthetic.data)


def _run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=timeout)


def test_target_that_is_not_a_target_exits_with_status_2_before_any_network(offline):
    done = _run("--target", "KIC", "--port", "1")
    assert done.returncode == 2 and "not followed by a number" in done.stderr


def test_conflicting_archive_options_are_refused():
    done = _run("--target", "KIC 8462852", "--quarter", "4", "--sector", "1")
    assert done.returncode == 2 and "only one of --quarter" in done.stderr
    done = _run("--target", "KIC 8462852", "--mission", "TESS", "--quarter", "4")
    assert done.returncode == 2 and "--quarter is for Kepler" in done.stderr
    done = _run("--sector", "4")
    assert done.returncode == 2 and "need --target" in done.stderr
