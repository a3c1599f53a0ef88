"""Archive search and download callbacks (placeholder until the archive UI lands)."""

from __future__ import annotations


def register(app, store, settings) -> None:
    return None
