"""Is that blip real? A Dash viewer of Kepler, K2 and TESS target pixel files."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tpf-dashboard")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"


def __getattr__(name: str):
    """``from dashboard import show, interact`` without importing Dash for ``dashboard.data``
    users. ``interact(tpf)`` is the drop-in for lightkurve's ``tpf.interact()``."""
    if name in ("show", "interact"):
        from . import notebook

        return getattr(notebook, name)
    if name in ("explain", "find_blips"):  # take a path, bytes or a lightkurve TPF too
        from .data import blips

        return getattr(blips, name)
    raise AttributeError(name)
