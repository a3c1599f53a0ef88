"""The app as a deployment sees it: the factory, the documented ids, gunicorn, the wheel."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import requests

from dashboard.app import create_app
from dashboard.data import DataError

from .conftest import ROOT, free_port
from .synthetic import tpf_bytes


def _ids(component) -> set[str]:
    found = set()
    stack = [component]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
            continue
        if getattr(node, "id", None):
            found.add(node.id)
        children = getattr(node, "children", None)
        if children is not None and not isinstance(children, str):
            stack.append(children)
    return found


def test_factory_opens_the_given_file(tmp_path):
    """create_app(config) opens a TPF path and serves its id as the default file."""
    synthetic = tpf_bytes(mission="TESS")
    path = tmp_path / "tess_tp.fits"
    path.write_bytes(synthetic.data)
    app = create_app({"source": str(path), "cache_dir": tmp_path / "cache"})
    tpf = app.store.get(app.default_file)
    assert tpf.target == "TIC 123456789"
    assert tpf.n_cadences == len(synthetic.time)
    assert app.settings.debug is False


def test_factory_refuses_a_bad_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a FITS file")
    with pytest.raises(DataError, match="not a FITS file"):
        create_app({"source": str(path), "cache_dir": tmp_path / "cache"})


def test_every_documented_id_is_on_the_page(tmp_path):
    """The README's component-id table is a contract with outside scripts: keep it true."""
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Component ids", 1)[1].split("\n## ", 1)[0]
    documented = set()
    for cell in re.findall(r"^\| ([^|]+) \|", table, flags=re.M):
        documented.update(re.findall(r"`([\w-]+)`", cell))
    assert {"lightcurve", "pixels", "cadence", "play", "stretch", "scale", "view",
            "upload-tpf", "message"} <= documented
    app = create_app({"cache_dir": tmp_path / "cache"})
    on_page = _ids(app.layout())
    assert documented <= on_page, f"documented but missing: {documented - on_page}"


def test_health_is_json_not_the_page(tmp_path):
    app = create_app({"cache_dir": tmp_path / "cache"})
    response = app.server.test_client().get("/health")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["default_file"] == app.default_file


def _procfile_command() -> str:
    lines = (ROOT / "Procfile").read_text().splitlines()
    line = next(entry for entry in lines if entry.startswith("web:"))
    return line.split(":", 1)[1].strip()


def test_procfile_serves_under_gunicorn_with_two_workers(tmp_path):
    """The Procfile's own command, with PORT and WEB_CONCURRENCY as a PaaS sets them."""
    pytest.importorskip("gunicorn")
    port = free_port()
    env = dict(os.environ, PORT=str(port), WEB_CONCURRENCY="2",
               TPF_DASHBOARD_CACHE=str(tmp_path / "cache"))
    command = os.path.expandvars(_procfile_command().replace("${WEB_CONCURRENCY:-2}", "2")
                                 .replace("${PORT:-8050}", str(port)))
    process = subprocess.Popen([sys.executable, "-m", *shlex.split(command)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stdout.read()
            try:
                health = requests.get(url + "/health", timeout=2)
                break
            except (requests.ConnectionError, requests.Timeout):
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.3)
        assert health.json()["status"] == "ok"
        page = requests.get(url + "/", timeout=5)
        assert page.status_code == 200 and "<title>Is that blip real?" in page.text
        assert requests.get(url + "/assets/view.js", timeout=5).status_code == 200
    finally:
        process.terminate()
        process.wait(15)
    log = process.stdout.read()
    assert log.count("Booting worker") == 2, log
    assert "Traceback" not in log


def test_the_served_app_is_frozen_out_of_garbage_collection(tmp_path):
    """``dashboard.app:server`` (what gunicorn preloads) leaves the objects of the built app out
    of later collections, so no step waits for a full collection walking them (115-130 ms)."""
    probe = ("import gc, dashboard.app as app; app.server; "
             "print(gc.get_freeze_count(), len(gc.get_objects()))")
    env = dict(os.environ, TPF_DASHBOARD_CACHE=str(tmp_path / "cache"))
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120, check=True).stdout
    frozen, collected = map(int, out.split())
    assert frozen > 100_000 and frozen > 10 * collected, (frozen, collected)


def test_wheel_ships_the_assets(tmp_path):
    """A non-editable install must serve assets/ too: the wheel carries it inside the package."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300)
    if result.returncode != 0 and "hatchling" in result.stderr and "No matching" in result.stderr:
        pytest.skip("hatchling is not installable here")
    assert result.returncode == 0, result.stderr
    wheel = next(Path(tmp_path).glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "dashboard/assets/view.js" in names and "dashboard/assets/plotly_adapter.js" in names
    assert "dashboard/assets/style.css" in names
    assert "dashboard/app.py" in names


def test_ci_runs_the_readmes_two_commands_as_written():
    """The README gives a newcomer two commands (start the demo; install and run the tests),
    each making and using its own virtual environment with python3; .ci/run ends by running the
    second one verbatim."""
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.+?)\n```", quick)
    assert len(commands) == 2
    for command in commands:
        assert command.startswith("python3 -m venv .venv && . .venv/bin/activate && ")
        assert " python " not in f" {command} " and "pip install" in command
    assert commands[0].endswith("python3 -m dashboard")
    assert commands[1].endswith("python3 -m pytest -q")
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == commands[1]
