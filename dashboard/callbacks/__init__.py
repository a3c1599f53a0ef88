"""Callbacks: thin adapters between the page and the view layer (dashboard/view).

Every Dash property has exactly one writer; README's "Who writes what" lists them.
"""

from __future__ import annotations

from . import (
    archive,
    blips,
    browser,
    curve,
    custom,
    diagnostics,
    exports,
    files,
    frames,
    notes,
    pixels,
    sky,
    view,
)


def register(app, store, settings) -> None:
    view.register(app, store, settings)
    files.register(app, store, settings)
    custom.register(app, store, settings)
    curve.register(app, store)
    pixels.register(app, store)
    frames.register(app, store)
    diagnostics.register(app, store)
    notes.register(app, store)
    exports.register(app, store, settings)
    archive.register(app, store, settings)
    blips.register(app, store)
    sky.register(app, store, settings)
    browser.register(app)
