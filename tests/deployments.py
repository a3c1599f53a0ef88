"""Driving real deployments in tests: services that must exist (redis-server, the redis and
celery packages), the Procfile's commands, waiting for a process to serve, and the steps the
page makes, checked against files read with astropy alone. Used by tests/test_multiworker.py
(workers sharing Redis) and tests/test_dynos.py (hosts sharing Redis and an object store)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import requests
from astropy.io import fits

from dashboard.figures.frame_batch import decode_batch

from .callbacks.test_http import (
    call,
    decode_typed_array,
    default_view,
    find_callback,
    patch_assignments,
)
from .conftest import ROOT


def _unavailable(reason: str):
    """Under CI a missing service is a failure with its reason; elsewhere a skip."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must have it: .ci/run installs redis-server, and the test "
                    "extra installs redis and celery)", pytrace=False)
    pytest.skip(reason)


def _need_packages() -> None:
    for module in ("redis", "celery"):
        try:
            __import__(module)
        except ImportError:
            _unavailable(f"the {module} package is not installed (pip install -e '.[test]')")


def _redis_server() -> str:
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None)
    if found is None:
        _unavailable("redis-server is not installed (Debian: apt-get install redis-server)")
    _need_packages()
    return found


def _wait(what: str, ready, process: subprocess.Popen, log: Path, seconds: float = 45) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited ({process.returncode}):\n{log.read_text()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start in {seconds} s:\n{log.read_text()}")
        time.sleep(0.1)


def _procfile(kind: str) -> str:
    line = next(entry for entry in (ROOT / "Procfile").read_text().splitlines()
                if entry.startswith(f"{kind}:"))
    return line.split(":", 1)[1].strip()



# --- the reference: files read with astropy alone -------------------------------------------------

def reference(data: bytes) -> dict:
    """FLUX frames and the pipeline aperture (APERTURE bit 2) read with astropy alone."""
    with fits.open(io.BytesIO(data)) as hdul:
        table = next(h for h in hdul if h.name in ("TARGETTABLES", "PIXELS"))
        flux = np.asarray(table.data["FLUX"], dtype=np.float32)
        aperture = (np.asarray(hdul["APERTURE"].data) & 2) != 0
    return {"flux": flux, "aperture": aperture}


def aperture_sum(flux: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.nansum(flux[:, mask], axis=1, dtype=np.float64)


def readout_flux(text: str) -> float:
    return float(text.split()[0].replace(",", ""))


# --- driving the deployment -----------------------------------------------------------------------

def view_on(deployment, fid: str, aperture: str | None = None) -> dict:
    view = default_view(deployment.layout)
    return {**view, "state": {**view["state"], "file": fid, "aperture": aperture}}


def step(deployment, fid: str, frame: int, aperture: str | None = None) -> tuple[int, dict]:
    """One cadence step as the page makes it once stepping pauses: Plotly's heatmap brought
    to the frame on screen (``frame-sync``), and that frame's batch (pixels and readout),
    each answered by whichever worker takes it. Returns the step's worker and what both
    sent: the heatmap patch's assignments plus ``readout`` and ``batch`` from the batch."""
    callback = find_callback(deployment.dependencies, "frame-sync.data", "pixels.figure")
    response = call(deployment, callback, deployment.layout,
                    {"frame-sync.data": {"file": fid, "frame": frame, "at": frame}},
                    {"view.data": view_on(deployment, fid, aperture),
                     "pixels-drawn.data": {"file": fid, "frame": -1}})
    assert response.status_code == 200, response.text[:500]
    ops = patch_assignments(response.json()["response"]["pixels"]["figure"])
    query = f"aperture={aperture}&" if aperture else ""
    batch = requests.get(f"{deployment.url}/frames/{fid}?{query}start={frame}&count=1",
                         timeout=30)
    assert batch.status_code == 200, batch.text[:300]
    header, pixels = decode_batch(batch.content)
    ops["readout"], ops["batch"] = header["readouts"][0], pixels[0]
    return int(response.headers["X-Worker-PID"]), ops


def steps_on_both_workers(deployment, fid: str, frames, aperture: dict | None = None,
                          most: int = 200) -> dict[int, list[tuple[int, dict]]]:
    """Steps sent two at a time (so a busy worker leaves the next to the other) through
    ``frames`` and round again, until both workers have answered: {pid: [(frame, ops)]}."""
    frames = list(frames)
    answered: dict[int, list[tuple[int, dict]]] = {}
    with ThreadPoolExecutor(2) as pool:
        for sent in range(0, most, 2):
            batch = [frames[(sent + i) % len(frames)] for i in range(2)]
            for frame, (pid, ops) in zip(batch, pool.map(
                    lambda f: step(deployment, fid, f, aperture), batch), strict=True):
                answered.setdefault(pid, []).append((frame, ops))
            if len(answered) >= 2 and sent + 2 >= len(frames):
                return answered
    raise AssertionError(f"only workers {sorted(answered)} answered {most} steps")


def check_frames(answered, ref: dict, mask: np.ndarray) -> None:
    curve = aperture_sum(ref["flux"], mask)
    for pid, results in answered.items():
        for frame, ops in results:
            z = decode_typed_array(ops[("data", 0, "z")])
            assert np.array_equal(z, ref["flux"][frame], equal_nan=True), (pid, frame)
            assert np.array_equal(ops["batch"], ref["flux"][frame], equal_nan=True)
            assert ops[("data", 0, "meta")]["frame"] == frame
            assert readout_flux(ops["readout"][3]) == pytest.approx(curve[frame], abs=0.051)


def from_both_workers(send, most: int = 40) -> dict[int, requests.Response]:
    """``send()`` called two at a time until both workers have answered: {pid: response}."""
    answered = {}
    with ThreadPoolExecutor(2) as pool:
        for _ in range(most // 2):
            for response in pool.map(lambda _: send(), range(2)):
                assert response.status_code == 200, response.text[:500]
                answered[int(response.headers["X-Worker-PID"])] = response
            if len(answered) >= 2:
                return answered
    raise AssertionError(f"only workers {sorted(answered)} answered")
