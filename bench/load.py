"""Many users at once: N simulated users stepping through cadences against gunicorn.

The dashboard is started the way the ``Procfile`` starts it (``gunicorn dashboard.app:server``,
its own options, ``--workers`` of them) but bound to a free port on 127.0.0.1, with
``TPF_DASHBOARD_CACHE`` in a temporary folder and ``TPF_DASHBOARD_FILE`` the chosen file; or,
with ``--url``, an already running dashboard on a loopback address is used (any other address
is refused). Each simulated user

1. loads the page once: ``GET /``, ``/_dash-layout`` and ``/_dash-dependencies`` (timed apart
   from the steps), then
2. steps: POSTs the cadence -> pixels callback (``cadence.value`` -> ``pixels.figure``, the
   renderer's own payload, built by ``bench/dash_client.py``) for the next cadence, ``--rate``
   times a second, with at most one step of its own in flight, like a browser playing; and now
   and then (``--click-every`` seconds on average) clicks a point of the light curve. That click
   is handled in the browser (``lightcurve.clickData`` feeds the clientside ``tpf.step``, found
   in ``/_dash-dependencies``), so on the wire it is a step to a far, random cadence.

``--rate 0`` is the closed loop: every user sends its next step as soon as the last one returns,
to find the ceiling in steps/s. Every response is checked (HTTP 200, a pixels patch, the frame
asked for); anything else counts as an error. The summary gives throughput, step latency
percentiles (round trip: connect, send, server, receive, decompress), errors, CPU used by the
workers and by this client, and each worker's RSS/USS before and after (psutil, gunicorn's
children). The load generator is one asyncio thread sharing the machine's cores with the
server; its own event-loop lag is reported so its share of a latency can be judged.

``--soak`` runs 10 minutes (unless ``--duration`` says otherwise), sampling the workers' memory
every ``--rss-every`` seconds and printing the drift. ``--archive slow|failing`` adds
``--archive-users`` users who keep searching the archive (a background callback, polled every
250 ms as the renderer does) against a MAST stand-in on 127.0.0.1 (``bench/slow_mast.py``) that
answers each request after ``--archive-delay`` seconds, or with HTTP 503: the steps are
measured first with the archive idle, then while it is slow or failing, and both are printed.

    python bench/load.py --users 10 --rate 5 --duration 60
    python bench/load.py --users 50 --rate 5 --duration 60
    python bench/load.py --users 8 --rate 0 --duration 30          # ceiling
    python bench/load.py --users 50 --rate 5 --soak                # 10 minutes
    python bench/load.py --users 10 --archive slow --duration 60   # 2 x 60 s

The last line of the output is ``SUMMARY {json}`` (also written to ``--json FILE``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import os
import random
import re
import resource
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dash_client import (  # noqa: E402  (bench/dash_client.py)
    UPDATE_PATH,
    Callback,
    callbacks_with_input,
    find_callback,
    is_clientside,
    layout_props,
)

DEFAULT_DATA = Path(tempfile.gettempdir()) / "tpf-dashboard-bench"
# What Chromium sends: the server then compresses as it would for a browser.
ACCEPT_ENCODING = "gzip, deflate, br, zstd"
ARCHIVE_TARGETS = ("KIC 8462852", "KIC 11904151", "EPIC 201572338", "KIC 10666592")
FALLBACK_COMMAND = ("gunicorn dashboard.app:server --workers 2 --bind 127.0.0.1:8050 "
                    "--timeout 120 --preload --no-control-socket")


# -- a small HTTP/1.1 client on asyncio streams ----------------------------------------------
class HTTPError(Exception):
    pass


class Connection:
    """One user's connection: kept alive when the server allows it (gunicorn's sync workers do
    not, so each request then opens a new one, as a browser would have to)."""

    def __init__(self, host: str, port: int, timeout: float):
        self.host, self.port, self.timeout = host, port, timeout
        self.reader = self.writer = None

    async def close(self):
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(self, method: str, path: str, body: bytes = b"",
                      content_type: str = "application/json") -> tuple[int, dict, bytes]:
        return await asyncio.wait_for(self._request(method, path, body, content_type),
                                      self.timeout)

    async def _request(self, method, path, body, content_type):
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Accept: application/json\r\nAccept-Encoding: {ACCEPT_ENCODING}\r\n")
        if body or method == "POST":
            head += f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        raw = head.encode("latin-1") + b"\r\n" + body
        for attempt in (0, 1):
            reused = self.writer is not None
            if not reused:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            try:
                self.writer.write(raw)
                line = await self.reader.readline()
                if not line:
                    raise ConnectionResetError("closed before answering")
            except (ConnectionError, OSError):
                await self.close()
                if reused and attempt == 0:
                    continue  # a kept-alive connection the server had closed: open a new one
                raise
            break
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
            await self.close()
            raise HTTPError(f"bad status line {line[:80]!r}")
        status = int(parts[1])
        headers = {}
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if method == "HEAD" or status in (204, 304):
            data = b""
        elif "content-length" in headers:
            data = await self.reader.readexactly(int(headers["content-length"]))
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            chunks = []
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readline()
                    break
                chunks.append(await self.reader.readexactly(size))
                await self.reader.readline()
            data = b"".join(chunks)
        else:
            data = await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, headers, data


def decoded(headers: dict, data: bytes) -> bytes:
    """The body as the browser would use it (the server compresses what a browser accepts)."""
    encoding = headers.get("content-encoding", "").lower()
    if not encoding or encoding == "identity":
        return data
    if encoding == "gzip":
        return zlib.decompress(data, 16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompress(data)
    if encoding == "br":
        import brotli
        return brotli.decompress(data)
    if encoding == "zstd":
        from flask_compress.compat import compression
        return compression.zstd.decompress(data)
    raise HTTPError(f"unknown content-encoding {encoding}")


# -- the server ------------------------------------------------------------------------------
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


# -- the simulated users ---------------------------------------------------------------------
@dataclass
class Phase:
    name: str
    start: float = 0.0
    end: float = 0.0
    steps: list = field(default_factory=list)     # (kind, ms the user waited for the frame)
    requests: list = field(default_factory=list)  # (kind, ms) of every HTTP request
    errors: dict = field(default_factory=dict)    # kind -> count
    late: int = 0
    ticks: int = 0
    error_examples: list = field(default_factory=list)


CLIENT_ERRORS = (OSError, HTTPError, asyncio.IncompleteReadError, zlib.error, ValueError)


class Load:
    """The users. ``model`` says what a step costs on the wire:

    * ``callback``: one POST of the per-frame callback (``cadence.value`` or, with the browser's
      frame painter, ``frame-sync.data`` -> ``pixels.figure``) per step: a browser without the
      painter, or a person whose steps are over 250 ms apart (the painter's sync delay);
    * ``browser``: as ``assets/frames.js`` does it: frames come in batches from the
      ``frame-source`` URL, fetched when the cursor enters a batch not yet held and one batch
      ahead; held batches are kept up to 64 MB per user, nearest first; a step inside a held
      batch costs no request (0 ms wait). A click (a jump) is followed by the sync callback
      after 250 ms, as when a person stops to look.
    """

    def __init__(self, url: str, args, templates: dict, model: str):
        self.host, self.port = check_loopback(url)
        self.args = args
        self.model = model
        self.step_cb = templates["step"]
        self.step_input = templates["step_input"]
        self.n_frames = templates["n_frames"]
        self.source = templates.get("source")
        self.search = templates.get("search")
        self.phase: Phase | None = None
        self.recording = False
        self.stopping = False
        self.page_loads: list[float] = []
        self.page_errors: dict = {}
        self.lag: list[float] = []
        self.searches: list[dict] = []
        self.archive_active = False
        self.tasks: set = set()
        self.sync_count = 0

    def current(self) -> Phase | None:
        return self.phase if self.recording else None

    def error(self, phase: Phase | None, kind: str, detail: str = "") -> None:
        if phase is None:
            return
        phase.errors[kind] = phase.errors.get(kind, 0) + 1
        if len(phase.error_examples) < 5:
            phase.error_examples.append(f"{kind}: {detail[:200]}")

    async def page_load(self, conn: Connection) -> bool:
        t0 = time.perf_counter()
        try:
            for path in ("/", "/_dash-layout", "/_dash-dependencies"):
                status, _, data = await conn.request("GET", path)
                if status != 200 or not data:
                    key = f"page HTTP {status}"
                    self.page_errors[key] = self.page_errors.get(key, 0) + 1
                    return False
        except (TimeoutError, *CLIENT_ERRORS) as exc:
            key = f"page {type(exc).__name__}"
            self.page_errors[key] = self.page_errors.get(key, 0) + 1
            return False
        self.page_loads.append((time.perf_counter() - t0) * 1e3)
        return True

    async def timed(self, conn: Connection, kind: str, method: str, path: str, body: bytes,
                    check) -> bool:
        """One request, recorded under ``kind`` in the phase it started in; ``check(content)``
        says whether the answer is right."""
        phase = self.current()
        t0 = time.perf_counter()
        try:
            status, headers, data = await conn.request(method, path, body)
            content = decoded(headers, data)
        except TimeoutError:
            await conn.close()
            self.error(phase, "timeout", f"{kind} {path[:80]}")
            return False
        except CLIENT_ERRORS as exc:
            await conn.close()
            self.error(phase, type(exc).__name__, str(exc))
            return False
        elapsed = (time.perf_counter() - t0) * 1e3
        if status != 200:
            self.error(phase, f"HTTP {status}", content[:200].decode("utf-8", "replace"))
            return False
        if not check(content):
            self.error(phase, f"wrong {kind}", content[:200].decode("utf-8", "replace"))
            return False
        if phase is not None:
            phase.requests.append((kind, elapsed))
        return True

    # callback model: one POST per frame
    def frame_body(self, frame: int) -> bytes:
        if self.step_input == "frame-sync.data":
            self.sync_count += 1
            return self.step_cb.payload(**{"frame-sync.data": {"frame": frame,
                                                               "request": self.sync_count},
                                           "cadence.value": frame})
        return self.step_cb.payload(**{"cadence.value": frame})

    def good_frame(self, frame: int):
        """A pixels patch for this frame, and no error message beside it."""
        def check(content: bytes) -> bool:
            try:
                body = json.loads(content)
            except ValueError:
                return False
            figure = (body.get("response") or {}).get("pixels", {}).get("figure")
            if not isinstance(figure, dict) or "sideUpdate" in body:
                return False
            return f"frame {frame + 1} of {self.n_frames}".encode() in content
        return check

    async def post_frame(self, conn: Connection, frame: int, kind: str) -> bool:
        return await self.timed(conn, kind, "POST", UPDATE_PATH, self.frame_body(frame),
                                self.good_frame(frame))

    # browser model: batches, fetched ahead
    def batch_path(self, first: int) -> str:
        return (f"/{self.source['url'].lstrip('/')}&start={first}"
                f"&count={self.source['batch']}")

    def good_batch(self, first: int):
        def check(content: bytes) -> bool:
            if len(content) < 8:
                return False
            (length,) = struct.unpack_from("<I", content)
            try:
                header = json.loads(content[4:4 + length])
            except ValueError:
                return False
            rows, cols = header["shape"]
            return header["first"] == first and \
                len(content) == 4 + length + 4 * header["count"] * rows * cols
        return check

    async def fetch_batch(self, user: dict, first: int) -> None:
        conn = Connection(self.host, self.port, self.args.timeout)
        try:
            ok = await self.timed(conn, "batch", "GET", self.batch_path(first), b"",
                                  self.good_batch(first))
        finally:
            await conn.close()
        user["pending"].pop(first, None)
        if ok:
            user["held"][first] = True
            size = self.source["batch"]
            frame_bytes = 4 * self.source.get("pixels", 1)
            while len(user["held"]) * size * frame_bytes > 64 * 2**20 and len(user["held"]) > 1:
                far = max(user["held"], key=lambda f: abs(f - user["frame"]))
                del user["held"][far]

    def want_batch(self, user: dict, first: int):
        if first in user["held"]:
            return None
        task = user["pending"].get(first)
        if task is None:
            task = asyncio.ensure_future(self.fetch_batch(user, first))
            user["pending"][first] = task
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return task

    async def browser_step(self, user: dict, frame: int, kind: str) -> None:
        size = self.source["batch"]
        first = frame - frame % size
        user["frame"] = frame
        phase = self.current()
        t0 = time.perf_counter()
        task = self.want_batch(user, first)
        # The batches either side, as frames.js asks for them.
        if first + size < self.n_frames:
            self.want_batch(user, first + size)
        if first > 0 and frame - first < size / 2:
            self.want_batch(user, first - size)
        if task is not None:
            await asyncio.shield(task)
            if first not in user["held"]:
                return  # the fetch failed: counted as an error there
        if phase is not None:
            phase.steps.append((kind, (time.perf_counter() - t0) * 1e3))
        if kind == "click":  # a person stops to look: Plotly's heatmap catches up
            task = asyncio.ensure_future(self.sync_later(frame))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def sync_later(self, frame: int) -> None:
        await asyncio.sleep(0.25)
        conn = Connection(self.host, self.port, self.args.timeout)
        try:
            await self.post_frame(conn, frame, "sync")
        finally:
            await conn.close()

    async def step(self, user: dict, frame: int, kind: str) -> None:
        if self.model == "browser":
            await self.browser_step(user, frame, kind)
            if self.args.rate == 0:
                await asyncio.sleep(0)  # steps from held batches take no time: let others run
            return
        phase = self.current()
        t0 = time.perf_counter()
        if await self.post_frame(user["conn"], frame, kind) and phase is not None:
            phase.steps.append((kind, (time.perf_counter() - t0) * 1e3))

    async def user(self, index: int, t_start: float) -> None:
        rng = random.Random(1000 + index)
        user = {"conn": Connection(self.host, self.port, self.args.timeout), "held": {},
                "pending": {}, "frame": rng.randrange(self.n_frames)}
        rate = self.args.rate
        period = 1.0 / rate if rate > 0 else 0.0
        click_p = (period / self.args.click_every if rate > 0 else 0.02) \
            if self.args.click_every > 0 else 0.0
        frame = user["frame"]
        # Users' ticks spread evenly over one period, as independent people's would be.
        next_at = t_start + period * index / max(1, self.args.users)
        try:
            while not self.stopping:
                if period:
                    delay = next_at - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    if self.stopping:
                        break
                    phase = self.current()
                    if phase is not None:
                        phase.ticks += 1
                    now = time.perf_counter()
                    if now - next_at > period:  # the last step took over a tick: behind
                        if phase is not None:
                            phase.late += 1
                        next_at = now  # the missed ticks are dropped, not sent in a burst
                    next_at += period
                if rng.random() < click_p:
                    frame = rng.randrange(self.n_frames)
                    await self.step(user, frame, "click")
                else:
                    frame = (frame + 1) % self.n_frames
                    await self.step(user, frame, "step")
        finally:
            await user["conn"].close()

    async def archive_user(self, index: int) -> None:
        """Keep searching the archive: start the background job, poll it every 250 ms."""
        conn = Connection(self.host, self.port, self.args.timeout)
        rng = random.Random(5000 + index)
        clicks = 0
        try:
            while not self.stopping:
                if not self.archive_active:
                    await asyncio.sleep(0.1)
                    continue
                clicks += 1
                text = ARCHIVE_TARGETS[index % len(ARCHIVE_TARGETS)]
                body = self.search.payload(**{"search.n_clicks": clicks, "target.value": text})
                t0 = time.perf_counter()
                outcome = await self.run_background(conn, body)
                self.searches.append({"user": index, "target": text,
                                      "seconds": time.perf_counter() - t0, "outcome": outcome})
                await asyncio.sleep(rng.uniform(0.5, 1.5))
        finally:
            await conn.close()

    async def archive_request(self, conn: Connection, kind: str, path: str, body: bytes):
        """A search's request, its round trip recorded under ``kind`` (not a step)."""
        phase = self.current()
        t0 = time.perf_counter()
        answer = await conn.request("POST", path, body)
        if phase is not None:
            phase.requests.append((kind, (time.perf_counter() - t0) * 1e3))
        return answer

    async def run_background(self, conn: Connection, body: bytes) -> str:
        try:
            status, headers, data = await self.archive_request(conn, "search", UPDATE_PATH, body)
            if status != 200:
                return f"start: HTTP {status}"
            job = json.loads(decoded(headers, data))
            if "cacheKey" not in job:
                return "start: no job"
            query = f"?cacheKey={quote(job['cacheKey'])}&job={quote(str(job['job']))}"
            while not self.stopping:
                await asyncio.sleep(0.25)
                status, headers, data = await self.archive_request(conn, "poll",
                                                                   UPDATE_PATH + query, body)
                if status == 204:
                    return "no update"
                if status != 200:
                    return f"poll: HTTP {status}"
                answer = json.loads(decoded(headers, data))
                if "response" in answer:
                    text = json.dumps(answer["response"].get("archive-status", {}))
                    found = re.findall(r'"children": "([^"]{0,120})', text)
                    return "; ".join(found) or "answered"
            return "stopped"
        except (TimeoutError, *CLIENT_ERRORS) as exc:
            await conn.close()
            return f"{type(exc).__name__}"

    async def lag_monitor(self) -> None:
        """How late the event loop wakes up: the client's own share of a latency."""
        while not self.stopping:
            t0 = time.perf_counter()
            await asyncio.sleep(0.005)
            if self.recording:
                self.lag.append((time.perf_counter() - t0 - 0.005) * 1e3)


def stats(values) -> dict:
    if not len(values):
        return {"n": 0, "p50": float("nan"), "p90": float("nan"), "p99": float("nan"),
                "max": float("nan"), "mean": float("nan")}
    a = np.asarray(values)
    return {"n": int(a.size), "p50": float(np.percentile(a, 50)),
            "p90": float(np.percentile(a, 90)), "p99": float(np.percentile(a, 99)),
            "max": float(a.max()), "mean": float(a.mean())}


def phase_summary(phase: Phase, lag: list[float]) -> dict:
    seconds = phase.end - phase.start
    all_ms = [ms for _, ms in phase.steps]
    kinds = sorted({kind for kind, _ in phase.requests})
    return {
        "phase": phase.name, "seconds": round(seconds, 2),
        "steps": len(all_ms), "steps_per_s": len(all_ms) / seconds if seconds else 0.0,
        "errors": sum(phase.errors.values()), "error_kinds": phase.errors,
        "error_examples": phase.error_examples,
        "step_ms": stats(all_ms),
        "click_ms": stats([ms for kind, ms in phase.steps if kind == "click"]),
        "requests": len(phase.requests),
        "requests_per_s": len(phase.requests) / seconds if seconds else 0.0,
        "request_ms": {kind: stats([ms for k, ms in phase.requests if k == kind])
                       for kind in kinds},
        "late_ticks": phase.late, "ticks": phase.ticks,
        "loop_lag_ms": stats(lag),
    }


# -- running ---------------------------------------------------------------------------------
async def drive(load: Load, args, master: int | None) -> dict:
    t_begin = time.perf_counter()
    memory_idle = memory(master)
    conns = [Connection(load.host, load.port, args.timeout) for _ in range(args.users)]
    # 1. every user loads the page (a few at a time, as people arrive)
    gate = asyncio.Semaphore(8)

    async def arrive(conn):
        async with gate:
            await load.page_load(conn)
            await conn.close()
    await asyncio.gather(*(arrive(c) for c in conns))
    page_seconds = time.perf_counter() - t_begin

    memory_before = memory(master)
    cpu_before = {m["pid"]: m["cpu_s"] for m in memory_before}
    client_before = resource.getrusage(resource.RUSAGE_SELF)
    load.archive_active = False
    monitor = asyncio.ensure_future(load.lag_monitor())
    t0 = time.perf_counter()
    users = [asyncio.ensure_future(load.user(i, t0)) for i in range(args.users)]
    archive_users = [asyncio.ensure_future(load.archive_user(i))
                     for i in range(args.archive_users if args.archive != "none" else 0)]

    # 2. warm-up (not recorded): each worker's lazy per-file work lands here
    await asyncio.sleep(args.warmup)
    phases, samples = [], []
    names = ["archive idle", f"archive {args.archive}"] if args.archive != "none" else ["steps"]
    lag_by_phase = []
    for name in names:
        phase = Phase(name)
        if name.startswith("archive ") and name != "archive idle":
            load.archive_active = True
            await asyncio.sleep(args.warmup)  # the first searches are under way when it starts
        load.lag = []
        load.phase, load.recording = phase, True
        phase.start = time.perf_counter()
        next_sample = phase.start
        while True:
            now = time.perf_counter()
            if now >= next_sample:  # read in a thread: /proc/<pid>/smaps takes a while
                workers = await asyncio.get_running_loop().run_in_executor(None, memory, master)
                samples.append({"t": round(now - phase.start, 1), "phase": name,
                                "workers": workers})
                next_sample += args.rss_every
            remaining = phase.start + args.duration - now
            if remaining <= 0:
                break
            await asyncio.sleep(min(remaining, max(0.0, next_sample - now), 1.0))
        phase.end = time.perf_counter()
        # Steps started before the end are waited for and kept; later ones are not recorded.
        load.phase = Phase("after")
        phases.append(phase)
        lag_by_phase.append(load.lag)
    load.recording = False
    load.archive_active = False
    load.stopping = True
    await asyncio.gather(*users, *archive_users, return_exceptions=True)
    await asyncio.gather(*list(load.tasks), return_exceptions=True)
    monitor.cancel()
    client_after = resource.getrusage(resource.RUSAGE_SELF)
    memory_after = memory(master)
    samples.append({"t": round(time.perf_counter() - phases[-1].start, 1), "phase": "end",
                    "workers": memory_after})
    measured = sum(p.end - p.start for p in phases)
    client_cpu = (client_after.ru_utime + client_after.ru_stime
                  - client_before.ru_utime - client_before.ru_stime)
    worker_cpu = {m["pid"]: m["cpu_s"] - cpu_before.get(m["pid"], 0.0) for m in memory_after}
    wall = time.perf_counter() - t0
    return {
        "phases": [phase_summary(p, lag) for p, lag in zip(phases, lag_by_phase, strict=True)],
        "page_load_ms": stats(load.page_loads), "page_load_errors": load.page_errors,
        "page_load_seconds": round(page_seconds, 2),
        "memory_idle": memory_idle, "memory_before": memory_before,
        "memory_after": memory_after, "samples": samples,
        "client_cpu_percent": 100 * client_cpu / wall if wall else 0.0,
        "worker_cpu_percent": {str(pid): 100 * s / wall for pid, s in worker_cpu.items()},
        "measured_seconds": round(measured, 1),
        "searches": load.searches,
    }


def templates_from(url: str) -> dict:
    """What the users send, from the page itself: the per-frame callback (the renderer's
    payload), the number of frames, the frame painter's batch source if the page has one, the
    light-curve click's route and the archive search callback."""
    import requests

    s = requests.Session()
    deps = s.get(url + "/_dash-dependencies", timeout=60).json()
    props = layout_props(s.get(url + "/_dash-layout", timeout=60).json())
    n_frames = int(props["cadence"]["max"]) + 1
    out = {"n_frames": n_frames}
    for key in ("cadence.value", "frame-sync.data"):
        with contextlib.suppress(SystemExit):
            out["step"] = Callback(find_callback(deps, key, "pixels.figure"), props)
            out["step_input"] = key
            break
    if "step" not in out:
        raise SystemExit("no cadence.value or frame-sync.data -> pixels.figure callback in "
                         "/_dash-dependencies: update bench/load.py")
    source = (props.get("frame-source") or {}).get("data")
    if isinstance(source, dict) and source.get("url") and source.get("batch"):
        first = requests.get(f"{url}/{source['url'].lstrip('/')}&start=0&count="
                             f"{source['batch']}", timeout=60)
        first.raise_for_status()
        (length,) = struct.unpack_from("<I", first.content)
        rows, cols = json.loads(first.content[4:4 + length])["shape"]
        out["source"] = dict(source, pixels=rows * cols)
    clicks = callbacks_with_input(deps, "lightcurve.clickData")
    if len(clicks) != 1 or not is_clientside(clicks[0]) or \
            not clicks[0]["output"].startswith("cadence.value"):
        raise SystemExit("lightcurve.clickData no longer feeds a browser-side step to "
                         "cadence.value: update bench/load.py's click model")
    out["click_callback"] = clicks[0].get("clientside_function")
    with contextlib.suppress(SystemExit):
        out["search"] = Callback(find_callback(deps, "search.n_clicks"), props)
    return out


def print_report(result: dict, args, setup: dict) -> None:
    print(f"\n{setup['server']}")
    print(f"file: {setup['file']}  ({setup['n_frames']} cadences); users: {args.users}, "
          f"rate: {'closed loop (as fast as possible)' if args.rate == 0 else f'{args.rate:g} Hz'}"
          f" each, light-curve click every ~{args.click_every:g} s per user; "
          f"{args.duration:g} s measured per phase after {args.warmup:g} s warm-up")
    print(f"step model: {setup['model']}")
    print(f"cores: {os.cpu_count()} shared by the server and this load generator (one asyncio "
          f"thread, {result['client_cpu_percent']:.0f}% of a core)")
    pl = result["page_load_ms"]
    print(f"page loads (GET /, /_dash-layout, /_dash-dependencies): {pl['n']} in "
          f"{result['page_load_seconds']:.1f} s, p50 {pl['p50']:.0f} ms, p99 {pl['p99']:.0f} ms; "
          f"errors {sum(result['page_load_errors'].values())}")
    head = (f"{'phase':16} {'steps':>7} {'steps/s':>8} {'p50 ms':>7} {'p90 ms':>7} "
            f"{'p99 ms':>7} {'max ms':>7} {'clicks':>6} {'click p99':>9} {'errors':>6} "
            f"{'late':>6} {'lag p99':>7}")
    print("\n" + head)
    print("-" * len(head))
    for p in result["phases"]:
        s, c = p["step_ms"], p["click_ms"]
        print(f"{p['phase']:16} {p['steps']:7d} {p['steps_per_s']:8.1f} {s['p50']:7.2f} "
              f"{s['p90']:7.2f} {s['p99']:7.2f} {s['max']:7.1f} {c['n']:6d} {c['p99']:9.2f} "
              f"{p['errors']:6d} {p['late_ticks']:6d} {p['loop_lag_ms']['p99']:7.2f}")
        for example in p["error_examples"]:
            print(f"    error {example}")
    print("  steps/s = completed steps / measured seconds; p50..max = how long each step "
          "(clicks included) waited for its frame: its request's round trip, or 0 when the "
          "browser model held the frame; late = ticks at which a user's previous step had not "
          "returned for over a tick; lag = the load generator's own event-loop delay.")
    print(f"\n{'phase':16} {'request':8} {'count':>7} {'per s':>7} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'max ms':>7}")
    for p in result["phases"]:
        for kind, r in p["request_ms"].items():
            print(f"{p['phase']:16} {kind:8} {r['n']:7d} {r['n'] / p['seconds']:7.1f} "
                  f"{r['p50']:7.2f} {r['p99']:7.2f} {r['max']:7.1f}")
    print("\nworkers (psutil; before = after the page loads, just before stepping):")
    idle = {m["pid"]: m["rss_mb"] for m in result["memory_idle"]}
    before = {m["pid"]: m for m in result["memory_before"]}
    for m in result["memory_after"]:
        b = before.get(m["pid"])
        cpu = result["worker_cpu_percent"].get(str(m["pid"]), 0.0)
        was = (f"RSS {b['rss_mb']:6.1f} MB -> {m['rss_mb']:6.1f} MB "
               f"({100 * (m['rss_mb'] - b['rss_mb']) / b['rss_mb']:+.1f}%), "
               f"USS {b['uss_mb']:6.1f} -> {m['uss_mb']:6.1f} MB") if b else \
            f"RSS {m['rss_mb']:6.1f} MB (new worker: it was restarted)"
        started = f"idle {idle[m['pid']]:.1f} MB, " if m["pid"] in idle else ""
        print(f"  pid {m['pid']}: {started}{was}; CPU {cpu:.0f}% of a core")
    if result["searches"]:
        done = [s for s in result["searches"] if s["outcome"] != "stopped"]
        outcomes: dict = {}
        for s in result["searches"]:
            outcomes[s["outcome"]] = outcomes.get(s["outcome"], 0) + 1
        median = np.median([s["seconds"] for s in done]) if done else float("nan")
        print(f"\narchive searches ({args.archive}, {args.archive_delay:g} s per MAST answer): "
              f"{len(done)} finished, median {median:.1f} s each ('stopped' = cut off by the "
              "end of the run)")
        for outcome, n in sorted(outcomes.items(), key=lambda kv: -kv[1]):
            print(f"  {n} x {outcome[:150]}")
    if args.soak or len(result["samples"]) > 3:
        print_samples(result["samples"])


def drift(samples: list[dict]) -> dict:
    """Per worker pid: first and last RSS in the run and the change, and the largest RSS."""
    by_pid: dict = {}
    for sample in samples:
        for m in sample["workers"]:
            by_pid.setdefault(m["pid"], []).append(m["rss_mb"])
    return {str(pid): {"first_mb": v[0], "last_mb": v[-1], "max_mb": max(v),
                       "drift_percent": 100 * (v[-1] - v[0]) / v[0]}
            for pid, v in by_pid.items() if v}


def print_samples(samples: list[dict]) -> None:
    pids = sorted({m["pid"] for s in samples for m in s["workers"]})
    print("\nworker RSS over the run (MB):")
    print(f"{'phase':16} {'t s':>7} " + " ".join(f"{'pid ' + str(p):>12}" for p in pids))
    for s in samples:
        row = {m["pid"]: m["rss_mb"] for m in s["workers"]}
        print(f"{s['phase']:16} {s['t']:7.1f} "
              + " ".join(f"{row.get(p, float('nan')):12.1f}" for p in pids))
    for pid, d in drift(samples).items():
        print(f"  pid {pid}: {d['first_mb']:.1f} -> {d['last_mb']:.1f} MB, drift "
              f"{d['drift_percent']:+.1f}% (max {d['max_mb']:.1f} MB)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running dashboard on a loopback address (default: "
                                      "start gunicorn)")
    parser.add_argument("--pid", type=int, help="with --url: the server's (gunicorn master's) "
                                                "pid for memory figures (default: found by port)")
    parser.add_argument("--file", default="demo",
                        help="demo (default), tess, k2 (bench/synthetic.py) or a TPF path")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help=f"folder of the synthetic files ({DEFAULT_DATA})")
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--rate", type=float, default=5.0,
                        help="steps per second per user; 0 = as fast as possible (default 5)")
    parser.add_argument("--duration", type=float, help="seconds measured per phase "
                                                        "(default 60; 600 with --soak)")
    parser.add_argument("--warmup", type=float, default=2.0,
                        help="seconds of unrecorded stepping first (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--model", choices=("auto", "callback", "browser"), default="auto",
                        help="what a step costs: callback = one POST per step; browser = "
                             "batches as assets/frames.js fetches them; auto = browser when "
                             "the page has a frame painter (default)")
    parser.add_argument("--click-every", type=float, default=10.0,
                        help="mean seconds between a user's light-curve clicks (0: none; "
                             "default 10)")
    parser.add_argument("--soak", action="store_true",
                        help="10 minutes, memory sampled every --rss-every seconds")
    parser.add_argument("--rss-every", type=float, default=None,
                        help="seconds between memory samples (default 30 with --soak, else the "
                             "phase length)")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds before a request counts as failed (default 10)")
    parser.add_argument("--archive", choices=("none", "slow", "failing"), default="none",
                        help="also measure the steps while users search a slow or failing "
                             "archive (a MAST stand-in on 127.0.0.1)")
    parser.add_argument("--archive-users", type=int, default=2,
                        help="users searching the archive (default 2)")
    parser.add_argument("--archive-delay", type=float, default=None,
                        help="seconds the stand-in waits before each answer (default 5 slow, "
                             "1 failing)")
    parser.add_argument("--json", type=Path, help="also write the summary here")
    args = parser.parse_args(argv)
    if args.duration is None:
        args.duration = 600.0 if args.soak else 60.0
    if args.rss_every is None:
        args.rss_every = 30.0 if args.soak else args.duration
    if args.archive_delay is None:
        args.archive_delay = 5.0 if args.archive == "slow" else 1.0
    if args.users < 1 or args.duration <= 0 or args.rate < 0:
        parser.error("need --users >= 1, --duration > 0 and --rate >= 0")
    if args.url and args.archive != "none":
        parser.error("--archive starts its own server (the archive URL is set at start)")

    work = Path(tempfile.mkdtemp(prefix="tpf-load-"))
    server = fake = None
    try:
        if args.url:
            check_loopback(args.url)
            url = args.url.rstrip("/")
            master = args.pid or master_for_port(check_loopback(url)[1])
            server_line = f"server: {url} (attached; pid {master or 'unknown'})"
            file_label = "as served"
        else:
            source = resolve_file(args.file, args.data)
            extra = {}
            if args.archive != "none":
                fake = subprocess.Popen(
                    [sys.executable, str(Path(__file__).with_name("slow_mast.py")),
                     "--mode", args.archive, "--delay", str(args.archive_delay)],
                    cwd=ROOT, stdout=subprocess.PIPE, text=True)
                fake_url = fake.stdout.readline().strip()
                if not fake_url.startswith("http://127.0.0.1:"):
                    raise SystemExit(f"the MAST stand-in did not start: {fake_url!r}")
                extra = {"TPF_DASHBOARD_MAST_URL": fake_url,
                         "TPF_DASHBOARD_MAST_RESOLVER_URL": fake_url + "/resolver",
                         "TPF_DASHBOARD_ARCHIVE_TIMEOUT": str(max(30.0,
                                                                  4 * args.archive_delay))}
            server = Gunicorn(args.workers, source, work / "cache", work / "gunicorn.log", extra)
            server.wait_ready()
            url, master = server.url, server.pid
            server_line = (f"server: python -m {' '.join(server.command)}  "
                           f"(master pid {master}, TPF_DASHBOARD_CACHE in {work})")
            file_label = args.file if source is None else str(source)
        templates = templates_from(url)
        if args.archive != "none" and templates.get("search") is None:
            raise SystemExit("no archive search callback (search.n_clicks) on this page")
        model = args.model
        if model == "auto":
            model = "browser" if templates.get("source") else "callback"
        if model == "browser" and not templates.get("source"):
            raise SystemExit("--model browser: this page has no frame-source (no frame painter)")
        described = {
            "callback": f"callback: one POST of {templates['step_input']} -> pixels.figure "
                        "per step",
            "browser": "browser: frame batches as assets/frames.js fetches them "
                       f"({(templates.get('source') or {}).get('batch')} frames each), the "
                       "sync callback after a click"}[model]
        setup = {"server": server_line, "file": file_label, "n_frames": templates["n_frames"],
                 "model": described}
        print(f"# {server_line}", file=sys.stderr, flush=True)
        load = Load(url, args, templates, model)
        result = asyncio.run(drive(load, args, master))
        log_errors = None
        if server is not None:
            log = server.log_text()
            log_errors = sum(1 for line in log.splitlines()
                             if "Traceback" in line or "[ERROR]" in line or "[CRITICAL]" in line)
        print_report(result, args, setup)
        if log_errors is not None:
            print(f"\nserver log: {log_errors} error line(s)")
        first = result["phases"][0]
        summary = {
            "users": args.users, "rate": args.rate, "duration": args.duration, "model": model,
            "workers": args.workers if not args.url else None, "file": file_label,
            "steps": sum(p["steps"] for p in result["phases"]),
            "steps_per_s": first["steps_per_s"], "p50_ms": first["step_ms"]["p50"],
            "p99_ms": first["step_ms"]["p99"], "requests_per_s": first["requests_per_s"],
            "errors": sum(p["errors"] for p in result["phases"])
            + sum(result["page_load_errors"].values()),
            "server_log_errors": log_errors,
            "phases": result["phases"], "page_load_ms": result["page_load_ms"],
            "memory_idle": result["memory_idle"], "memory_before": result["memory_before"],
            "memory_after": result["memory_after"],
            "rss_drift": drift(result["samples"]), "samples": result["samples"],
            "client_cpu_percent": result["client_cpu_percent"],
            "worker_cpu_percent": result["worker_cpu_percent"],
            "searches": result["searches"],
        }
        if args.json:
            args.json.write_text(json.dumps(summary, indent=1))
        print("SUMMARY " + json.dumps({k: v for k, v in summary.items()
                                       if k not in ("samples", "searches")}), flush=True)
        return 0
    finally:
        if server is not None:
            server.stop()
        if fake is not None:
            fake.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                fake.wait(10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
