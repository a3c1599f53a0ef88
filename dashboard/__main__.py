"""``python -m dashboard [FILE] [--host H] [--port P] [--debug]``: serve the dashboard."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from .data import DataError


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m dashboard",
        description="Show a Kepler, K2 or TESS target pixel file beside its light curve, "
                    "cadence by cadence. Without FILE, opens a simulated demo.")
    parser.add_argument("file", nargs="?", help="target pixel file (.fits or .fits.gz)")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"),
                        help="address to listen on (default 127.0.0.1; $HOST)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8050)),
                        help="port (default $PORT or 8050)")
    parser.add_argument("--cache-dir", help="where opened files are kept (default "
                                            "$TPF_DASHBOARD_CACHE or ~/.cache/tpf-dashboard)")
    parser.add_argument("--debug", action="store_true",
                        help="Dash dev tools and reloading; never for a shared server")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from .app import create_app

    config = {"debug": args.debug}
    if args.file:
        config["source"] = args.file
    if args.cache_dir:
        config["cache_dir"] = args.cache_dir
    try:
        app = create_app(config)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    what = "the simulated demo" if not args.file else args.file
    print(f"Serving {what} at http://{args.host}:{args.port}/  (Ctrl+C to stop)", flush=True)
    app.run(host=args.host, port=args.port, debug=args.debug,
            dev_tools_disable_version_check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
