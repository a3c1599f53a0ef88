"""The store's folder on this server's own disk, kept under a size bound, least recently used
out first; and the lock that lets one process of a server fetch a file while the others wait.

An entry is every file named ``<id>.*`` in the folder (the received bytes, their name, the
arrays and their manifest, see :mod:`.arrays`). "Used" is the modification time of the entry's
manifest (``<id>.tpf.json``), which the store touches when it opens the entry, so every process
sharing the folder sees one order without an index to lock. An entry is removed manifest first:
a reader that still finds the manifest finds complete arrays, and one that finds none converts
or fetches the file again. A process that has the entry's cubes memory-mapped keeps them: the
pages of a deleted file stay readable until they are unmapped.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import time
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

_ENTRY = re.compile(r"([0-9a-f]{20})\.(.+)")
MANIFEST = "tpf.json"
TEMPORARY_PREFIX = ".incoming-"
_STALE_TEMPORARY_S = 3600  # older, a temporary file belongs to a process that died mid-write


def entries(directory: Path) -> dict[str, list[os.DirEntry]]:
    """{id: its files} in ``directory``."""
    found: dict[str, list[os.DirEntry]] = {}
    with contextlib.suppress(FileNotFoundError), os.scandir(directory) as listing:
        for item in listing:
            match = _ENTRY.fullmatch(item.name)
            if match and item.is_file(follow_symlinks=False):
                found.setdefault(match.group(1), []).append(item)
    return found


def touch(directory: Path, fid: str) -> None:
    """Mark the entry as just used."""
    with contextlib.suppress(OSError):
        os.utime(directory / f"{fid}.{MANIFEST}")


def evict(directory: Path, max_bytes: int, keep: Iterable[str] = ()) -> list[str]:
    """Remove least recently used entries until the folder holds at most ``max_bytes``; the
    ids in ``keep`` (in use, or pinned) stay even if they alone are over. Returns the ids
    removed."""
    keep = set(keep)
    remove_stale_temporaries(directory)
    sized = []
    total = 0
    for fid, files in entries(directory).items():
        size, newest, manifest = 0, 0.0, None
        for item in files:
            try:
                status = item.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            size += status.st_size
            newest = max(newest, status.st_mtime)
            if item.name.endswith("." + MANIFEST):
                manifest = status.st_mtime
        used = newest if manifest is None else manifest
        total += size
        sized.append((used, fid, size, files))
    removed = []
    for _, fid, size, files in sorted(sized, key=lambda entry: entry[0]):
        if total <= max_bytes:
            break
        if fid in keep:
            continue
        # The manifest first: no reader trusts arrays whose entry is going.
        for item in sorted(files, key=lambda f: not f.name.endswith("." + MANIFEST)):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(item.path)
        total -= size
        removed.append(fid)
    if removed:
        log.info("local cache %s over %.0f MB: removed %d least recently used file(s)",
                 directory, max_bytes / 2**20, len(removed))
    return removed


def remove_stale_temporaries(directory: Path) -> None:
    cutoff = time.time() - _STALE_TEMPORARY_S
    with contextlib.suppress(FileNotFoundError), os.scandir(directory) as listing:
        for item in listing:
            if not item.name.startswith(TEMPORARY_PREFIX):
                continue
            with contextlib.suppress(FileNotFoundError):
                if item.stat().st_mtime < cutoff:
                    os.unlink(item.path)


@contextlib.contextmanager
def process_lock(path: Path, wait: float):
    """Hold an exclusive lock on ``path`` (a lock file) among this server's processes, waiting
    at most ``wait`` seconds for it; yields whether it is held. Not getting it is safe (every
    file is renamed into place whole): at worst a file is fetched twice."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    held = False
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = True
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    log.warning("waited %.0f s for %s; going on without it", wait, path)
                    break
                time.sleep(0.02)
        yield held
    finally:
        if held:
            fcntl.flock(handle, fcntl.LOCK_UN)
        os.close(handle)
