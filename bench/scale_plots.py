"""Plots of bench/scale.py's numbers for docs/performance.md, beside lightkurve's.

    python bench/scale_plots.py bench/results/scale.json docs/images

writes ``scale-cadences.png`` (first view, key press to painted frame, server memory after
stepping through the file and time to serve, against the number of cadences, 11 x 11 and
13 x 13) and ``scale-stamps.png`` (the same against the stamp's size, 3,500 cadences).
lightkurve 2.6.0 ``interact()``'s numbers are the field notes' (same kind of machine and files,
shared/notes/field-notes.md), drawn as crosses; issue 15's targets as dotted lines.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# lightkurve interact(): (stamp pixels, cadences) -> first view s, step ms, RSS MB.
LIGHTKURVE = {
    "TESS-like 11x11, 20,000": {"pixels": 121, "cadences": 20_000, "view": 1.46, "step": 50,
                                "rss": 323},
    "K2-like 50x50, 4,000": {"pixels": 2500, "cadences": 4_000, "view": 1.25, "step": 78,
                             "rss": 452},
    "Kepler-10 9x7, 1,021": {"pixels": 63, "cadences": 1_021, "view": 1.1, "step": 37,
                             "rss": 253},
}


def _panel(ax, rows, x, y, label, style):
    rows = sorted(rows, key=lambda r: r[x])
    ax.plot([r[x] for r in rows], [r[y] for r in rows], style, label=label)


def _lightkurve(ax, x, y, which):
    for name, v in LIGHTKURVE.items():
        if name in which:
            ax.plot(v[x], v[y], "kx", markersize=8)
            ax.annotate(f"lightkurve\n{name}", (v[x], v[y]), fontsize=6,
                        textcoords="offset points", xytext=(4, 4))


def plot_cadences(rows, out: Path, load: str) -> None:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    (view, step), (memory, serve) = axes
    for stamp, colour in (("11x11", "tab:blue"), ("13x13", "tab:orange")):
        family = [r for r in rows if r["family"] == "cadences" and r["stamp"] == stamp]
        if not family:
            continue
        _panel(view, family, "cadences", "cold_s", f"{stamp} cold", "o-")
        view.lines[-1].set_color(colour)
        _panel(view, family, "cadences", "warm_s", f"{stamp} warm", "s--")
        view.lines[-1].set_color(colour)
        _panel(step, family, "cadences", "paint_p50_ms", f"{stamp} p50", "o-")
        step.lines[-1].set_color(colour)
        _panel(step, family, "cadences", "paint_p90_ms", f"{stamp} p90", "s--")
        step.lines[-1].set_color(colour)
        _panel(memory, family, "cadences", "rss_mib", f"{stamp} after stepping", "o-")
        memory.lines[-1].set_color(colour)
        _panel(memory, family, "cadences", "budget_mib", f"{stamp} budget (1.5 x cube + 100)",
               ":")
        memory.lines[-1].set_color(colour)
        _panel(serve, family, "cadences", "startup_s", stamp, "o-")
        serve.lines[-1].set_color(colour)
    _lightkurve(axes, "cadences", ("TESS-like 11x11, 20,000", "Kepler-10 9x7, 1,021"),
                "lightkurve interact()")
    view.axhline(1.0, color="grey", linestyle=":", linewidth=1)
    view.annotate("target: 1.0 s at 20,000 (cold)", (1000, 1.0), fontsize=7, color="grey")
    view.plot([120_000], [2.0], marker="_", color="grey", markersize=20)
    step.axhline(20, color="grey", linestyle=":", linewidth=1)
    serve.axhline(5, color="grey", linestyle=":", linewidth=1)
    _finish(fig, axes, "cadences",
            f"Against the number of cadences (TESS-like files; {load})", out)


def plot_stamps(rows, out: Path, load: str) -> None:
    import matplotlib.pyplot as plt

    family = [r for r in rows if r["family"] == "stamp"]
    if not family:
        return
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    (view, step), (memory, serve) = axes
    _panel(view, family, "pixels", "cold_s", "cold", "o-")
    _panel(view, family, "pixels", "warm_s", "warm", "s--")
    _panel(step, family, "pixels", "paint_p50_ms", "p50", "o-")
    _panel(step, family, "pixels", "paint_p90_ms", "p90", "s--")
    _panel(memory, family, "pixels", "rss_mib", "after stepping", "o-")
    _panel(memory, family, "pixels", "budget_mib", "budget (1.5 x cube + 100)", ":")
    _panel(serve, family, "pixels", "startup_s", "serving after", "o-")
    _lightkurve(axes, "pixels", ("K2-like 50x50, 4,000", "TESS-like 11x11, 20,000"),
                "lightkurve interact() (20,000 / 4,000 cad.)")
    step.axhline(30, color="grey", linestyle=":", linewidth=1)
    step.annotate("target at 100x100: 30 ms", (100, 30), fontsize=7, color="grey")
    _finish(fig, axes, "pixels in the stamp",
            f"Against the stamp's size (3,500 cadences; {load})", out)


def _lightkurve(axes, x_key: str, which: tuple, label: str) -> None:
    """lightkurve interact()'s figures (field notes) as crosses on the view, step and RSS panels."""
    (view, step), (memory, _) = axes
    for ax, key in ((view, "view"), (step, "step"), (memory, "rss")):
        x = [v[x_key] for n, v in LIGHTKURVE.items() if n in which]
        y = [v[key] for n, v in LIGHTKURVE.items() if n in which]
        ax.plot(x, y, "kx", markersize=8, label=label)


def _finish(fig, axes, xlabel: str, title: str, out: Path) -> None:
    """The four panels' titles, units and log x axis; the figure written to ``out``."""
    import matplotlib.pyplot as plt

    (view, step), (memory, serve) = axes
    for ax, name, unit in ((view, "First view", "s"), (step, "Key press to painted frame", "ms"),
                           (memory, "Server RSS after stepping through every frame", "MiB"),
                           (serve, "python -m dashboard FILE: serving after", "s")):
        ax.set_xscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(unit)
        ax.set_title(name, fontsize=10)
        ax.legend(fontsize=7)
        ax.set_ylim(bottom=0)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, help="bench/scale.py --json output")
    parser.add_argument("folder", type=Path, help="where to write the PNGs")
    args = parser.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    data = json.loads(args.results.read_text())
    load = (f"load average {data['load_before'][0]:.1f} before, {data['load_after'][0]:.1f} "
            "after: other work shared the 2 cores")
    args.folder.mkdir(parents=True, exist_ok=True)
    plot_cadences(data["rows"], args.folder / "scale-cadences.png", load)
    plot_stamps(data["rows"], args.folder / "scale-stamps.png", load)
    print(f"wrote {args.folder / 'scale-cadences.png'} and {args.folder / 'scale-stamps.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
