"""Unpacking a ``.fits.gz`` file without letting a few megabytes become gigabytes.

A gzip of a FITS header and 3 GiB of zeros is 3 MB, and zlib inflates such a stream at only
~450 MB/s here: unpacking everything and judging afterwards took 37 s and 6.4 GB of memory
before the file was refused. So the stream is inflated in pieces of a few megabytes and read as
FITS while it arrives. Each HDU's header says how many bytes its data takes (``|BITPIX|/8 *
GCOUNT * (PCOUNT + NAXIS1 * ... * NAXISn)``, the FITS standard's rule), so:

- a file whose headers add up to more than the cap is refused as soon as that header has
  arrived, before its data is inflated;
- a stream that goes on for more than :data:`TRAILING_ALLOWANCE` past the end of the FITS
  content the headers describe (padding, junk, a bomb behind a real file) is refused there;
- whatever the headers say, no more than the cap is ever inflated.

The cap is ``max_bytes``: the settings' ``max_unpacked_mb`` (``TPF_DASHBOARD_MAX_PIXELS_MB``,
2000 MB when unset; dashboard/settings.py). It is a fixed size rather than a multiple of the upload
cap because the command line opens local files that no upload cap covers; 2000 MB is several
times the largest target pixel file in the archives (a TESS 20-second file is ~0.3 GB).
"""

from __future__ import annotations

import zlib

from .errors import DataError

DEFAULT_MAX_PIXELS_MB = 2000
#: Inflated bytes allowed after the last HDU before the file is refused as not plain FITS.
TRAILING_ALLOWANCE = 2**20
_PIECE = 4 * 2**20  # inflated per step: small next to any cap, large enough to stay fast
_BLOCK = 2880
_CARD = 80
_MAX_HEADER_BLOCKS = 1000  # 2.9 MB; archive headers take a few blocks
_GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(data: bytes) -> bool:
    return data[:2] == _GZIP_MAGIC


def gunzip(data: bytes, filename: str, max_bytes: int | None = None) -> bytes:
    """The bytes inside gzip ``data`` (``data`` itself if it is not gzip), refusing with a
    DataError a damaged stream or one that unpacks past ``max_bytes`` (see the module notes)."""
    if not is_gzip(data):
        return data
    cap = DEFAULT_MAX_PIXELS_MB * 2**20 if max_bytes is None else int(max_bytes)
    out = bytearray()
    extent = _FitsExtent(filename)
    source, fed = memoryview(data), 0
    inflate, pending = zlib.decompressobj(16 + zlib.MAX_WBITS), b""
    while True:
        if not pending and fed < len(source):
            # Fed in pieces too: zlib copies the input it has not used into unconsumed_tail on
            # every call, which for a whole 200 MB file at once would be quadratic.
            pending, fed = source[fed:fed + _PIECE], fed + _PIECE
        before = len(out)
        try:
            out += inflate.decompress(pending, _PIECE)
        except zlib.error:
            raise _damaged(filename) from None
        pending = inflate.unconsumed_tail
        if not extent.follow(out):  # not FITS: the reader will say so from the first bytes
            return bytes(out)
        limit = cap if extent.end is None else min(cap, extent.end + TRAILING_ALLOWANCE)
        if extent.declared > cap or len(out) > limit:
            raise _too_big(filename, out, extent, cap)
        if inflate.eof:
            fed = min(fed, len(source)) - len(inflate.unused_data)  # where this member ended
            if source[fed:fed + 2] != _GZIP_MAGIC:  # gzip allows zero padding after the last
                if bytes(source[fed:]).strip(b"\0"):
                    raise _damaged(filename)
                return bytes(out)
            inflate, pending = zlib.decompressobj(16 + zlib.MAX_WBITS), b""
        elif not pending and fed >= len(source) and len(out) == before:
            # All input is in and zlib gives nothing more without reaching the end: the file
            # stopped early (zlib itself does not complain about that).
            raise _damaged(filename)


