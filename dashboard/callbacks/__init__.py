"""Callbacks: thin glue that reads the cached store and calls the figures layer."""

from __future__ import annotations

from . import analysis, aperture, archive, custom, files, frame_source, frames, navigation, share


def register(app, store, settings) -> None:
    files.register(app, store, settings)
    custom.register(app, store, settings)
    aperture.register(app, store)
    analysis.register(app, store, settings)
    frames.register(app, store)
    frame_source.register(app, store)
    navigation.register(app)
    archive.register(app, store, settings)
    share.register(app, store, settings)
