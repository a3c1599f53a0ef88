"""How the C heap of a serving process holds memory (glibc), set once at start.

Each request of ``python -m dashboard`` runs in a new thread, and glibc gives threads heaps of
their own (up to 8 per core) that keep what they freed for later; and after a large block is
freed, glibc raises the size from which it maps blocks separately, so later large arrays
(frame batches, light curves, a file's pieces) come from those heaps too. Freed memory then
stays with the process: a 120,000-cadence file's server grew from 248 to 441 MiB resident over
five page loads and one pass through every frame, with nothing kept. One heap, large blocks
always mapped on their own (256 KiB and up: returned to the system when freed) and free heap
tops returned past 1 MiB kept the same run at 238 MiB (bench/big_files.py, issue 15).
"""

from __future__ import annotations

import ctypes

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8


def keep_heap_small() -> bool:
    """Apply the settings above (glibc only; elsewhere nothing happens). True if applied."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return all(mallopt(option, value) == 1 for option, value in (
        (_M_ARENA_MAX, 1), (_M_MMAP_THRESHOLD, 256 * 1024), (_M_TRIM_THRESHOLD, 2**20)))



def return_freed_memory() -> None:
    """Give the C heap's free memory back to the system now (glibc's ``malloc_trim``):
    decoding a file frees its pieces, but glibc may keep freed heap pages for reuse."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc: nothing to do
