"""A slow or failing MAST on 127.0.0.1, for ``bench/load.py --archive``.

Every request waits ``--delay`` seconds before it is answered. In ``slow`` mode the answer is
then the one the tests' MAST stand-in gives (``tests/data/test_archive.py``: MAST's own JSON
shapes from ``tests/data/mast``), so a search really runs through astroquery and ends with a
result; in ``failing`` mode every answer is HTTP 503. Nothing here reaches the internet.

    python bench/slow_mast.py --mode slow --delay 5     # prints its URL, serves until killed
"""

from __future__ import annotations

import argparse
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MODES = ("slow", "failing")


def _recorded_handler():
    """The tests' MAST stand-in (its handler and server class), or None without the tests."""
    sys.path.insert(0, str(ROOT))
    try:
        from tests.data.test_archive import FakeMast, _Handler
    except ImportError:
        return None, None
    return FakeMast, _Handler


def make_server(mode: str, delay: float) -> ThreadingHTTPServer:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    fake_class, recorded = _recorded_handler() if mode == "slow" else (None, None)
    if mode == "slow" and recorded is None:
        raise SystemExit("slow mode needs tests/data/test_archive.py (the recorded answers)")

    class Failing(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _fail(self):
            time.sleep(delay)
            if self.command == "POST":
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = b"<html>Service Unavailable</html>"
            self.send_response(503)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _fail

    if mode == "failing":
        server = ThreadingHTTPServer(("127.0.0.1", 0), Failing)
        server.daemon_threads = True
    else:
        class Slow(recorded):
            def do_GET(self):
                time.sleep(delay)
                super().do_GET()

            def do_POST(self):
                time.sleep(delay)
                super().do_POST()

        server = fake_class()  # on a free loopback port
        server.RequestHandlerClass = Slow
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=MODES, default="slow")
    parser.add_argument("--delay", type=float, default=5.0,
                        help="seconds before each answer (default 5)")
    args = parser.parse_args(argv)
    server = make_server(args.mode, args.delay)
    print(server.url, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