class _FitsExtent:
    """Where the FITS content in a growing buffer ends, from each HDU's header as it arrives."""

    def __init__(self, filename: str):
        self.filename = filename
        self.next_hdu = 0  # offset of the next header to read
        self.hdus = 0
        self.end: int | None = None  # end of the FITS content, once a non-header follows it

    @property
    def declared(self) -> int:
        """Bytes the headers read so far add up to."""
        return self.next_hdu

    def follow(self, buffer: bytearray) -> bool:
        """Read every header that has fully arrived; False if the bytes are not FITS at all."""
        while self.end is None and len(buffer) >= self.next_hdu + _BLOCK:
            start = self.next_hdu
            keyword = b"SIMPLE  " if self.hdus == 0 else b"XTENSION"
            if buffer[start:start + 8] != keyword:
                if self.hdus == 0:
                    return False
                self.end = start
                break
            parsed = _read_header(buffer, start, self.filename, self.hdus)
            if parsed is None:  # its END card has not arrived yet
                break
            header_end, data_bytes = parsed
            self.next_hdu = header_end + -(-data_bytes // _BLOCK) * _BLOCK
            self.hdus += 1
        return True


def _read_header(buffer: bytearray, start: int, filename: str,
                 index: int) -> tuple[int, int] | None:
    """(end of the header, bytes of data it announces), or None if its END card is still to
    come. Only the keywords that size the data are read."""
    values: dict[bytes, bytes] = {}
    for block in range(_MAX_HEADER_BLOCKS):
        offset = start + block * _BLOCK
        if len(buffer) < offset + _BLOCK:
            return None
        for card in range(offset, offset + _BLOCK, _CARD):
            key = bytes(buffer[card:card + 8]).rstrip()
            if key == b"END":
                return offset + _BLOCK, _data_bytes(values, filename, index)
            if buffer[card + 8:card + 10] == b"= " and (
                    key in (b"BITPIX", b"PCOUNT", b"GCOUNT", b"GROUPS")
                    or key.startswith(b"NAXIS")):
                values[key] = bytes(buffer[card + 10:card + _CARD]).split(b"/")[0].strip()
    raise DataError(f"{filename} is not a readable FITS file: header {index} has no END card "
                    f"in its first {_MAX_HEADER_BLOCKS * _BLOCK / 2**20:.1f} MB.")


def _data_bytes(values: dict[bytes, bytes], filename: str, index: int) -> int:
    try:
        bitpix = int(values[b"BITPIX"])
        naxis = int(values[b"NAXIS"])
        axes = [int(values[b"NAXIS%d" % n]) for n in range(1, naxis + 1)]
        pcount = int(values.get(b"PCOUNT", b"0"))
        gcount = int(values.get(b"GCOUNT", b"1"))
    except (KeyError, ValueError):
        raise DataError(f"{filename} is not a readable FITS file: header {index} does not say "
                        "how large its data is (BITPIX, NAXIS, NAXISn).") from None
    if bitpix not in (8, 16, 32, 64, -32, -64) or min([naxis, pcount, gcount, *axes]) < 0:
        raise DataError(f"{filename} is not a readable FITS file: header {index} gives "
                        "impossible sizes.")
    if not axes:
        return 0
    if axes[0] == 0 and values.get(b"GROUPS") == b"T":  # random groups: NAXIS1 = 0 is a flag
        axes = axes[1:]
    count = 1
    for axis in axes:
        count *= axis
    return abs(bitpix) // 8 * gcount * (pcount + count)


def _damaged(filename: str) -> DataError:
    return DataError(f"{filename} is a gzip file that ends early or is damaged; "
                     "download it again.")


def _too_big(filename: str, out: bytearray, extent: _FitsExtent, cap: int) -> DataError:
    megabytes = f"{cap / 2**20:,.1f}".removesuffix(".0")  # as TPF_DASHBOARD_MAX_PIXELS_MB says
    limit = f"the {megabytes} MB limit for unpacked files on this server " \
            "(TPF_DASHBOARD_MAX_PIXELS_MB)"
    if extent.declared > cap:
        return DataError(f"{filename} would unpack to {_size(extent.declared)} or more (its FITS "
                         f"headers say so), over {limit}; it was not unpacked.")
    if extent.end is not None and len(out) > extent.end + TRAILING_ALLOWANCE:
        return DataError(f"{filename} unpacks to more than its FITS headers describe: over "
                         f"{_size(TRAILING_ALLOWANCE)} of other bytes follow its "
                         f"{_size(extent.end)} of FITS data, so it is damaged or not a target "
                         "pixel file; it was not unpacked further.")
    return DataError(f"{filename} unpacks to more than {limit}; it was not unpacked further.")


def _size(n: int) -> str:
    if n >= 2**30:
        return f"{n / 2**30:,.1f} GB"
    return f"{n / 2**20:,.1f} MB" if n >= 2**16 else f"{n:,} bytes"
