"""Is a FITS file whole? The checks that tell a cut-short or corrupt file from a readable one,
with the message a person reads for each (used by :func:`.tpf.open_tpf` and the piecewise
reader, :mod:`.tpf_stream`)."""

from __future__ import annotations

from astropy.io import fits

from .errors import DataError

FITS_BLOCK = 2880


def check_whole_blocks(data: bytes, filename: str) -> None:
    """Refuse FITS bytes that are not a whole number of 2880-byte blocks: the end is missing."""
    if data.startswith(b"SIMPLE  =") and len(data) % FITS_BLOCK:
        raise DataError(
            f"{filename} is truncated: {len(data):,} bytes is not a whole number of 2880-byte "
            "FITS blocks, so the end of the file is missing. Download it again.")


def describe_unreadable(data: bytes, filename: str, exc: Exception) -> str:
    if not data:
        return f"{filename} is empty: it holds no bytes at all."
    if not data.startswith(b"SIMPLE  ="):
        return (f"{filename} is not a FITS file (it does not start with a FITS header). "
                "Give a Kepler, K2 or TESS target pixel file (.fits or .fits.gz).")
    return (f"{filename} looks like FITS but could not be read ({exc}); it is probably "
            "truncated or corrupt. Download it again.")


def check_complete(hdul: fits.HDUList, size: int, filename: str) -> list[str]:
    """Refuse a target pixel file whose data ends early, even when cut on a block boundary.

    A file that stops exactly where an HDU ends, short of the extensions NEXTEND announces, is
    not refused: every pixel it holds is there, and only the missing extension (one the viewer
    may not even read) is lost. It opens with a notice saying so.
    """
    end = 0
    for hdu in hdul:
        info = hdu.fileinfo()
        if info:
            end = max(end, info["datLoc"] + info["datSpan"])
            if info["datLoc"] + info["datSpan"] > size:
                raise DataError(f"{filename} is truncated: extension {hdu.name or '?'} ends past "
                                "the end of the file. Download it again.")
    expected = hdul[0].header.get("NEXTEND")
    present = len(hdul) - 1
    if not isinstance(expected, int) or present >= expected:
        return []
    if end < size:  # bytes after the last whole HDU: the next one was cut inside its header
        raise DataError(f"{filename} is truncated: its header announces {expected} extensions "
                        f"but only {present} are whole. Download it again.")
    return [f"{filename} may be cut short: its header announces {expected} extensions but only "
            f"{present} are present. Each of those is complete, so what is shown is as the "
            "file has it; download it again if you need the rest."]


def check_extensions_present(hdul: fits.HDUList, filename: str) -> None:
    """For a file with no pixel table: say it was cut short if extensions are missing."""
    expected = hdul[0].header.get("NEXTEND")
    if isinstance(expected, int) and len(hdul) - 1 < expected:
        raise DataError(f"{filename} is truncated: its header announces {expected} extensions "
                        f"but only {len(hdul) - 1} are present. Download it again.")
