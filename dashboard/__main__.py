"""``python -m dashboard [FILE | --target T] [--host H] [--port P] [--debug]``: serve the dashboard.

With ``--target``, the target's first target pixel file at MAST (filtered by ``--mission``,
``--quarter`` / ``--campaign`` / ``--sector`` and ``--exposure``) is downloaded into the download
cache and opened. When the archive cannot be reached (or answers with an error), the command says
so and opens a copy of that target already in the download cache, else the simulated demo; every
network wait is bounded by ``--archive-timeout`` ($TPF_DASHBOARD_ARCHIVE_TIMEOUT, 60 s).
"""

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
    parser.add_argument("--port", type=int, default=_port(),
                        help="port (default $PORT or 8050)")
    parser.add_argument("--cache-dir", help="where opened files are kept (default "
                                            "$TPF_DASHBOARD_CACHE or ~/.cache/tpf-dashboard)")
    archive = parser.add_argument_group(
        "archive", "open a Kepler, K2 or TESS target from MAST instead of a FILE")
    archive.add_argument("--target", help='KIC / EPIC / TIC id, star name or coordinates, '
                                          'e.g. "EPIC 201572338", "Kepler-10", "285.679 +50.241"')
    archive.add_argument("--mission", choices=("Kepler", "K2", "TESS"), type=_mission,
                         help="only this mission's files")
    archive.add_argument("--quarter", type=int, help="Kepler quarter")
    archive.add_argument("--campaign", type=int, help="K2 campaign")
    archive.add_argument("--sector", type=int, help="TESS sector")
    archive.add_argument("--exposure", help="exposure time in seconds, or fast / short / long")
    archive.add_argument("--archive-timeout", type=float,
                         help="seconds to wait for MAST at each step (default "
                              "$TPF_DASHBOARD_ARCHIVE_TIMEOUT or 60)")
    parser.add_argument("--catalog", metavar="FILE.csv",
                        help="your own catalogue to draw on the image: columns id, ra, dec "
                             "(degrees), optional pmra, pmdec (mas/yr), ref_epoch, mag")
    parser.add_argument("--debug", action="store_true",
                        help="Dash dev tools and reloading; never for a shared server")
    args = parser.parse_args(argv)
    if args.file and args.target:
        parser.error("give a FILE or --target, not both")
    periods = [(name, mission) for name, mission in
               (("quarter", "Kepler"), ("campaign", "K2"), ("sector", "TESS"))
               if getattr(args, name) is not None]
    if (periods or args.mission or args.exposure) and not args.target:
        parser.error("--mission, --quarter, --campaign, --sector and --exposure need --target")
    if len(periods) > 1:
        parser.error("give only one of --quarter, --campaign and --sector")
    if periods:
        name, mission = periods[0]
        if args.mission and args.mission != mission:
            parser.error(f"--{name} is for {mission}, not {args.mission}")
        args.mission, args.period = mission, getattr(args, name)
    else:
        args.period = None
    if args.archive_timeout is not None and not args.archive_timeout > 0:
        parser.error("--archive-timeout must be more than 0 seconds")
    return args


def _port() -> int:
    try:
        return int(os.environ.get("PORT") or 8050)
    except ValueError:
        return 8050


def _mission(text: str) -> str:
    return next((m for m in ("Kepler", "K2", "TESS") if m.lower() == text.lower()), text)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in (["explain"], ["blips"]):  # the blip report: dashboard/blips_cli.py
        from . import blips_cli
        return blips_cli.main(argv)
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from .app import create_app, freeze_startup_objects
    from .settings import Settings

    try:
        # The one place the command line and the environment meet (dashboard/settings.py).
        settings = Settings.from_env(source=args.file, cache_dir=args.cache_dir,
                                     archive_timeout=args.archive_timeout,
                                     catalog=args.catalog, debug=args.debug or None)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    what = "the simulated demo" if not settings.source else settings.source
    if args.target:
        try:
            found = open_target(args, settings)
        except DataError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if found is not None:
            source, filename, what = found
            settings = settings.but(source=source, filename=filename)
    try:
        app = create_app(settings)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    freeze_startup_objects()
    print(f"Serving {what} at http://{args.host}:{args.port}/  (Ctrl+C to stop)", flush=True)
    app.run(host=args.host, port=args.port, debug=settings.debug,
            dev_tools_disable_version_check=True)
    return 0


