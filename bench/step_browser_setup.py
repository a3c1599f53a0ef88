"""What ``step_browser.py`` sets up around the browser: each file's frames read with astropy
(independently of the dashboard), a ``python -m dashboard`` server process on a free loopback
port, and the bytes per request from the DevTools protocol.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import requests
from astropy.io import fits
from step_browser_js import KEY_CHARS

ROOT = Path(__file__).resolve().parent.parent


class FileInfo:
    """What the bench knows about a file independently of the dashboard: read with astropy."""

    def __init__(self, label: str, path: Path | None):
        self.label, self.path = label, path
        if path is None:
            import io

            sys.path.insert(0, str(ROOT))
            from dashboard.data.demo import demo_bytes
            source = io.BytesIO(demo_bytes())
        else:
            source = str(path)
        with fits.open(source, memmap=False) as hdul:
            table = next(h for h in hdul if isinstance(h, fits.BinTableHDU))
            flux = np.asarray(table.data["FLUX"], dtype="<f4")
            cadenceno = np.asarray(table.data["CADENCENO"], dtype=np.int64)
        self.n, self.rows, self.cols = flux.shape
        if self.n > 1 and np.all(cadenceno == cadenceno[0]):
            cadenceno = np.arange(self.n)
        self.cadenceno = cadenceno
        self.keys = [base64.b64encode(frame.tobytes()[:KEY_CHARS]).decode()[:KEY_CHARS]
                     for frame in flux]
        self.frame_of = {}
        for i, key in enumerate(self.keys):
            self.frame_of.setdefault(key, i)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``python -m dashboard [path]`` from ``root`` (this checkout, or another one to compare)."""

    ready_path = "/health"  # answers once the server serves

    def __init__(self, path: Path | None, workdir: Path, root: Path = ROOT):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, TPF_DASHBOARD_CACHE=str(workdir / "cache"), PYTHONUNBUFFERED="1",
                   HOST="127.0.0.1")
        args = [sys.executable, "-m", "dashboard"] + ([str(path)] if path else [])
        self.start(args + ["--host", "127.0.0.1", "--port", str(self.port)],
                   workdir / "server.log", root, env)

    def start(self, args: list[str], log: Path, cwd: Path, env: dict) -> None:
        """Run ``args`` and wait until it serves ``ready_path`` (``startup``: how long)."""
        self.log = open(log, "w+")
        self.process = subprocess.Popen(args, cwd=cwd, env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        t0 = time.perf_counter()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.output()}")
            try:
                if requests.get(self.url + self.ready_path, timeout=1).ok:
                    self.startup = time.perf_counter() - t0
                    return
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start: {self.output()}")

    def rss_mb(self) -> float:
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return float("nan")

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
            self.process.wait()
        self.log.close()


class Network:
    """Bytes per request from the DevTools protocol: transferred, and body (decoded)."""

    def __init__(self, context, page):
        self.cdp = context.new_cdp_session(page)
        self.urls: dict[str, str] = {}
        self.body: dict[str, int] = {}
        self.finished: list[tuple[str, int, int]] = []  # (url, transferred, body)
        self.cdp.on("Network.requestWillBeSent",
                    lambda e: self.urls.__setitem__(e["requestId"], e["request"]["url"]))
        self.cdp.on("Network.dataReceived", lambda e: self.body.__setitem__(
            e["requestId"], self.body.get(e["requestId"], 0) + e.get("dataLength", 0)))
        self.cdp.on("Network.loadingFinished", self._done)
        self.cdp.send("Network.enable")
        self.cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})

    def _done(self, e):
        rid = e["requestId"]
        self.finished.append((self.urls.get(rid, ""), int(e.get("encodedDataLength", 0)),
                              self.body.get(rid, 0)))

    def mark(self) -> int:
        return len(self.finished)

    def since(self, mark: int, pattern: str = "") -> list[tuple[str, int, int]]:
        return [f for f in self.finished[mark:] if pattern in f[0]]
