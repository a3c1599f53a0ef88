"""Serving a dashboard from this Python process: on the port asked for, or on a free one when
that is busy, in a background thread, and stopped when the process (the kernel) exits.

The views of one process are kept by key (a notebook cell's id): showing again from the same
cell stops the view it showed before, whose output has been replaced anyway, so re-running a
cell does not pile up servers; each other cell keeps its own view.
"""

from __future__ import annotations

import atexit
import errno
import socket
import threading
from dataclasses import dataclass, field

from werkzeug.serving import WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    """No line per request: in a notebook they would land in the cell's output."""

    def log_request(self, *args, **kwargs) -> None:
        pass


@dataclass
class Running:
    """A dashboard served from this process in the background: ``url`` (where this machine
    reaches it), ``port``, ``app``; ``stop()`` ends it."""

    url: str
    port: int
    app: object = field(repr=False)
    asked_port: int | None = None  # the port asked for, when it was busy
    _server: object = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        if self.running:
            self._server.shutdown()
            self._thread.join(5)
        self._server.server_close()
        for key, view in list(_views.items()):
            if view is self:
                del _views[key]

    def serve_forever(self) -> None:
        """Serve in this thread until Ctrl+C (a script's ``show()``); werkzeug's loop takes
        the KeyboardInterrupt and closes the socket."""
        self._server.serve_forever()


def bind(app, host: str, port: int) -> Running:
    """A server of ``app`` on ``host:port``, or on a free port of ``host`` when ``port`` is
    taken; not started yet."""
    sock, asked = _listen(host, port), None
    if sock is None:
        sock, asked = _listen(host, 0), port
    try:
        bound = sock.getsockname()[1]
        # werkzeug binds by itself only to sys.exit() on a busy port; it is handed the socket.
        server = make_server(host, bound, app.server, threaded=True, fd=sock.fileno(),
                             request_handler=_QuietHandler)
    finally:
        sock.close()  # werkzeug holds its own duplicate of the socket
    return Running(url=f"http://{_url_host(host)}:{bound}/", port=bound, app=app,
                   asked_port=asked, _server=server)


def start(running: Running, key: str | None = None) -> Running:
    """Serve ``running`` in a daemon thread (it dies with the process), kept under ``key``
    (call :func:`stop_view` with it first)."""
    thread = threading.Thread(target=running._server.serve_forever, daemon=True,
                              name=f"dashboard:{running.port}")
    running._thread = thread
    thread.start()
    _views[key if key is not None else f"port:{running.port}"] = running
    return running


def stop_view(key: str) -> None:
    """Stop the view shown under ``key``, if any (before its port is asked for again)."""
    if key in _views:
        _views.pop(key).stop()


def views() -> list[Running]:
    """The dashboards this process is serving, oldest first."""
    return list(_views.values())


def stop_all() -> None:
    """Stop every dashboard this process serves."""
    for view in list(_views.values()):
        view.stop()


def _listen(host: str, port: int) -> socket.socket | None:
    """A listening socket on ``host:port``, or None when the port is in use."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    # As werkzeug and http.server do: a port left in TIME_WAIT by a stopped view is free.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            return None
        raise
    return sock


def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


_views: dict[str, Running] = {}
atexit.register(stop_all)
