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

Small derived results (light curves, stretch levels) can be shared between workers through an
optional ``shared`` cache with ``get``/``set`` (a flask-caching ``Cache`` or a cachelib backend).
It is wrapped in a :class:`FailSoftCache`: if its server (Redis) goes away, lookups are misses,
logged once, and results are computed from the files in this process.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
from collections import OrderedDict
from pathlib import Path

from . import arrays
from .errors import DataError
from .shared_cache import FailSoftCache
from .tpf import TargetPixelFile, open_tpf

log = logging.getLogger(__name__)

_ID = re.compile(r"[0-9a-f]{20}")


def _check_id(fid) -> None:
    """Only ids of the store's own shape are looked up: nothing else reaches a path."""
    if not isinstance(fid, str) or not _ID.fullmatch(fid):
        raise DataError("That file reference is not valid; open the file again.")


def file_id(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:20]


class TPFStore:
    def __init__(self, directory: str | os.PathLike, max_open: int = 8, shared=None,
                 namespace: str = "tpf", max_unpacked: int | None = None):
        self.directory = Path(directory) / "tpf"
        self.namespace = namespace  # include the code version: derived results change with it
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_open = max_open
        self.max_unpacked = max_unpacked  # a .fits.gz may unpack to at most this (None: 2000 MB)
        if shared is not None and not isinstance(shared, FailSoftCache):
            shared = FailSoftCache(shared)
        self.shared = shared
        self._open: OrderedDict[str, TargetPixelFile] = OrderedDict()
        self._derived: OrderedDict[str, object] = OrderedDict()  # per process, in front of shared
        self._lock = threading.Lock()
        # Threads opening the same id wait for each other instead of decoding it twice.
        self._id_locks = [threading.Lock() for _ in range(16)]

    def add(self, data: bytes, filename: str) -> str:
        """Open ``data`` (raising DataError if it is not a TPF), keep it, and return its id.

        The same bytes added at once by several threads or processes make one entry: the id
        is the content's, and every file is renamed into place whole."""
        fid = file_id(data)
        if self._opened(fid) is not None:
            return fid
        with self._id_lock(fid):
            if self._opened(fid) is not None:
                return fid
            tpf = arrays.load(self.directory, fid, self.namespace, filename)
            if tpf is None:
                decoded = open_tpf(data, filename=filename, max_bytes=self.max_unpacked)
                path = self._path(fid)
                if not path.exists():
                    _write_atomically(path, data)
                    _write_atomically(path.with_suffix(".json"),
                                      json.dumps({"filename": filename}).encode())
                tpf = self._convert(fid, decoded)
            self._remember(fid, tpf)
        return fid

    def get(self, fid: str) -> TargetPixelFile:
        """The opened file for an id, reopening it from disk if this process has not got it."""
        _check_id(fid)
        tpf = self._opened(fid)
        if tpf is not None:
            return tpf
        with self._id_lock(fid):
            tpf = self._opened(fid)
            if tpf is not None:
                return tpf
            tpf = arrays.load(self.directory, fid, self.namespace)
            if tpf is None:
                tpf = self._convert(fid, self._decode(fid))
            self._remember(fid, tpf)
        return tpf

    def _decode(self, fid: str) -> TargetPixelFile:
        path = self._path(fid)
        if not path.exists():
            raise DataError("That file is no longer in the server's cache; open it again.")
        try:
            filename = json.loads(path.with_suffix(".json").read_text())["filename"]
        except (OSError, ValueError, KeyError):
            filename = "cached file"
        return open_tpf(path, filename=filename, max_bytes=self.max_unpacked)

    def _convert(self, fid: str, decoded: TargetPixelFile) -> TargetPixelFile:
        """Write ``decoded``'s arrays for every process and return the memory-mapped copy (the
        decoded one if the arrays cannot be written: it still works, in this process)."""
        try:
            arrays.save(self.directory, fid, decoded, self.namespace)
        except OSError as exc:
            log.warning("could not write the arrays of %s (%s); keeping it in memory", fid, exc)
            return decoded
        mapped = arrays.load(self.directory, fid, self.namespace, decoded.filename)
        return decoded if mapped is None else mapped

    def opened(self) -> list[str]:
        """Ids of the files this process holds opened, least recently used first."""
        with self._lock:
            return list(self._open)

    def _opened(self, fid: str) -> TargetPixelFile | None:
        with self._lock:
            tpf = self._open.get(fid)
            if tpf is not None:
                self._open.move_to_end(fid)
            return tpf

    def _id_lock(self, fid: str) -> threading.Lock:
        return self._id_locks[int(fid[:4], 16) % len(self._id_locks)]

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
            value = compute(self.get(fid))
            if share and self.shared is not None:
                self.shared.set(key, value)
        with self._lock:
            self._derived[key] = value
            while len(self._derived) > 16 * self.max_open:
                self._derived.popitem(last=False)
        return value

    def put_blob(self, data: bytes, kind: str, name: str) -> str:
        """Keep bytes that are not a TPF (an uploaded light curve) by content id."""
        fid = file_id(data)
        path = self.directory.parent / kind / f"{fid}.bin"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomically(path, data)
            _write_atomically(path.with_suffix(".json"), json.dumps({"filename": name}).encode())
        return fid

    def get_blob(self, fid: str, kind: str) -> tuple[bytes, str]:
        _check_id(fid)
        path = self.directory.parent / kind / f"{fid}.bin"
        try:
            data = path.read_bytes()
        except OSError:
            raise DataError("That file is no longer in the server's cache; "
                            "upload it again.") from None
        try:
            name = json.loads(path.with_suffix(".json").read_text())["filename"]
        except (OSError, ValueError, KeyError):
            name = "uploaded file"
        return data, name

    def _remember(self, fid: str, tpf: TargetPixelFile) -> None:
        with self._lock:
            self._open[fid] = tpf
            self._open.move_to_end(fid)
            while len(self._open) > self.max_open:
                self._open.popitem(last=False)

    def _path(self, fid: str) -> Path:
        return self.directory / f"{fid}.fits"


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename: readers never see half a file."""
    arrays.write_atomically(path, lambda out: out.write(data))