def open_target(args: argparse.Namespace, settings) -> tuple[str, str, str] | None:
    """(path, filename, description) of the target's file, or None for the demo.

    Raises DataError for a request that cannot succeed (an unreadable target, one MAST does not
    have); when MAST itself cannot be used, prints why and falls back to a cached copy or None.
    """
    from .data.archive import archive_down
    from .data.targets import parse_target
    from .services import make_archive

    target = parse_target(args.target)
    archive = make_archive(settings)
    print(f"Searching MAST for {target.label} (timeout {archive.timeout:g} s)…", flush=True)
    try:
        products = archive.search(target, mission=args.mission, period=args.period,
                                  exposure=args.exposure)
        product = products[0]
        print(f"Found {len(products)} target pixel file(s); opening {product.filename} "
              f"({product.mission} {product.period_label}).", flush=True)
        path = archive.download(product, progress=_printer(product.filename))
        return str(path), product.filename, f"{target.label}: {product.filename}"
    except DataError as exc:
        if not archive_down(str(exc)):
            raise
        print(f"The archive cannot be reached: {exc}", file=sys.stderr, flush=True)
    cached = find_cached(archive.cache, target, args.mission, args.period)
    if cached is None:
        print(f"No copy of {target.label} is in the download cache ({archive.cache.directory}); "
              "opening the simulated demo instead.", file=sys.stderr, flush=True)
        return None
    print(f"Opening the cached copy {cached.name} of {target.label} instead.", file=sys.stderr,
          flush=True)
    return str(cached), cached.name, f"{target.label} (cached copy {cached.name})"


def _printer(filename: str):
    last = [0.0]

    def progress(done: int, total: int | None) -> None:
        import time
        now = time.monotonic()
        if now - last[0] < 1 and (total is None or done < total):
            return
        last[0] = now
        share = f" of {total / 2**20:,.1f} MB" if total else " MB"
        print(f"  {filename}: {done / 2**20:,.1f}{share}", flush=True)
    return progress


_ID_KEYS = {"kic": ("KEPLERID",), "epic": ("KEPLERID",), "tic": ("TICID",),
            "id": ("KEPLERID", "TICID")}
_PERIOD_KEYS = {"Kepler": "QUARTER", "K2": "CAMPAIGN", "TESS": "SECTOR"}


def find_cached(cache, target, mission: str | None = None, period: int | None = None):
    """The most recently used file in the download cache that is of ``target`` (by catalogue
    number, object name or position in the primary header), or None. Never uses the network."""
    from astropy.io import fits

    matches = []
    for path in cache.entries():
        try:
            header = fits.getheader(path, 0)
            used = path.stat().st_mtime
        except (OSError, ValueError):
            continue
        file_mission = _header_mission(header)
        if mission and file_mission != mission:
            continue
        if period is not None and header.get(_PERIOD_KEYS.get(file_mission, "")) != period:
            continue
        if _header_is(header, target):
            matches.append((used, path))
    return max(matches)[1] if matches else None


def _header_mission(header) -> str:
    text = str(header.get("MISSION") or header.get("TELESCOP") or "").strip()
    if text.upper() == "K2" or (text == "Kepler" and "CAMPAIGN" in header):
        return "K2"
    return "TESS" if text.upper() == "TESS" else "Kepler" if text else ""


def _header_is(header, target) -> bool:
    if target.kind in _ID_KEYS:
        return any(_int(header.get(key)) == target.id for key in _ID_KEYS[target.kind])
    if target.kind == "name":
        return " ".join(str(header.get("OBJECT", "")).lower().split()) == \
            " ".join(target.name.lower().split())
    try:  # coordinates: within 2 arcsec of the file's target position
        import astropy.units as u
        from astropy.coordinates import SkyCoord
        here = SkyCoord(float(header["RA_OBJ"]), float(header["DEC_OBJ"]), unit="deg")
        return here.separation(SkyCoord(target.ra, target.dec, unit="deg")) < 2 * u.arcsec
    except (KeyError, TypeError, ValueError):
        return False


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


if __name__ == "__main__":
    sys.exit(main())
