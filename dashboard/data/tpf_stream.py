"""Opening a large uncompressed target pixel file in pieces, its cubes written straight into
the store's memory-mapped arrays.

Reading a whole file into memory and decoding it there (:func:`.tpf.open_tpf` on bytes) holds
the bytes, astropy's table and the native-endian cubes at once: ~3-6x the file, 1.4 GB for a
250 MB TESS 20-second file. Here only the FITS headers are parsed (astropy, no data read);
the pixel table's rows are then read from the file a few megabytes at a time, each piece's
FLUX, FLUX_ERR and FLUX_BKG converted to native byte order and appended to their ``.npy``
files (:mod:`.arrays`' layout), and the per-cadence columns (a few MB even at 120,000
cadences) kept. Memory stays at one piece whatever the size of the file; the cubes are then
memory-mapped like every stored file's.

Tables this reader does not handle (variable-length or scaled columns, a row layout it cannot
derive) raise :class:`Unsupported`; the caller then uses the whole-file reader, which handles
every file (and says what is wrong with a bad one).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
from astropy.io import fits

from . import arrays

PIECE_BYTES = 8 * 2**20
# The pixel table's columns the viewer reads; the cubes among them go to .npy files.
CUBES = {"FLUX": "flux", "FLUX_ERR": "flux_err", "FLUX_BKG": "flux_bkg"}
_SMALL = ("TIME", "TIMECORR", "CADENCENO", "QUALITY", "POS_CORR1", "POS_CORR2")
# FITS binary-table codes (TFORMn) and their big-endian numpy types.
_CODES = {"L": "i1", "B": "u1", "I": ">i2", "J": ">i4", "K": ">i8", "E": ">f4", "D": ">f8",
          "C": ">c8", "M": ">c16", "A": "S1"}


class Unsupported(Exception):
    """This file's table is not one this reader handles; read it whole instead."""


def is_plain_fits(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(9) == b"SIMPLE  ="


def row_dtype(table: fits.BinTableHDU) -> np.dtype:
    """The on-disk layout of one row of ``table`` (big-endian), from its header alone."""
    names, formats, offsets, offset = [], [], [], 0
    for column in table.columns:
        code, repeat = column.format.format, column.format.repeat
        if code not in _CODES or column.bscale not in (None, 1) or column.bzero not in (None, 0):
            raise Unsupported(f"column {column.name} ({column.format})")
        base = np.dtype(_CODES[code])
        if code == "A":
            width, base = repeat, np.dtype(f"S{max(repeat, 1)}")
            repeat = 1
        else:
            width = base.itemsize * repeat
        if repeat != 0:
            names.append(column.name.upper())
            formats.append(base if repeat == 1 else (base, (repeat,)))
            offsets.append(offset)
        offset += width
    if offset != table.header["NAXIS1"]:
        raise Unsupported("row size")
    return np.dtype({"names": names, "formats": formats, "offsets": offsets,
                     "itemsize": offset})


class _CubeFile:
    """One cube's ``.npy`` file, written a piece at a time under a temporary name."""

    def __init__(self, directory: Path, fid: str, name: str, shape: tuple[int, ...]):
        self.final = arrays.array_path(directory, fid, name)
        self.temporary = self.final.with_name(f".incoming-{os.getpid()}-{self.final.name}")
        self.handle = open(self.temporary, "wb")
        header = {"descr": np.lib.format.dtype_to_descr(np.dtype("=f4")),
                  "fortran_order": False, "shape": shape}
        np.lib.format.write_array_header_1_0(self.handle, header)

    def write(self, piece: np.ndarray) -> None:
        np.ascontiguousarray(piece, dtype="=f4").tofile(self.handle)

    def finish(self) -> np.ndarray:
        self.handle.close()
        os.replace(self.temporary, self.final)
        return np.load(self.final, mmap_mode="r", allow_pickle=False).view(np.ndarray)

    def discard(self) -> None:
        self.handle.close()
        Path(self.temporary).unlink(missing_ok=True)


def read_columns(path: Path, table: fits.BinTableHDU, directory: Path,
                 fid: str) -> dict[str, np.ndarray]:
    """The pixel table's columns by upper-case name: the cubes memory-mapped from their new
    ``.npy`` files in ``directory``, the per-cadence columns in memory (native-endian)."""
    layout = row_dtype(table)
    info = table.fileinfo()
    rows = int(table.header["NAXIS2"])
    if info["datLoc"] + rows * layout.itemsize > path.stat().st_size:
        raise Unsupported("the table ends past the end of the file")
    dims = {}
    for name in CUBES:
        if name in layout.names:
            column = table.columns[name]
            dim = column.dim
            # TDIMn is "(columns,rows)", FORTRAN order; the image is (rows, columns).
            shape = tuple(int(v) for v in reversed(dim.strip("()").split(","))) if dim else None
            if not shape or len(shape) != 2:
                raise Unsupported(f"column {name} is not an image")
            dims[name] = shape
    small = {name: np.empty(rows, dtype=layout[name].newbyteorder("="))
             for name in _SMALL if name in layout.names and layout[name].shape == ()}
    cubes = {name: _CubeFile(directory, fid, CUBES[name], (rows, *shape))
             for name, shape in dims.items()}
    step = max(1, PIECE_BYTES // layout.itemsize)
    try:
        with open(path, "rb") as handle:
            handle.seek(info["datLoc"])
            for start in range(0, rows, step):
                count = min(step, rows - start)
                piece = np.fromfile(handle, dtype=layout, count=count)
                if len(piece) != count:
                    raise Unsupported("the file ended inside the table")
                for name, values in small.items():
                    values[start:start + count] = piece[name]
                for name, cube in cubes.items():
                    cube.write(piece[name].reshape(count, *dims[name]))
        out: dict[str, np.ndarray] = dict(small)
        for name, cube in cubes.items():
            out[name] = cube.finish()
        return out
    except BaseException:
        for cube in cubes.values():
            cube.discard()
        raise


def open_in_pieces(path: str | os.PathLike, filename: str, directory: Path, fid: str):
    """The file as a :class:`.tpf.TargetPixelFile` whose cubes are ``directory``'s ``.npy``
    maps for ``fid``; raises Unsupported when the whole-file reader must be used instead
    (and DataError, like it, for a file that is not a usable target pixel file)."""
    from .tpf import from_hdulist_with_columns

    path = Path(path)
    if not is_plain_fits(path) or path.stat().st_size % 2880:
        raise Unsupported("not a whole uncompressed FITS file")  # the other reader says why
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            hdul = fits.open(path, memmap=True, lazy_load_hdus=False)
        except (OSError, ValueError, TypeError, IndexError, KeyError, EOFError) as exc:
            raise Unsupported(str(exc)) from None
        with hdul:
            return from_hdulist_with_columns(
                hdul, filename, path.stat().st_size,
                lambda table: read_columns(path, table, directory, fid))
