"""The archive search panel (placeholder until the archive UI lands)."""

from __future__ import annotations

from dash import html


def archive_panel() -> html.Div:
    return html.Div(id="archive-panel", className="archive-panel")
