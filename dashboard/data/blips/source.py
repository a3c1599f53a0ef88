"""Whatever a person hands ``explain`` or ``find_blips``, as a :class:`TargetPixelFile`.

A TargetPixelFile passes through; a path or bytes is read with :func:`open_tpf`; anything with
an ``hdu`` HDUList (a lightkurve TargetPixelFile) is written to bytes and read the same way, so
lightkurve itself is never imported.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from ..errors import DataError
from ..tpf import TargetPixelFile, open_tpf


def as_tpf(source) -> TargetPixelFile:
    if isinstance(source, TargetPixelFile):
        return source
    if isinstance(source, (bytes, bytearray, memoryview, str, os.PathLike)):
        return open_tpf(source)
    hdu = getattr(source, "hdu", None)
    if hdu is not None and hasattr(hdu, "writeto"):
        buffer = io.BytesIO()
        hdu.writeto(buffer)
        name = getattr(source, "path", None) or "lightkurve TPF"
        return open_tpf(buffer.getvalue(), filename=Path(str(name)).name)
    path = getattr(source, "path", None)
    if path:
        return open_tpf(path)
    raise DataError(f"Cannot read a target pixel file from a {type(source).__name__}: give a "
                    "path, the file's bytes, or a lightkurve TargetPixelFile.")
