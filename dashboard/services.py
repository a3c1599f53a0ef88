"""The outside services as the settings configure them (the page's callbacks and the command
line build them the same way)."""

from __future__ import annotations

from .data.archive import MAST_SERVER, RESOLVER_URL, MastArchive
from .data.downloads import DownloadCache
from .settings import Settings


def gaia(settings: Settings, cache=None):
    """Gaia DR3 through VizieR, where the settings say, with their timeout."""
    from .data.sky import GaiaDR3

    return GaiaDR3(url=settings.vizier_url, timeout=settings.catalog_timeout, cache=cache)


def tic(settings: Settings, cache=None):
    from .data.sky import TessInputCatalog

    return TessInputCatalog(url=settings.mast_catalogs_url, timeout=settings.catalog_timeout,
                            cache=cache)


def skybot(settings: Settings, cache=None):
    from .data.sky import SkyBoT

    return SkyBoT(url=settings.skybot_url, timeout=settings.catalog_timeout, cache=cache)


def download_cache(settings: Settings) -> DownloadCache:
    return DownloadCache(settings.cache_dir / "downloads",
                         max_bytes=int(settings.download_cache_mb * 2**20),
                         max_unpacked=settings.max_unpacked_bytes)


def make_archive(settings: Settings) -> MastArchive:
    """MAST (or the mirror or stand-in the settings name), with the settings' timeout."""
    return MastArchive(download_cache(settings), timeout=settings.archive_timeout,
                       server=settings.mast_url or MAST_SERVER,
                       resolver_url=settings.mast_resolver_url or RESOLVER_URL)
