"""Batches of frames for the browser's own painter: one binary response per run of cadences.

The browser paints frames itself (assets/frames.js) from batches it fetches ahead of the
cursor, so stepping and playback never wait for a server round trip or a Plotly redraw. A batch
is little-endian bytes::

    uint32   n, the length of the JSON header
    n bytes  the header: {"first", "count", "shape": [rows, columns], "readouts": [...],
             "levels": [[low, high], ...] or null}, space-padded so the pixels align on 4 bytes
    float32  count x rows x columns pixel values, NaN where there is no data

``readouts`` holds each frame's readout strings (see callbacks.frames.readout), so the numbers
beside the image always describe the frame painted; ``levels`` the colour range of each frame
when it has its own (difference images).
"""

from __future__ import annotations

import json
import struct

import numpy as np


def encode_batch(frames: np.ndarray, first: int, readouts: list, levels: list | None = None
                 ) -> bytes:
    frames = np.ascontiguousarray(frames, dtype="<f4")
    count, rows, columns = frames.shape
    if len(readouts) != count or (levels is not None and len(levels) != count):
        raise ValueError("one readout (and one level pair) per frame")
    header = json.dumps({
        "first": int(first), "count": count, "shape": [rows, columns],
        "readouts": [list(r) for r in readouts],
        "levels": None if levels is None else [[float(lo), float(hi)] for lo, hi in levels],
    }, separators=(",", ":"), allow_nan=False).encode()
    header += b" " * (-(4 + len(header)) % 4)
    return struct.pack("<I", len(header)) + header + frames.tobytes()


def decode_batch(data: bytes) -> tuple[dict, np.ndarray]:
    """The header and the (count, rows, columns) frames of a batch: the browser's reading, for
    tests and benchmarks."""
    (length,) = struct.unpack_from("<I", data)
    header = json.loads(data[4:4 + length])
    rows, columns = header["shape"]
    frames = np.frombuffer(data, dtype="<f4", offset=4 + length).reshape(
        header["count"], rows, columns)
    return header, frames
