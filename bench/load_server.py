"""The server under load: gunicorn started as the Procfile starts it (or a running dashboard on a
loopback address), its workers' memory and CPU, and the file it serves."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psutil

ROOT = Path(__file__).resolve().parent.parent
FALLBACK_COMMAND = ("gunicorn dashboard.app:server --workers 2 --bind 127.0.0.1:8050 "
                    "--timeout 120 --preload --no-control-socket")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_loopback(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "http":
        raise SystemExit(f"--url must be http://..., not {url!r}")
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SystemExit(f"refusing {url!r}: this tool only loads loopback addresses "
                         "(127.0.0.0/8, ::1, localhost)")
    return ("127.0.0.1" if host == "localhost" else host), parts.port or 80


def gunicorn_command(workers: int, port: int) -> list[str]:
    """The Procfile's ``web:`` command with these workers, bound to 127.0.0.1:port."""
    try:
        line = next(entry for entry in (ROOT / "Procfile").read_text().splitlines()
                    if entry.startswith("web:"))
        words = shlex.split(line.split(":", 1)[1])
    except (OSError, StopIteration, ValueError):
        words = shlex.split(FALLBACK_COMMAND)
    if not words or words[0] != "gunicorn":
        words = shlex.split(FALLBACK_COMMAND)
    out, skip = [], False
    for word in words[1:]:
        if skip:
            skip = False
            continue
        if word in ("--workers", "-w", "--bind", "-b"):
            skip = True
            continue
        if word.startswith(("--workers=", "--bind=")):
            continue
        # ${VAR:-default} -> default (the environment of a PaaS is not ours)
        out.append(re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", word))
    return ["gunicorn", *out, "--workers", str(workers), "--bind", f"127.0.0.1:{port}"]


class Gunicorn:
    def __init__(self, workers: int, source: Path | None, cache_dir: Path, log_path: Path,
                 extra_env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = gunicorn_command(workers, self.port)
        env = dict(os.environ, TPF_DASHBOARD_CACHE=str(cache_dir), PYTHONUNBUFFERED="1")
        env.pop("PORT", None)
        env.pop("WEB_CONCURRENCY", None)
        if source is not None:
            env["TPF_DASHBOARD_FILE"] = str(source)
        else:
            env.pop("TPF_DASHBOARD_FILE", None)
        env.update(extra_env or {})
        self.log_path = log_path
        self.log = open(log_path, "w+")
        self.process = subprocess.Popen([sys.executable, "-m", *self.command], cwd=ROOT, env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self.pid = self.process.pid
        self.workers_expected = workers

    def wait_ready(self, timeout: float = 120) -> None:
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited:\n{self.log_text()[-3000:]}")
            try:
                if requests.get(self.url + "/health", timeout=2).ok and \
                        len(worker_processes(self.pid)) >= self.workers_expected:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not start in {timeout:.0f} s:\n"
                         f"{self.log_text()[-3000:]}")

    def log_text(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        try:
            family = psutil.Process(self.pid).children(recursive=True)
        except psutil.Error:
            family = []
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        # Background-callback jobs are the workers' children: end those of ours still running.
        for child in family:
            with contextlib.suppress(psutil.Error):
                if child.is_running():
                    child.terminate()
        psutil.wait_procs(family, timeout=5)
        self.log.close()


def worker_processes(master_pid: int) -> list[psutil.Process]:
    """gunicorn's workers: the master's direct children (background jobs are theirs)."""
    try:
        return sorted(psutil.Process(master_pid).children(), key=lambda p: p.pid)
    except psutil.Error:
        return []


def master_for_port(port: int) -> int | None:
    """The pid of the process that serves ``port`` (gunicorn's master when it is gunicorn)."""
    try:
        listening = {c.pid for c in psutil.net_connections("tcp")
                     if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port
                     and c.pid}
    except psutil.Error:
        return None
    for pid in listening:
        try:
            if psutil.Process(pid).ppid() not in listening:
                return pid
        except psutil.Error:
            continue
    return next(iter(listening), None)


def memory_of(masters: list[int | None]) -> list[dict]:
    """:func:`memory` of every instance's workers (``--dynos``), one list."""
    return [entry for master in masters for entry in memory(master)]


def memory(master_pid: int | None) -> list[dict]:
    """Each worker's pid, RSS and USS (MB) and CPU seconds; the process itself when it has no
    children (``python -m dashboard``)."""
    if master_pid is None:
        return []
    procs = worker_processes(master_pid)
    if not procs:
        with contextlib.suppress(psutil.Error):
            procs = [psutil.Process(master_pid)]
    out = []
    for proc in procs:
        try:
            info = proc.memory_full_info()
            cpu = proc.cpu_times()
            out.append({"pid": proc.pid, "rss_mb": info.rss / 2**20, "uss_mb": info.uss / 2**20,
                        "cpu_s": cpu.user + cpu.system})
        except psutil.Error:
            continue
    return out


# -- files -----------------------------------------------------------------------------------
def resolve_file(key: str, data_dir: Path) -> Path | None:
    """None for the built-in demo; a synthetic benchmark file; or a path."""
    if key == "demo":
        return None
    import synthetic  # bench/synthetic.py

    if key in synthetic.SPECS:
        return synthetic.write(data_dir, [key])[key]
    path = Path(key)
    if not path.is_file():
        raise SystemExit(f"--file {key!r}: demo, {', '.join(synthetic.SPECS)} or a TPF path")
    return path
