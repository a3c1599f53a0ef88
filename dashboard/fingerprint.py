"""The code's own fingerprint, for cache keys: what was derived from a file (converted arrays,
light curves, figures, reports) is only reused by the code that derived it.

The package version alone is not enough: a deployment or a checkout that changes the code
without a version bump would read results in an older format from a shared cache that outlived
it (a Redis, a cache folder). Every process of one release computes the same fingerprint."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from . import __version__

_PACKAGE = Path(__file__).resolve().parent


@cache
def code_fingerprint() -> str:
    """``<version>-<12 hex digits>``: the version and a hash of every module's source."""
    return f"{__version__}-{sources_hash(_PACKAGE)}"


def sources_hash(package: Path) -> str:
    """12 hex digits of SHA-256 over the names and bytes of a package's ``.py`` files."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]
