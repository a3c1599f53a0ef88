"""A target pixel file kept as native-endian ``.npy`` arrays that any process memory-maps.

Decoding a FITS file costs tens of milliseconds to seconds and a private copy of every cube in
each worker. Written once per file id as plain native-endian ``.npy`` files, the cubes (FLUX,
FLUX_ERR, FLUX_BKG) are opened with ``np.load(mmap_mode="r")`` instead: ~0.1 ms to open, and
every worker on the host reads the same pages through the operating system's page cache rather
than holding its own copy. The small per-cadence arrays are read into memory.

Layout, beside the store's ``<id>.fits``::

    <id>.<field>.npy   one per array field of TargetPixelFile (flux, time, quality, ...)
    <id>.tpf.json      everything else (mission, target, header ...), written last

Every file is written to a temporary name and renamed into place, and the manifest
(``<id>.tpf.json``) only after all arrays: a reader that finds the manifest finds complete
arrays. Two processes converting the same file at once write identical bytes under the same
names, so the last rename wins and there is still one entry. A manifest written by another code
version (``namespace``) or format is ignored and the file is converted again.
"""

from __future__ import annotations

import json
import mmap
import os
import tempfile
from dataclasses import fields
from pathlib import Path

import numpy as np

from .tpf import TargetPixelFile

FORMAT = 2  # 2: the WCS (wcs_header) and TIMECORR are kept; copies made before lack them
# Memory-mapped (shared through the page cache); the other arrays are small and read whole.
CUBES = frozenset({"flux", "flux_err", "flux_bkg"})
_FIELDS = {f.name for f in fields(TargetPixelFile)}


def manifest_path(directory: Path, fid: str) -> Path:
    return directory / f"{fid}.tpf.json"


def array_path(directory: Path, fid: str, name: str) -> Path:
    return directory / f"{fid}.{name}.npy"


def save(directory: Path, fid: str, tpf: TargetPixelFile, namespace: str = "") -> None:
    """Write ``tpf`` as arrays plus manifest (atomically, manifest last)."""
    arrays, values = [], {}
    for name in sorted(_FIELDS):
        value = getattr(tpf, name)
        if isinstance(value, np.ndarray):
            path = array_path(directory, fid, name)
            if not _mapped_from(value, path):  # a cube written in place (data/tpf_stream.py)
                native = np.ascontiguousarray(value, dtype=value.dtype.newbyteorder("="))
                write_atomically(path, _npy_writer(native))
            arrays.append(name)
        else:
            values[name] = value
    manifest = {"format": FORMAT, "namespace": namespace, "arrays": arrays, "values": values}
    text = json.dumps(manifest, default=_jsonable, allow_nan=True).encode()
    write_atomically(manifest_path(directory, fid), lambda out: out.write(text))


def load(directory: Path, fid: str, namespace: str = "",
         filename: str | None = None) -> TargetPixelFile | None:
    """The file converted earlier (cubes memory-mapped), or None if there is no usable copy:
    no manifest, another format or code version, or an array file missing or damaged."""
    try:
        manifest = json.loads(manifest_path(directory, fid).read_text())
        if manifest.get("format") != FORMAT or manifest.get("namespace") != namespace:
            return None
        values = {k: v for k, v in manifest["values"].items() if k in _FIELDS}
        for name in manifest["arrays"]:
            if name not in _FIELDS:
                continue
            path = array_path(directory, fid, name)
            if name in CUBES:
                # A plain ndarray view of the map (the map stays open through .base): slices
                # are ordinary arrays to every serialiser, and read-only.
                values[name] = np.load(path, mmap_mode="r", allow_pickle=False).view(np.ndarray)
            else:
                values[name] = np.load(path, allow_pickle=False)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if filename:
        values["filename"] = filename
    try:
        return TargetPixelFile(**values)
    except TypeError:  # a field the class no longer (or now) requires
        return None


def _memmap_of(array: np.ndarray):
    base = array
    while base is not None and not isinstance(base, np.memmap):
        base = getattr(base, "base", None)
    return base


def _mapped_from(array: np.ndarray, path: Path) -> bool:
    mapped = _memmap_of(array)
    return (mapped is not None and bool(mapped.filename)
            and Path(mapped.filename).resolve() == Path(path).resolve())


def release_pages(array: np.ndarray | None) -> None:
    """Let go of the pages of a memory-mapped cube this process has read (its resident
    memory); they stay in the page cache and are read back from there when next needed.
    After a pass over a whole cube that is not stepped through (FLUX_BKG, FLUX_ERR), so a
    worker's memory is what it uses per step, not every cube it ever summed."""
    mapped = None if array is None else _memmap_of(array)
    handle = getattr(mapped, "_mmap", None)
    if handle is not None and hasattr(handle, "madvise") and hasattr(mmap, "MADV_DONTNEED"):
        try:
            handle.madvise(mmap.MADV_DONTNEED)
        except (OSError, ValueError):
            pass


def _npy_writer(array: np.ndarray):
    return lambda out: np.save(out, array, allow_pickle=False)


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def write_atomically(path: Path, write) -> None:
    """Call ``write(file)`` on a temporary file in ``path``'s folder, then rename it to ``path``:
    readers never see half a file, and concurrent writers of the same content leave one."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
