"""The outside services as the settings configure them (the page's callbacks and the command
line build them the same way)."""

from __future__ import annotations

from .data.archive import MAST_SERVER, RESOLVER_URL, MastArchive
from .data.downloads import DownloadCache
from .settings import Settings


def download_cache(settings: Settings) -> DownloadCache:
    return DownloadCache(settings.cache_dir / "downloads",
                         max_bytes=int(settings.download_cache_mb * 2**20),
                         max_unpacked=settings.max_unpacked_bytes)


def make_archive(settings: Settings) -> MastArchive:
    """MAST (or the mirror or stand-in the settings name), with the settings' timeout."""
    return MastArchive(download_cache(settings), timeout=settings.archive_timeout,
                       server=settings.mast_url or MAST_SERVER,
                       resolver_url=settings.mast_resolver_url or RESOLVER_URL)
