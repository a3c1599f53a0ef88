"""The cached store of opened target pixel files, keyed by file id.

A file id is the first 20 hex digits of the SHA-256 of the file's (decompressed or not) bytes
as received, so the same file uploaded twice, by anyone, is one entry. The bytes are kept under
``<directory>/tpf/<id>.fits`` so that any worker process can reopen a file another worker
received; each process keeps the most recently used files opened in memory (an LRU of
``max_open`` entries). Nothing a user typed or uploaded ever becomes part of a path: only ids
that match the id pattern are looked up.

Small derived results (light curves, stretch levels) can be shared between workers through an
optional ``shared`` cache with ``get``/``set`` (a flask-caching ``Cache`` or a cachelib backend).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

from .errors import DataError
from .tpf import TargetPixelFile, open_tpf

_ID = re.compile(r"[0-9a-f]{20}")


def _check_id(fid) -> None:
    """Only ids of the store's own shape are looked up: nothing else reaches a path."""
    if not isinstance(fid, str) or not _ID.fullmatch(fid):
        raise DataError("That file reference is not valid; open the file again.")


def file_id(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:20]


class TPFStore:
    def __init__(self, directory: str | os.PathLike, max_open: int = 8, shared=None,
                 namespace: str = "tpf"):
        self.directory = Path(directory) / "tpf"
        self.namespace = namespace  # include the code version: derived results change with it
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_open = max_open
        self.shared = shared
        self._open: OrderedDict[str, TargetPixelFile] = OrderedDict()
        self._derived: OrderedDict[str, object] = OrderedDict()  # per process, in front of shared
        self._lock = threading.Lock()

    def add(self, data: bytes, filename: str) -> str:
        """Open ``data`` (raising DataError if it is not a TPF), keep it, and return its id."""
        fid = file_id(data)
        with self._lock:
            if fid in self._open:
                self._open.move_to_end(fid)
                return fid
        tpf = open_tpf(data, filename=filename)
        path = self._path(fid)
        if not path.exists():
            _write_atomically(path, data)
            _write_atomically(path.with_suffix(".json"),
                              json.dumps({"filename": filename}).encode())
        self._remember(fid, tpf)
        return fid

    def get(self, fid: str) -> TargetPixelFile:
        """The opened file for an id, reopening it from disk if this process has not got it."""
        _check_id(fid)
        with self._lock:
            tpf = self._open.get(fid)
            if tpf is not None:
                self._open.move_to_end(fid)
                return tpf
        path = self._path(fid)
        if not path.exists():
            raise DataError("That file is no longer in the server's cache; open it again.")
        try:
            filename = json.loads(path.with_suffix(".json").read_text())["filename"]
        except (OSError, ValueError, KeyError):
            filename = "cached file"
        tpf = open_tpf(path, filename=filename)
        self._remember(fid, tpf)
        return tpf

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
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def default_cache_dir() -> Path:
    """``$TPF_DASHBOARD_CACHE``, else ``$XDG_CACHE_HOME/tpf-dashboard`` (``~/.cache/...``)."""
    if os.environ.get("TPF_DASHBOARD_CACHE"):
        return Path(os.environ["TPF_DASHBOARD_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tpf-dashboard"
