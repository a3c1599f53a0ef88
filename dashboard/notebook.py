"""``show(tpf, lc=None)``: the dashboard from Python, inline in Jupyter or as a local server.

    from dashboard import show
    show("ktwo221312395-c91_lpd-targ.fits.gz", lc=(time, flux))

``tpf`` is a path, the file's bytes, or a lightkurve TargetPixelFile (anything with an ``hdu``
HDUList or a ``path``; lightkurve itself is never imported). ``lc`` is a path, an astropy
Table, a ``(time, flux[, flux_err])`` tuple, a pandas DataFrame, or a lightkurve LightCurve.
"""

from __future__ import annotations

import io
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from .data import DataError
from .data.lightcurves import lightcurve_from_object, read_lightcurve


def _tpf_source(tpf) -> tuple[bytes | str, str]:
    if isinstance(tpf, (bytes, bytearray, memoryview)):
        return bytes(tpf), "target pixel file"
    if isinstance(tpf, (str, os.PathLike)):
        return str(tpf), Path(tpf).name
    hdu = getattr(tpf, "hdu", None)
    if hdu is not None and hasattr(hdu, "writeto"):  # a lightkurve TargetPixelFile
        buffer = io.BytesIO()
        hdu.writeto(buffer)
        name = getattr(tpf, "path", None) or getattr(tpf, "targetid", None) or "lightkurve TPF"
        return buffer.getvalue(), Path(str(name)).name
    path = getattr(tpf, "path", None)
    if path:
        return str(path), Path(path).name
    raise DataError("show() takes a TPF as a path, bytes, or a lightkurve TargetPixelFile.")


def _custom(lc):
    if lc is None:
        return None
    if isinstance(lc, (str, os.PathLike)):
        path = Path(lc)
        try:
            return read_lightcurve(path.read_bytes(), path.name)
        except OSError as exc:
            raise DataError(f"Cannot read {path}: {exc.strerror or exc}") from None
    return lightcurve_from_object(lc, name=getattr(lc, "label", None) or "custom")


def in_notebook() -> bool:
    """True inside a Jupyter kernel (Notebook, JupyterLab, Colab), not plain or terminal IPython."""
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return bool(shell is not None and getattr(shell, "kernel", None) is not None)


@dataclass
class Running:
    """A dashboard served from this process in the background."""

    url: str
    app: object
    _server: object
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(5)


def show(tpf=None, lc=None, *, host: str = "127.0.0.1", port: int = 8050,
         mode: str | None = None, block: bool | None = None, **options):
    """Show ``tpf`` (default: the simulated demo) beside ``lc``, your own light curve.

    In Jupyter it renders inline (``mode``: 'inline', 'jupyterlab', 'tab' or 'external', as
    Dash's jupyter mode). Elsewhere it serves on ``host:port`` and prints the URL: in the
    background (returning a handle with ``url`` and ``stop()``) from an interactive session,
    blocking in a script (``block`` overrides). Other ``options`` go to ``create_app``.
    """
    from .app import create_app

    config = dict(options)
    if tpf is not None:
        config["source"], config["filename"] = _tpf_source(tpf)
    config["custom_lightcurve"] = _custom(lc)
    app = create_app(config)
    if in_notebook():
        app.run(jupyter_mode=mode or "inline", host=host, port=port)
        return None
    url = f"http://{host}:{port}/"
    if block is None:
        block = not hasattr(sys, "ps1") and not sys.flags.interactive
    if block:
        print(f"Serving at {url}  (Ctrl+C to stop)", flush=True)
        app.run(host=host, port=port, debug=False)
        return None
    from werkzeug.serving import make_server

    server = make_server(host, port, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="dashboard")
    thread.start()
    print(f"Serving at {url}", flush=True)
    return Running(url, app, server, thread)
