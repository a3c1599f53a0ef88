"""A stand-in for VizieR, MAST's catalogue Portal and SkyBoT on 127.0.0.1.

It answers the HTTP requests astroquery really makes (read from astroquery 0.4.11's vizier,
mast and imcce code): VizieR's ``POST /viz-bin/votable`` (an ASU script in the body), the MAST
Portal's ``POST /portal/Mashup/Mashup.asmx/columnsconfig`` and ``POST /api/v0/invoke``
(``Mast.Catalogs.All.Tic``, ``Mast.Catalogs.Filtered.Tic.Position.Rows``), and SkyBoT's
``GET /skybot/conesearch.php?-ra=...``. Bodies come from tests/data/sky (hand-written in the
services' wire formats, values invented; see README there); the TIC rows are filtered by the
request's position, radius and Tmag range as MAST would. Each path prefix can be told to fail
(an HTTP status, a garbage body, or a sleep). Nothing here reaches the internet.
"""

from __future__ import annotations

import json
import math
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import pytest

DATA = Path(__file__).parent / "sky"
VIZIER_PATH = "/viz-bin/votable"
SKYBOT_PATH = "/skybot/conesearch.php"


class FakeSky(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.skybot_url = self.url + SKYBOT_PATH
        self.requests: list[tuple[str, dict]] = []  # (path or Portal service, parameters)
        self.status: dict[str, int] = {}  # path prefix -> HTTP status to answer with
        self.garbage: set[str] = set()  # path prefixes answered with a body nobody can parse
        self.sleep: dict[str, float] = {}  # path prefix -> seconds to wait before answering
        self.skybot_body = "skybot_conesearch.vot"
        self.released = threading.Event()  # ends every sleep at teardown

    def count(self, name: str) -> int:
        return sum(1 for path, _ in self.requests if path == name)


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _send(self, body: bytes, kind: str, status: int = 200):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _misbehaves(self, path: str) -> bool:
        server = self.server
        for prefix, seconds in server.sleep.items():
            if path.startswith(prefix):
                server.released.wait(seconds)
        for prefix, status in server.status.items():
            if path.startswith(prefix):
                self._send(b"<html><body>Internal Server Error</body></html>", "text/html",
                           status)
                return True
        if any(path.startswith(prefix) for prefix in server.garbage):
            self._send(b"\x00\x17 not what you asked for", "application/octet-stream")
            return True
        return False

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        path = urlparse(self.path).path
        if path == VIZIER_PATH:
            self.server.requests.append((path, _asu_script(body)))
            if not self._misbehaves(path):
                self._send((DATA / "vizier_gaiadr3.vot").read_bytes(), "text/xml")
            return
        if path.endswith("/columnsconfig"):
            self.server.requests.append(("columnsconfig", {"body": body}))
            if not self._misbehaves(path):
                self._send((DATA / "mast_tic_columnsconfig.json").read_bytes(), "text/plain")
            return
        if path == "/api/v0/invoke":
            request = json.loads(unquote(body.split("=", 1)[1]))
            service = request["service"]
            self.server.requests.append((service, request.get("params", {})))
            if self._misbehaves(path):
                return
            if service == "Mast.Catalogs.All.Tic":
                return self._send((DATA / "mast_tic_all.json").read_bytes(), "text/plain")
            if service == "Mast.Catalogs.Filtered.Tic.Position.Rows":
                answer = _tic_rows(request["params"])
                return self._send(json.dumps(answer).encode(), "text/plain")
        self._send(b'{"status": "ERROR", "msg": "unknown service"}', "text/plain", 404)

    def do_GET(self):
        url = urlparse(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        self.server.requests.append((url.path, query))
        if self._misbehaves(url.path):
            return
        if url.path == SKYBOT_PATH:
            return self._send((DATA / self.server.skybot_body).read_bytes(), "text/xml")
        self._send(b"Not found", "text/plain", 404)


def _asu_script(body: str) -> dict:
    """VizieR's ASU script (``key=value`` lines) as a dict; lone flags map to ''."""
    fields = {}
    for line in body.splitlines():
        key, _, value = line.partition("=")
        fields[key] = value
    return fields


def _separation_deg(ra1, dec1, ra2, dec2) -> float:
    ra1, dec1, ra2, dec2 = map(math.radians, (ra1, dec1, ra2, dec2))
    cos = (math.sin(dec1) * math.sin(dec2)
           + math.cos(dec1) * math.cos(dec2) * math.cos(ra1 - ra2))
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def _tic_rows(params: dict) -> dict:
    answer = json.loads((DATA / "mast_tic_rows.json").read_text())
    ranges = {f["paramName"]: f["values"][0] for f in params.get("filters", [])
              if f["values"] and isinstance(f["values"][0], dict)}
    rows = []
    for row in answer["data"]:
        if _separation_deg(params["ra"], params["dec"], row["ra"], row["dec"]) > params["radius"]:
            continue
        if any(row.get(name) is None or not bounds["min"] <= row[name] <= bounds["max"]
               for name, bounds in ranges.items()):
            continue
        rows.append(row)
    answer["data"] = rows
    answer["paging"].update(rows=len(rows), rowsFiltered=len(rows), rowsTotal=len(rows))
    return answer


@pytest.fixture
def sky_server():
    server = FakeSky()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield server
    server.released.set()
    server.shutdown()
    server.server_close()


class DictCache:
    """The get/set interface of flask-caching's caches, in a dict (values must be JSON)."""

    def __init__(self):
        self.values: dict = {}

    def get(self, key):
        return json.loads(self.values[key]) if key in self.values else None

    def set(self, key, value):
        self.values[key] = json.dumps(value, allow_nan=False)  # fails for anything not JSON
