"""``python -m dashboard explain FILE --frame N`` and ``python -m dashboard blips FILE``.

``explain`` prints the blip report of one cadence (or ``--frame N --last M``, a frame range):
every hypothesis, best first, with its score and the sentence that says why. ``blips`` prints the
events of the aperture light curve, most significant first, each named by its top hypothesis.
Frames are 0-based positions in the file. ``--json`` prints the report as JSON instead; a file
that cannot be read exits with status 2 and one message on stderr.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import textwrap

from .data import DataError, open_tpf
from .data.blips import explain, find_blips
from .data.vetting import quality_hidden


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dashboard",
                                     description="Is that blip real? The blip report.")
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("explain", help="the checklist for one cadence or frame range")
    one.add_argument("file", help="target pixel file (.fits or .fits.gz)")
    one.add_argument("--frame", type=int, required=True, help="0-based frame")
    one.add_argument("--last", type=int, help="last frame of a range (default: --frame)")
    many = commands.add_parser("blips", help="find the blips of the aperture light curve")
    many.add_argument("file", help="target pixel file (.fits or .fits.gz)")
    many.add_argument("--threshold", type=float, default=5.0,
                      help="robust sigmas a blip must reach (default 5)")
    many.add_argument("--max-events", type=int, default=20, help="at most this many (20)")
    for command in (one, many):
        command.add_argument("--quality", default="none",
                             help="hide cadences flagged by this mask from the references and "
                                  "the search: none (default), default, hard, hardest or a "
                                  "bitmask")
        command.add_argument("--json", action="store_true", help="print JSON")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        tpf = open_tpf(args.file)
        quality = int(args.quality) if args.quality.isdigit() else args.quality
        hidden = quality_hidden(tpf, quality)
        if args.command == "explain":
            result = explain(tpf, args.frame, last=args.last, hidden=hidden)
        else:
            result = find_blips(tpf, hidden=hidden, threshold=args.threshold,
                                max_events=args.max_events)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    about = {"file": tpf.filename, "target": tpf.target, "mission": tpf.mission,
             "period": tpf.period}
    if args.json:
        print(json.dumps({**about, **result.to_dict()}, indent=1, allow_nan=False))
    elif args.command == "explain":
        print(_explain_text(tpf, result))
    else:
        print(_blips_text(tpf, result))
    return 0


def _width() -> int:
    return max(shutil.get_terminal_size((100, 20)).columns, 60)


def _wrap(text: str, indent: int) -> str:
    return textwrap.fill(text, _width(), initial_indent="", subsequent_indent=" " * indent)


def _title(tpf) -> str:
    return f"{tpf.target} ({tpf.mission}{' ' + tpf.period if tpf.period else ''}), {tpf.filename}"


def _explain_text(tpf, report) -> str:
    frames = (f"frame {report.first}" if report.first == report.last
              else f"frames {report.first}-{report.last}")
    when = f"{tpf.time_system} {report.time:.5f}" if report.time is not None else "no time"
    lines = [_title(tpf), f"{frames} (cadence {report.cadenceno}, {when})", "",
             f"{'score':>5}  {'kind':15}  why"]
    for h in report.hypotheses:
        lines.append(_wrap(f"{h.score:5.2f}  {h.kind:15}  {h.summary}", 24))
        if h.frames:
            shown = ", ".join(map(str, h.frames[:12])) + (" ..." if len(h.frames) > 12 else "")
            lines.append(" " * 24 + f"frames: {shown}")
    for skipped in report.skipped:
        lines.append(_wrap(f"skipped {skipped.check}: {skipped.reason}", 8))
    return "\n".join(lines)


def _blips_text(tpf, events) -> str:
    numbers = events.numbers
    lines = [_title(tpf)]
    if "sigma" in numbers:
        lines.append(f"{len(events)} blip(s) at {numbers['threshold']:g} sigma or more "
                     f"(robust scatter {numbers['sigma']:,.2f} e-/s over "
                     f"{numbers['cadences_searched']:,} cadences, running median of "
                     f"{numbers['window_cadences']} cadences)")
    for skipped in events.skipped:
        lines.append(_wrap(f"skipped {skipped.check}: {skipped.reason}", 8))
    if events:
        lines += ["", f"{'first':>6} {'last':>6} {'sigma':>6} {'e-/s':>9}  {'kind':15} "
                      f"{'score':>5}  why"]
        for e in events:
            top = e.top
            kind, score = (top.kind, f"{top.score:5.2f}") if top else ("-", "    -")
            summary = top.summary if top else ""
            lines.append(_wrap(f"{e.first:6d} {e.last:6d} {e.significance:6.1f} "
                               f"{e.excess:+9,.0f}  {kind:15} {score}  {summary}", 55))
    return "\n".join(lines)
