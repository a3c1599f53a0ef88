"""Pieces of the archive job (callbacks/archive.py): the results table it draws, download
progress that also records partial files, and their removal after a cancel."""

from __future__ import annotations

import os
import time
from pathlib import Path

from dash import html

from ..data.archive_products import ArchiveProduct, exposure_text

_CELL = {"padding": "2px 10px", "textAlign": "left"}


def tess_possible(target, mission) -> bool:
    if mission not in (None, "", "TESS"):
        return False
    if target.kind == "id":
        return "tic" in target.candidates
    return target.kind in ("tic", "name", "coordinates")


def size_text(size: int | None) -> str:
    if not size:
        return "size unknown"
    return f"{size / 2**20:,.1f} MB" if size >= 2**20 else f"{size / 1024:,.0f} KB"


def results_table(products: list[dict], label: str) -> html.Div:
    """The files found, one row each; the row's Open button downloads (or reuses) and opens it."""
    cone = any(p.get("distance_arcsec") for p in products)
    head = ["Mission", "Quarter / campaign / sector", "Exposure", "Author", "Size", "Target"]
    if cone:
        head.append("Distance")
    rows = []
    for i, p in enumerate(products):
        cells = [p["mission"], p["period_label"], exposure_text(p["exposure_s"]), p["author"],
                 size_text(p["size_bytes"]), p["target_name"]]
        if cone:
            cells.append(f"{p['distance_arcsec']:.1f}″")
        rows.append(html.Tr(className="archive-row", title=p["filename"], children=[
            *[html.Td(c, style=_CELL) for c in cells],
            html.Td(html.Button("Open", id={"type": "archive-open", "index": i},
                                className="archive-open", n_clicks=0,
                                title=f"Download (or reuse the cached copy) and open "
                                      f"{p['filename']}"), style=_CELL),
        ]))
    return html.Div([
        html.Div(f"{len(products)} target pixel file{'s' if len(products) != 1 else ''} of "
                 f"{label} at MAST; pick one to open it:", className="archive-caption"),
        html.Table(className="archive-table", style={"borderCollapse": "collapse"}, children=[
            html.Thead(html.Tr([html.Th(h, style=_CELL) for h in head] + [html.Th("")])),
            html.Tbody(rows),
        ]),
    ])


def _size(done: int) -> str:
    return f"{done / 2**20:,.1f} MB"


def reporter(set_progress, product: ArchiveProduct, handle, directory: Path, prefix: str):
    """A DownloadCache progress function: throttled progress, and a record of the temporary
    file so that a cancelled (killed) job's partial download can be removed."""
    before = set(directory.glob(".incoming-*"))
    last = [0.0, False]

    def report(done: int, total: int | None) -> None:
        if not last[1]:
            last[1] = True
            mine = [str(p) for p in set(directory.glob(".incoming-*")) - before]
            handle.set(prefix + str(os.getpid()), mine, expire=24 * 3600)
        now = time.monotonic()
        if now - last[0] < 0.2 and (total is None or done < total):
            return
        last[0] = now
        if total:
            set_progress((f"{min(100, 100 * done / total):.0f}",
                          f"Downloading {product.filename}: {_size(done)} of {_size(total)}",
                          False))
        else:
            set_progress((None, f"Downloading {product.filename}: {_size(done)}", False))
    return report


def remove_partials(handle, prefix: str) -> bool:
    """Delete the temporary files of download jobs that are gone; True if some still run."""
    import psutil  # noqa: PLC0415

    waiting = False
    for key in list(handle.iterkeys()):
        if not str(key).startswith(prefix):
            continue
        pid = int(str(key)[len(prefix):])
        try:
            alive = psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            alive = False
        if alive:
            waiting = True
            continue
        for name in handle.get(key) or []:
            Path(name).unlink(missing_ok=True)
        handle.delete(key)
    return waiting
