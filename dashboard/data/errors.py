"""The one exception the data layer raises for input a person has to fix."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path


class DataError(ValueError):
    """A file or value that cannot be used, with a message written for the person who gave it.

    The message is shown as-is in the page and on the command line, so it says what was wrong
    and, where it can, what to do instead.
    """


@contextmanager
def reading(path: Path):
    """The operating system's errors while reading ``path``, as DataErrors a person reads."""
    try:
        yield
    except FileNotFoundError:
        raise DataError(f"No such file: {path}") from None
    except IsADirectoryError:
        raise DataError(f"{path} is a folder; give a target pixel file "
                        "(.fits or .fits.gz).") from None
    except OSError as exc:
        raise DataError(f"Cannot read {path}: {exc.strerror or exc}") from None
