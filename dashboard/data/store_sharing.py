"""What the store shares through an object store (several servers that share no disk), and
the small files it keeps beside target pixel files (blobs: an uploaded light curve).

:class:`SharedFiles` is a part of :class:`.store.TPFStore` (its base class): it publishes a
received file by its id and fetches one this server has not got, whole and checked or not at
all. It uses the store's ``objects`` (an :class:`.object_store.ObjectStore` or None),
``directory`` and ``_one_at_a_time``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from . import arrays, local_cache
from .errors import DataError
from .object_store import StoreUnavailable, file_id

_ID = re.compile(r"[0-9a-f]{20}")
BLOB_GONE = "That file is no longer in the server's cache; upload it again."
UNREACHABLE = ("That file is kept in the dashboard's file store, which does not answer just "
               "now; try again in a minute.")


class SharedFiles:
    """Blobs, and files published to and fetched from the object store."""

    def put_blob(self, data: bytes, kind: str, name: str, *, local: bool = False) -> str:
        """Keep bytes that are not a TPF (an uploaded light curve) by content id; published to
        the object store as :meth:`add` does."""
        fid = file_id(data)
        path = self._blob_path(fid, kind)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, data)
            write_name(path, name)
        if not local:
            self._publish(kind, fid, data, name)
        return fid

    def get_blob(self, fid: str, kind: str) -> tuple[bytes, str]:
        check_id(fid)
        path = self._blob_path(fid, kind)
        if not path.exists() and self.objects is not None:
            with self._one_at_a_time(f"{kind}/{fid}"), local_cache.process_lock(
                    self._lock_path(path.parent, fid), self._lock_wait()):
                if not path.exists():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    self._fetch(kind, fid, path, BLOB_GONE)
        try:
            data = path.read_bytes()
        except OSError:
            raise DataError(BLOB_GONE) from None
        try:
            name = json.loads(path.with_suffix(".json").read_text())["filename"]
        except (OSError, ValueError, KeyError):
            name = "uploaded file"
        return data, name

    # -- the object store ---------------------------------------------------------------------

    def _publish(self, kind: str, fid: str, data: bytes | Path, filename: str) -> None:
        """Put the file in the object store unless it is there (asked each time: a bucket's
        lifecycle rule may have expired it since); DataError (the upload is refused: another
        server could not open it) if the store does not answer."""
        if self.objects is None:
            return
        try:
            if not self.objects.exists(kind, fid):
                self.objects.put(kind, fid, data, filename)
        except StoreUnavailable:
            raise StoreUnavailable(
                f"{filename} was read but could not be stored: the dashboard's file store does "
                "not answer just now, and the other servers could not open it. Try again in a "
                "minute.") from None

    def _fetch(self, kind: str, fid: str, path: Path, gone: str) -> None:
        """Bring the file from the object store to ``path`` (whole and checked, or not at
        all) with its name beside it; DataError ``gone`` if the store has no such file."""
        try:
            filename = self.objects.fetch(kind, fid, path)
        except StoreUnavailable:
            raise StoreUnavailable(UNREACHABLE) from None
        if filename is None:
            raise DataError(gone)
        write_name(path, filename)

    def _lock_wait(self) -> float:
        """How long a process waits for another's fetch: longer than any one fetch should take
        (two tries of the store's timeout, then the transfer)."""
        return max(30.0, 6 * self.objects.timeout)

    @staticmethod
    def _lock_path(folder: Path, fid: str) -> Path:
        return folder / ".locks" / fid

    def _blob_path(self, fid: str, kind: str) -> Path:
        return self.directory.parent / kind / f"{fid}.bin"


def write_name(path: Path, filename: str) -> None:
    """The name a file was given, beside it (``<id>.json``)."""
    write_atomically(path.with_suffix(".json"), json.dumps({"filename": filename}).encode())


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename: readers never see half a file."""
    arrays.write_atomically(path, lambda out: out.write(data))


def check_id(fid) -> None:
    """Only ids of the store's own shape are looked up: nothing else reaches a path."""
    if not isinstance(fid, str) or not _ID.fullmatch(fid):
        raise DataError("That file reference is not valid; open the file again.")
