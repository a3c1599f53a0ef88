"""A real S3-compatible server for tests (moto's ``moto_server``) and a proxy in front of it
that can make the store slow, failing, gone, or cut its answers short.

The proxy forwards TCP on a loopback port of its own. ``proxy.mode`` is applied to every new
connection, and setting it closes the connections already open (boto3 keeps them alive), so
the next request meets the new behaviour:

========== ============================================================================
pass       forwarded as it is
slow       the connection is accepted and never answered (a store slower than any timeout)
failing    every request answered ``503 Service Unavailable``
gone       every connection closed as soon as it is accepted
truncate   forwarded, but each answer cut off after ``cut_after`` bytes
========== ============================================================================

It counts the requests it forwarded by ``(method, path)`` (``proxy.requests``).

Needs the ``moto[server]`` and ``boto3`` packages (the ``test`` extra): without them these
tests fail under CI (``CI`` set) and are skipped elsewhere (tests/conftest.py ``missing``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from .conftest import free_port, missing

BUCKET = "tpf-dashboard-test"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_DEFAULT_REGION": "us-east-1"}


def need_s3() -> str:
    """The moto_server command, or a skip (a failure under CI) naming what is missing."""
    for module in ("boto3", "moto"):
        try:
            __import__(module)
        except ImportError:
            missing(f"the {module} package is not installed (pip install -e '.[test]')")
    found = shutil.which("moto_server") or str(Path(sys.executable).with_name("moto_server"))
    if not Path(found).exists():
        missing("moto_server is not installed (pip install 'moto[server]')")
    return found


class MotoServer:
    """``moto_server`` on a free loopback port, with one bucket."""

    def __init__(self, log: Path):
        command = need_s3()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log, "wb")
        self.process = subprocess.Popen([command, "-H", "127.0.0.1", "-p", str(self.port)],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while not _accepts(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"moto_server did not start:\n{log.read_text()}")
            time.sleep(0.05)
        self.client().create_bucket(Bucket=BUCKET)

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def keys(self, prefix: str = "") -> list[str]:
        listing = self.client().list_objects_v2(Bucket=BUCKET, Prefix=prefix)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self.log.close()


def environment(endpoint: str) -> dict[str, str]:
    """The standard AWS variables that point boto3 at ``endpoint``."""
    return {**CREDENTIALS, "AWS_ENDPOINT_URL": endpoint,
            "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}


class FaultyProxy:
    def __init__(self, upstream_port: int):
        self.upstream = upstream_port
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.cut_after = 2000
        self.requests: Counter = Counter()
        self._mode = "pass"
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        assert value in ("pass", "slow", "failing", "gone", "truncate"), value
        self._mode = value
        with self._lock:
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            _close(sock)

    def count(self, method: str, fragment: str = "") -> int:
        return sum(n for (m, path), n in self.requests.items() if m == method and fragment in path)

    def stop(self) -> None:
        self._stopped = True
        self.mode = "pass"
        _close(self._listener)

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            mode = self._mode
            if mode == "gone":
                _close(client)
                continue
            self._track(client)
            threading.Thread(target=self._serve, args=(client, mode), daemon=True).start()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.add(sock)

    def _serve(self, client: socket.socket, mode: str) -> None:
        if mode == "slow":
            with contextlib.suppress(OSError):
                while client.recv(65536):
                    pass
            return
        if mode == "failing":
            with contextlib.suppress(OSError):
                while _read_head(client):
                    client.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                                   b"Connection: keep-alive\r\n\r\n")
            _close(client)
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream), timeout=10)
        except OSError:
            _close(client)
            return
        upstream.settimeout(None)
        self._track(upstream)
        limit = self.cut_after if mode == "truncate" else None
        threading.Thread(target=self._pump, args=(upstream, client, limit), daemon=True).start()
        self._pump(client, upstream, None, count=True)

    def _pump(self, source: socket.socket, sink: socket.socket, limit: int | None,
              count: bool = False) -> None:
        sent = 0
        with contextlib.suppress(OSError):
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if count:
                    self._count(data)
                if limit is not None and sent + len(data) > limit:
                    sink.sendall(data[:limit - sent])
                    break
                sink.sendall(data)
                sent += len(data)
        _close(source)
        _close(sink)

    def _count(self, data: bytes) -> None:
        # Request lines at the start of a segment: enough for the small requests boto3 sends
        # (an upload's body could hold such a line only by a one-in-billions chance).
        for method in (b"GET ", b"PUT ", b"HEAD ", b"POST ", b"DELETE "):
            if data.startswith(method):
                path = data.split(b" ", 2)[1].decode("latin-1")
                with self._lock:
                    self.requests[(method.decode().strip(), path)] += 1


def _read_head(sock: socket.socket) -> bytes:
    """One request's head and any body it announces, or b'' when the peer closes."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip() or 0)
        if name.strip().lower() == b"expect":
            length = 0  # the body waits for a 100 Continue that never comes
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head


def _accepts(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
        return True
    return False


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
