"""Shareable links and exports (placeholder until the share/export UI lands)."""

from __future__ import annotations


def register(app, store, settings) -> None:
    return None
