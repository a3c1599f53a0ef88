"""The download cache: files fetched from the archive, kept on disk with a size limit.

A file counts as cached only once it is complete and opens as a target pixel file: it is
written to a temporary file in the cache folder, checked with :func:`open_tpf`, then renamed
into place (a rename within one folder is atomic, so no reader ever sees half a file). A
failed, interrupted or unreadable download leaves nothing behind.

Entries are named by the SHA-256 of their key (e.g. the product's dataURI), so nothing a user
typed becomes part of a path. Least-recently-used entries are deleted to keep the folder under
``max_bytes``; "used" is the file's modification time, which :meth:`DownloadCache.get` touches,
so every worker process sharing the folder sees the same order without an index to lock.

The folder and the limit are the caller's (dashboard/settings.py: ``<cache_dir>/downloads``
and ``download_cache_mb``, 2000 MB by default).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from .errors import DataError
from .tpf import open_tpf

DEFAULT_MAX_MB = 2000
_SUFFIXES = (".fits", ".fits.gz")
_TEMPORARY_PREFIX = ".incoming-"
# A temporary file this old belongs to a process that died mid-download; it is removed.
_STALE_TEMPORARY_S = 3600

Progress = Callable[[int, int | None], None]  # (bytes so far, total bytes or None)


class DownloadInterrupted(DataError):
    """The archive stopped sending before the whole file arrived."""


def cache_key_name(key: str) -> str:
    """The file name stem for a key: 32 hex digits, whatever characters the key holds."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


class DownloadCache:
    """Verified target pixel files by key, in one folder, kept under ``max_bytes`` in total."""

    def __init__(self, directory: str | os.PathLike, max_bytes: int = DEFAULT_MAX_MB * 2**20,
                 max_unpacked: int | None = None):
        self.directory = Path(directory)
        self.max_bytes = int(max_bytes)
        self.max_unpacked = max_unpacked  # the check's cap on a .fits.gz (None: 2000 MB)
        self.directory.mkdir(parents=True, exist_ok=True)

    def get(self, key: str) -> Path | None:
        """The cached file for ``key`` (marked as just used), or None. Never touches the network."""
        for path in self._candidates(key):
            try:
                os.utime(path)  # last access, for least-recently-used eviction
            except FileNotFoundError:
                continue  # evicted by another process between the listing and now
            return path
        return None

    def put_bytes(self, key: str, data: bytes, filename: str) -> Path:
        """Keep ``data`` under ``key`` after checking it opens; return the cached path."""
        return self.put_stream(key, [data], filename, total=len(data))

    def put_stream(self, key: str, chunks: Iterable[bytes], filename: str,
                   total: int | None = None, progress: Progress | None = None) -> Path:
        """Write ``chunks`` to a temporary file, verify it, then rename it into the cache.

        ``total`` is the expected size (from Content-Length or the archive's listing); fewer
        bytes raise :class:`DownloadInterrupted`. ``progress(done, total)`` is called after each
        chunk; if it raises (e.g. the user cancelled), the partial file is removed and the
        exception propagates. Whatever goes wrong, nothing is left in the cache.
        """
        final = self.directory / (cache_key_name(key) + _suffix(filename))
        handle, temporary_name = tempfile.mkstemp(dir=self.directory, prefix=_TEMPORARY_PREFIX)
        temporary = Path(temporary_name)
        try:
            done = 0
            with os.fdopen(handle, "wb") as out:
                for chunk in chunks:
                    if not chunk:
                        continue
                    out.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
            if total is not None and done < total:
                raise DownloadInterrupted(
                    f"The download of {filename} was interrupted after {done:,} of {total:,} "
                    "bytes; nothing was kept. Try again.")
            try:
                open_tpf(temporary, filename=filename, max_bytes=self.max_unpacked)
            except DataError as exc:
                raise DataError(f"The file downloaded from the archive is not usable and was not "
                                f"kept: {exc}") from None
            os.replace(temporary, final)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        self.evict(keep=final)
        return final

    def evict(self, keep: Path | None = None) -> list[Path]:
        """Delete least-recently-used entries until the total is at most ``max_bytes``.

        ``keep`` (the file just written) is never deleted, even if it alone is over the limit:
        the person asked for it and is about to look at it; it goes first next time.
        """
        self._remove_stale_temporaries()
        entries = []
        for path in self.entries():
            try:
                status = path.stat()
            except FileNotFoundError:
                continue
            entries.append((status.st_mtime, status.st_size, path))
        total = sum(size for _, size, _ in entries)
        removed = []
        for _, size, path in sorted(entries, key=lambda entry: entry[0]):
            if total <= self.max_bytes:
                break
            if keep is not None and path == keep:
                continue
            path.unlink(missing_ok=True)
            total -= size
            removed.append(path)
        return removed

    def entries(self) -> list[Path]:
        """The cached files (not temporary ones)."""
        return [path for path in self.directory.iterdir()
                if path.is_file() and not path.name.startswith(_TEMPORARY_PREFIX)
                and path.name.endswith(_SUFFIXES)]

    def total_bytes(self) -> int:
        return sum(path.stat().st_size for path in self.entries())

    def _candidates(self, key: str) -> list[Path]:
        stem = cache_key_name(key)
        return [self.directory / (stem + suffix) for suffix in _SUFFIXES
                if (self.directory / (stem + suffix)).is_file()]

    def _remove_stale_temporaries(self) -> None:
        cutoff = time.time() - _STALE_TEMPORARY_S
        for path in self.directory.glob(_TEMPORARY_PREFIX + "*"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
            except FileNotFoundError:
                pass


def _suffix(filename: str) -> str:
    # Only the two known suffixes are used, so the archive's file name never shapes a path.
    return ".fits.gz" if filename.lower().endswith(".gz") else ".fits"
