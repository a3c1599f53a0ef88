"""The load tool's simulated users: page loads, steps at a rate or in a closed loop, clicks,
archive searches, each response checked, and the phases they are recorded in."""

from __future__ import annotations

import asyncio
import json
import random
import re
import struct
import time
import zlib
from dataclasses import dataclass, field
from urllib.parse import quote

from dash_client import UPDATE_PATH
from load_http import Connection, HTTPError, decoded
from load_server import check_loopback

ARCHIVE_TARGETS = ("KIC 8462852", "KIC 11904151", "EPIC 201572338", "KIC 10666592")


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
    by_dyno: dict = field(default_factory=dict)  # dyno index -> ms of its users' steps


CLIENT_ERRORS = (OSError, HTTPError, asyncio.IncompleteReadError, zlib.error, ValueError)


class Load:
    """The users. ``model`` says what a step costs on the wire:

    * ``callback``: one POST of the heatmap's catch-up callback (``frame-sync.data`` ->
      ``pixels.figure``) per step: a person whose steps are over 250 ms apart (the browser's
      sync delay), so every step is followed by one;
    * ``browser``: as ``assets/frames.js`` does it: frames come in batches from the
      ``frame-source`` URL, fetched when the cursor enters a batch not yet held and one batch
      ahead; held batches are kept up to 64 MB per user, nearest first; a step inside a held
      batch costs no request (0 ms wait). A click (a jump) is followed by the sync callback
      after 250 ms, as when a person stops to look.
    """

    def __init__(self, url: str | list[str], args, templates: dict, model: str):
        # Several URLs (``--dynos``): user i is served by instance i % len(urls), as a load
        # balancer with sticky sessions would spread them.
        self.targets = [check_loopback(u) for u in ([url] if isinstance(url, str) else url)]
        self.host, self.port = self.targets[0]
        self.args = args
        self.model = model
        self.step_cb = templates["step"]
        self.step_input = templates["step_input"]
        self.n_frames = templates["n_frames"]
        self.file = templates["file"]
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

    def target(self, index: int) -> tuple[str, int]:
        """(host, port) of the instance that serves user ``index``."""
        return self.targets[index % len(self.targets)]

    def record(self, phase: Phase | None, user: dict, kind: str, ms: float) -> None:
        if phase is not None:
            phase.steps.append((kind, ms))
            phase.by_dyno.setdefault(user["dyno"], []).append(ms)

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
        self.sync_count += 1
        # What the page last drew is as the layout drew it (the same look, outline, marks and
        # sky) but another frame (-1), so the patch of this one frame comes back, as in a
        # browser. (Sending only {file, frame} made every step redraw the outline, the marks
        # and the sky slots too.)
        drawn = dict((self.step_cb.props.get("pixels-drawn") or {}).get("data") or {})
        drawn.update(file=self.file, frame=-1)
        return self.step_cb.payload(**{
            "frame-sync.data": {"file": self.file, "frame": frame, "at": self.sync_count},
            "pixels-drawn.data": drawn})

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
            meta = [op["params"]["value"] for op in figure.get("operations", [])
                    if op.get("location") == ["data", 0, "meta"]]
            return meta == [{"file": self.file, "frame": frame}]
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
        conn = Connection(*user["target"], self.args.timeout)
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
        self.record(phase, user, kind, (time.perf_counter() - t0) * 1e3)
        if kind == "click":  # a person stops to look: Plotly's heatmap catches up
            task = asyncio.ensure_future(self.sync_later(user, frame))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def sync_later(self, user: dict, frame: int) -> None:
        await asyncio.sleep(0.25)
        conn = Connection(*user["target"], self.args.timeout)
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
        if await self.post_frame(user["conn"], frame, kind):
            self.record(phase, user, kind, (time.perf_counter() - t0) * 1e3)

    async def user(self, index: int, t_start: float) -> None:
        rng = random.Random(1000 + index)
        user = {"conn": Connection(*self.target(index), self.args.timeout), "held": {},
                "pending": {}, "frame": rng.randrange(self.n_frames),
                "target": self.target(index), "dyno": index % len(self.targets)}
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
        conn = Connection(*self.target(index), self.args.timeout)
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
