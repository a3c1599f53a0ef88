"""The cached store of opened target pixel files, keyed by file id.

A file id is the first 20 hex digits of the SHA-256 of the file's (decompressed or not) bytes
as received, so the same file uploaded twice, by anyone, is one entry. The bytes are kept under
``<directory>/tpf/<id>.fits`` so that any worker process can reopen a file another worker
received; each process keeps the most recently used files opened in memory (an LRU of
``max_open`` entries). Nothing a user typed or uploaded ever becomes part of a path: only ids
that match the id pattern are looked up.

The first process to open a file also writes its arrays as native-endian ``.npy`` files (see
:mod:`.arrays`); every process then opens it from those, the pixel cubes memory-mapped, so the
workers of one host share one copy of each cube through the page cache and none decodes the
FITS again.

Servers that share no disk (several dynos) share files through an object store
(:mod:`.object_store`, ``objects``): a file received or downloaded is published there by its
id before the upload is answered, and a server asked for an id it has not got fetches it once
(threads of a process wait for one fetch, the processes of a server for each other through a
lock file) into its own folder, which then works as a cache: kept under ``max_local_bytes``,
least recently used out first (:mod:`.local_cache`). Files this process has opened and its own
source (``add(..., local=True)``) are never evicted. Without an object store the folder is all
there is, and an evicted file must be opened again.

Small derived results (light curves, stretch levels) can be shared between workers through an
optional ``shared`` cache with ``get``/``set`` (a flask-caching ``Cache`` or a cachelib backend).
It is wrapped in a :class:`FailSoftCache`: if its server (Redis) goes away, lookups are misses,
logged once, and results are computed from the files in this process.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import threading
import time
from collections import OrderedDict
from pathlib import Path

from ..heap import return_freed_memory
from . import arrays, local_cache, tpf_stream
from .errors import DataError, reading
from .object_store import ObjectStore, file_id, path_file_id
from .shared_cache import FailSoftCache
from .store_sharing import SharedFiles, check_id, write_atomically, write_name
from .tpf import TargetPixelFile, open_tpf

log = logging.getLogger(__name__)

__all__ = ["TPFStore", "file_id"]

TPF_KIND = "tpf"  # the object store's kind for target pixel files
_GONE = "That file is no longer in the server's cache; open it again."
_TOUCH_EVERY_S = 60.0  # an entry served from memory is marked used on disk this often



class TPFStore(SharedFiles):
    def __init__(self, directory: str | os.PathLike, max_open: int = 8, shared=None,
                 namespace: str = "tpf", max_unpacked: int | None = None,
                 objects: ObjectStore | None = None, max_local_bytes: int | None = None):
        self.directory = Path(directory) / "tpf"
        self.namespace = namespace  # include the code version: derived results change with it
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_open = max_open
        self.max_unpacked = max_unpacked  # a .fits.gz may unpack to at most this (None: 2000 MB)
        self.objects = objects  # None: this server's folder is the only copy
        self.max_local_bytes = max_local_bytes  # None: the folder is not bounded
        if shared is not None and not isinstance(shared, FailSoftCache):
            shared = FailSoftCache(shared)
        self.shared = shared
        self._open: OrderedDict[str, TargetPixelFile] = OrderedDict()
        self._derived: OrderedDict[str, object] = OrderedDict()  # per process, in front of shared
        self._lock = threading.Lock()
        # Threads opening the same id wait for each other instead of decoding it twice.
        self._busy: dict[str, list] = {}
        self._pinned: set[str] = set()
        self._touched: dict[str, float] = {}

    def add(self, data: bytes, filename: str, *, local: bool = False) -> str:
        """Open ``data`` (raising DataError if it is not a TPF), keep it, and return its id.

        The same bytes added at once by several threads or processes make one entry: the id
        is the content's, and every file is renamed into place whole. With an object store
        the file is published there too, and DataError says so if it cannot be; ``local``
        (the server's own source, which every server opens itself) keeps it here only, never
        evicted."""
        fid = file_id(data)
        if self._opened(fid) is None:
            with self._one_at_a_time(fid):
                if self._opened(fid) is None:
                    tpf = self._load_arrays(fid, filename)
                    if tpf is None:
                        decoded = open_tpf(data, filename=filename, max_bytes=self.max_unpacked)
                        path = self._path(fid)
                        if not path.exists():
                            write_atomically(path, data)
                            write_name(path, filename)
                        tpf = self._convert(fid, decoded)
                    self._remember(fid, tpf)
        if local:
            self._pinned.add(fid)
        else:
            self._publish(TPF_KIND, fid, data, filename)
        return fid

    def add_file(self, path: str | os.PathLike, filename: str, *, fid: str | None = None,
                 move: bool = False, local: bool = False) -> str:
        """Open the file at ``path`` like :meth:`add`, reading it in pieces: memory stays a
        few megabytes above the arrays kept, whatever the file's size (data/tpf_stream.py;
        compressed and unusual files are read whole). ``fid``: its id if already known (an
        upload hashed as it arrived). ``move``: the file is the store's to keep (it is
        renamed into place, not copied; it is removed if it is refused). ``local`` as for
        :meth:`add`; otherwise the kept copy is published to the object store, streamed."""
        path = Path(path)
        try:
            with reading(path):
                if fid is None:
                    fid = path_file_id(path)
                if self._opened(fid) is None:
                    with self._one_at_a_time(fid):
                        if self._opened(fid) is None:
                            tpf = self._load_arrays(fid, filename)
                            if tpf is None:
                                tpf = self._open_path(fid, path, filename)
                                self._keep_file(fid, path, filename, move)
                            self._remember(fid, tpf)
        finally:
            if move:
                path.unlink(missing_ok=True)
        if local:
            self._pinned.add(fid)
        else:
            self._publish(TPF_KIND, fid, self._path(fid), filename)
        return fid

    def _open_path(self, fid: str, path: Path, filename: str) -> TargetPixelFile:
        """Decode the file at ``path`` into this store's arrays for ``fid`` (in pieces when
        it can be) and return them memory-mapped."""
        try:
            decoded = tpf_stream.open_in_pieces(path, filename, self.directory, fid)
        except tpf_stream.Unsupported:
            decoded = open_tpf(path, filename=filename, max_bytes=self.max_unpacked)
        except DataError:
            for name in tpf_stream.CUBES.values():  # pieces written before it was refused
                arrays.array_path(self.directory, fid, name).unlink(missing_ok=True)
            raise
        try:
            return self._convert(fid, decoded)
        finally:
            del decoded
            return_freed_memory()

    def _keep_file(self, fid: str, path: Path, filename: str, move: bool) -> None:
        stored = self._path(fid)
        if not stored.exists():
            if move:
                os.replace(path, stored)
            else:
                arrays.write_atomically(stored, lambda out: _copy_into(path, out))
        write_name(stored, filename)

    def get(self, fid: str) -> TargetPixelFile:
        """The opened file for an id: from this process's memory, this server's folder, or
        fetched from the object store (once, whoever else asks meanwhile)."""
        check_id(fid)
        tpf = self._opened(fid)
        if tpf is not None:
            return tpf
        with self._one_at_a_time(fid):
            tpf = self._opened(fid)
            if tpf is not None:
                return tpf
            tpf = self._load_local(fid)
            if tpf is None:
                if self.objects is None:
                    raise DataError(_GONE)
                with local_cache.process_lock(self._lock_path(self.directory, fid),
                                              self._lock_wait()):
                    # Another process of this server may have fetched it while we waited.
                    tpf = self._load_local(fid)
                    if tpf is None:
                        self._fetch(TPF_KIND, fid, self._path(fid), _GONE)
                        tpf = self._load_local(fid)
                if tpf is None:
                    raise DataError(_GONE)
            self._remember(fid, tpf)
        return tpf

    def _load_local(self, fid: str) -> TargetPixelFile | None:
        """The file from this server's folder: its arrays, else its bytes decoded (in pieces,
        and the arrays written); None if the folder has neither."""
        tpf = self._load_arrays(fid)
        if tpf is not None:
            return tpf
        path = self._path(fid)
        if not path.exists():
            return None
        try:
            filename = json.loads(path.with_suffix(".json").read_text())["filename"]
        except (OSError, ValueError, KeyError):
            filename = "cached file"
        try:
            return self._open_path(fid, path, filename)
        except DataError:
            if path.exists():
                raise
            return None  # evicted by another process between the check and the read

    def _load_arrays(self, fid: str, filename: str | None = None) -> TargetPixelFile | None:
        tpf = arrays.load(self.directory, fid, self.namespace, filename)
        if tpf is not None:
            local_cache.touch(self.directory, fid)
            with self._lock:
                self._touched[fid] = time.monotonic()
        return tpf

    def _convert(self, fid: str, decoded: TargetPixelFile) -> TargetPixelFile:
        """Write ``decoded``'s arrays for every process and return the memory-mapped copy (the
        decoded one if the arrays cannot be written: it still works, in this process). The
        folder has grown: least recently used entries go if it is over its bound."""
        try:
            arrays.save(self.directory, fid, decoded, self.namespace)
        except OSError as exc:
            log.warning("could not write the arrays of %s (%s); keeping it in memory", fid, exc)
            return decoded
        finally:
            self._evict(fid)
        mapped = arrays.load(self.directory, fid, self.namespace, decoded.filename)
        return decoded if mapped is None else mapped

    def opened(self) -> list[str]:
        """Ids of the files this process holds opened, least recently used first."""
        with self._lock:
            return list(self._open)

    def _opened(self, fid: str) -> TargetPixelFile | None:
        with self._lock:
            tpf = self._open.get(fid)
            if tpf is None:
                return None
            self._open.move_to_end(fid)
            now = time.monotonic()
            stale = now - self._touched.get(fid, 0.0) > _TOUCH_EVERY_S
            if stale:
                self._touched[fid] = now
        if stale:  # served from memory: still in use, as the folder's LRU order must know
            local_cache.touch(self.directory, fid)
        return tpf

    @contextlib.contextmanager
    def _one_at_a_time(self, fid: str):
        """One thread of this process at a time works on ``fid``; others wait, not others'
        files (a slow fetch of one file holds up no other)."""
        with self._lock:
            entry = self._busy.setdefault(fid, [threading.Lock(), 0])
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._lock:
                entry[1] -= 1
                if entry[1] == 0:
                    del self._busy[fid]

    def derived(self, fid: str, name: str, compute, share: bool = True):
        """A result derived from file ``fid``, computed once per process and, with ``share``,
        once for all workers (through the shared cache). Steps read these every cadence, so
        the per-process copy answers first."""
        key = f"{self.namespace}:{fid}:{name}"
        with self._lock:
            if key in self._derived:
                self._derived.move_to_end(key)
                return self._derived[key]
        value = self.shared.get(key) if share and self.shared is not None else None
        if value is None:
            tpf = self.get(fid)
            value = compute(tpf)
            # A whole-cube pass over a cube nobody steps through leaves every page of it in
            # this worker's memory: let them go (FLUX is stepped through; it stays).
            arrays.release_pages(tpf.flux_bkg)
            arrays.release_pages(tpf.flux_err)
            if share and self.shared is not None:
                self.shared.set(key, value)
        with self._lock:
            self._derived[key] = value
            while len(self._derived) > 16 * self.max_open:
                self._derived.popitem(last=False)
        return value

    # -- this server's folder -----------------------------------------------------------------

    def _evict(self, just_used: str) -> None:
        if self.max_local_bytes is None:
            return
        with self._lock:
            keep = {just_used, *self._open, *self._pinned}
        for fid in local_cache.evict(self.directory, self.max_local_bytes, keep):
            with self._lock:
                self._touched.pop(fid, None)
            self._lock_path(self.directory, fid).unlink(missing_ok=True)

    def _remember(self, fid: str, tpf: TargetPixelFile) -> None:
        with self._lock:
            # Its entry was just written or touched: the first steps from memory need not.
            self._touched[fid] = time.monotonic()
            self._open[fid] = tpf
            self._open.move_to_end(fid)
            while len(self._open) > self.max_open:
                self._open.popitem(last=False)

    def _path(self, fid: str) -> Path:
        return self.directory / f"{fid}.fits"


def _copy_into(source: Path, out) -> None:
    with open(source, "rb") as handle:
        shutil.copyfileobj(handle, out, 2**20)
