"""The page's static files: compressed once per worker, and kept by browsers for a year.

Every script and stylesheet the page loads has a URL that changes with its content: Dash
fingerprints its component suites (``dash_renderer.v4_4_1m<mtime>.min.js``) and gives files in
``assets/`` an ``?m=<mtime>`` query. So a browser may keep them without asking again
(``Cache-Control: max-age=31536000, immutable``): a second visit loads no script over the
network. Dash says so for its fingerprinted suites only; for assets Flask said nothing, so a
browser asked for each again on every visit (one request per asset, ~150 ms of a warm load).

Compressing the plotly.js bundle costs 40-110 ms of CPU, so the compressed bytes of these
immutable URLs are kept per process (brotli at quality 9: 1.44 MB -> 0.45 MB), each compressed
once. Every other answer (the page, the layout, callbacks, frame batches) is compressed per
request by Flask-Compress, as Dash's ``compress=True`` did.
"""

from __future__ import annotations

import gzip
import html
import threading
from collections import OrderedDict
from pathlib import Path

from flask import Flask, request

_IMMUTABLE = "public, max-age=31536000, immutable"
_MIMETYPES = {"application/javascript", "text/javascript", "text/css", "application/json",
              "image/svg+xml", "image/x-icon", "image/vnd.microsoft.icon"}
_MIN_SIZE = 500


def is_immutable(path: str, args, assets_prefix: str) -> bool:
    """Whether a request is for a URL whose content never changes (it is fingerprinted)."""
    if path.startswith(assets_prefix):
        return "m" in args
    return path.startswith("/_dash-component-suites/") and ".v" in path.rsplit("/", 1)[-1]


def _brotli(data: bytes) -> bytes:
    import brotli

    return brotli.compress(data, quality=9)


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, 9, mtime=0)


def _encoders() -> dict:
    """Content encodings available here, best first (brotli is Flask-Compress's dependency)."""
    out = {}
    try:
        import brotli  # noqa: F401

        out["br"] = _brotli
    except ImportError:
        pass
    out["gzip"] = _gzip
    return out


def choose_encoding(accept: str, available) -> str | None:
    """The first of ``available`` the Accept-Encoding header allows (q=0 refuses)."""
    allowed = set()
    for part in accept.split(","):
        name, _, params = part.strip().partition(";")
        if name and params.strip().replace(" ", "") not in ("q=0", "q=0.0"):
            allowed.add(name.strip().lower())
    return next((name for name in available if name in allowed or "*" in allowed), None)


class CompressedFiles:
    """Compressed bodies of immutable URLs, by (URL, encoding); at most ``max_entries``."""

    def __init__(self, max_entries: int = 128):
        self._entries: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries
        self.encoders = _encoders()

    def get(self, url: str, encoding: str, body) -> bytes:
        key = (url, encoding)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        packed = self.encoders[encoding](body())
        with self._lock:
            self._entries[key] = packed
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return packed


def serve_static_files(server: Flask, assets_prefix: str = "/assets/") -> CompressedFiles:
    """Compress the server's answers (static files once per process) and let browsers keep
    static files for a year."""
    from flask_compress import Compress

    Compress(server)  # its hook runs after ours (Flask runs after_request hooks last-first)
    files = CompressedFiles()

    @server.after_request
    def static_file(response):
        if not is_immutable(request.path, request.args, assets_prefix):
            return response
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = _IMMUTABLE
        encoding = choose_encoding(request.headers.get("Accept-Encoding", ""), files.encoders)
        if (response.status_code != 200 or encoding is None or "Content-Encoding" in
                response.headers or response.mimetype not in _MIMETYPES
                or (response.content_length or _MIN_SIZE) < _MIN_SIZE):
            return response
        response.direct_passthrough = False  # a file Flask would stream: read it, once
        body = files.get(request.full_path, encoding, response.get_data)
        response.set_data(body)
        response.headers["Content-Encoding"] = encoding
        response.headers["Content-Length"] = str(len(body))
        response.headers["Vary"] = "Accept-Encoding"
        if response.get_etag()[0]:
            response.set_etag(f"{response.get_etag()[0]}:{encoding}")
        return response

    return files


# dcc's code for the components the first view renders. With eager_loading off, webpack
# fetches each only once React reaches the component, a round trip after the layout has
# arrived (~100 ms of a warm first view); named here they load beside the other scripts, and
# webpack finds them already installed. MathJax, markdown, date pickers, highlight stay out.
FIRST_VIEW_CHUNKS = ("graph", "slider", "dropdown", "upload")


def first_view_chunks() -> list[dict]:
    """Script resources (``app.scripts.append_script``) for :data:`FIRST_VIEW_CHUNKS`: Dash
    writes their URLs as it writes its own, fingerprinted (browsers keep them) and under the
    prefix of each request (a notebook sets its proxy's prefix after the app is built)."""
    from dash import dcc

    folder = Path(dcc.__file__).parent
    return [{"relative_package_path": f"dcc/async-{name}.js", "namespace": "dash"}
            for name in FIRST_VIEW_CHUNKS if (folder / f"async-{name}.js").exists()]


# The page's first two requests: Dash's renderer asks for its layout and callback graph only
# once every script has run (DOMContentLoaded, ~0.6-0.9 s into a cold first view here), then
# waits ~0.1 s for them. Preloaded from the page's head they travel while the scripts load, and
# Chromium answers the renderer's fetch (same URL, mode and credentials) with the preloaded
# response: one request each, as before (tests/browser/test_bundle.py counts them).
FIRST_REQUESTS = ("_dash-layout", "_dash-dependencies")


def preload_tags(prefix: str) -> str:
    """``<link rel="preload">`` tags for :data:`FIRST_REQUESTS` under a pathname prefix."""
    return "".join(f'<link rel="preload" href="{html.escape(prefix + name)}" as="fetch" '
                   "crossorigin>" for name in FIRST_REQUESTS)


def preload_first_requests(app) -> None:
    """Make ``app``'s page preload :data:`FIRST_REQUESTS`, under the prefix of each request (a
    notebook sets its proxy's prefix after the app is built)."""
    plain = app.interpolate_index

    def interpolate_index(**parts):
        tags = preload_tags(app.config.requests_pathname_prefix)
        return plain(**{**parts, "metas": parts.get("metas", "") + tags})

    app.interpolate_index = interpolate_index
