"""Sharing and export controls (placeholder until the share/export UI lands)."""

from __future__ import annotations

from dash import html


def share_panel() -> html.Div:
    return html.Div(id="share-panel", className="share-panel")
