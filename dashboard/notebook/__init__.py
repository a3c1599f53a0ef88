"""The dashboard from Python: ``show(tpf, lc=None)``, and ``interact(tpf)``, a drop-in for
lightkurve's ``tpf.interact()``.

    from dashboard import show, interact
    show("ktwo221312395-c91_lpd-targ.fits.gz", lc=(time, flux))
    interact(lk.read(path), lc=lc.flatten())     # lightkurve's keywords

``tpf`` is a path, the file's bytes, or a lightkurve TargetPixelFile; ``lc`` a path, an astropy
Table, a ``(time, flux[, flux_err])`` tuple, a pandas DataFrame or a lightkurve LightCurve.

In a Jupyter kernel the dashboard is shown in the cell's output, served by the kernel on its
own port (a free one when the one asked for is busy) and loaded through the Jupyter server's
``proxy/<port>/`` when jupyter-server-proxy is there (see :mod:`.jupyter`), so it works on
JupyterHub too. Each cell keeps its own view; running a cell again replaces the view it showed
(its server stops). Every server stops with the kernel; :func:`views` and :func:`stop_all`.

Elsewhere ``show`` serves on ``host:port`` and prints the URL: in the background (returning a
:class:`Running` with ``url`` and ``stop()``) from an interactive session, blocking in a script.
"""

from __future__ import annotations

import html
import sys

from ..data import DataError
from .inputs import custom_lightcurve, interact_query, tpf_source
from .jupyter import Route, cell_key, route
from .serving import Running, bind, start, stop_all, stop_view, views

__all__ = ["Running", "in_notebook", "interact", "show", "stop_all", "views"]

MODES = ("inline", "external", "tab")
HEIGHT = 900  # px: the page's graphs, transport, readout and the top of the tool tabs


def show(tpf=None, lc=None, *, host: str = "127.0.0.1", port: int = 8050,
         mode: str | None = None, block: bool | None = None, proxy: bool | None = None,
         notebook_url: str | None = None, height: int = HEIGHT, **options):
    """Show ``tpf`` (default: the simulated demo) beside ``lc``, your own light curve.

    In Jupyter (``mode``): 'inline' in the cell's output (the default), 'tab' opened in a new
    browser tab, or 'external' as a link; ``proxy`` True/False forces or forbids loading it
    through Jupyter's ``/proxy/<port>/`` (None: when jupyter-server-proxy is there), and
    ``notebook_url`` says where your browser reaches the Jupyter server when it cannot be
    found from the kernel. Returns None there. Elsewhere: see the module's docstring (``block``
    overrides). Other ``options`` go to ``create_app`` (``cache_dir=``, ...).
    """
    return _show(tpf, lc, host=host, port=port, mode=mode, block=block, proxy=proxy,
                 notebook_url=notebook_url, height=height, options=options)


def interact(tpf, notebook_url: str | None = None, lc=None, max_cadences: int = 200_000,
             aperture_mask="default", *, scale: str = "log", cmap: str | None = None,
             port: int = 8050, height: int = HEIGHT, proxy: bool | None = None,
             **lightkurve):
    """``tpf.interact()`` of lightkurve, here: the same call shows this dashboard instead.

    ``notebook_url``: where the browser reaches Jupyter ("localhost:8888"), as lightkurve's;
    rarely needed here (see :func:`show`). ``lc``: your LightCurve, drawn beside the aperture's
    own sum (e.g. ``tpf.to_lightcurve().flatten()``). ``max_cadences``: a TPF with more is
    refused, as lightkurve does. ``aperture_mask``: 'default'/'pipeline' (the file's),
    'threshold', 'all', or a boolean (rows, columns) array. ``scale``: 'log', 'linear', 'sqrt',
    'asinh'. ``cmap``: 'Viridis256', 'Greys256', 'Inferno256', ... . lightkurve's
    ``exported_filename``, ``transform_func``, ``ylim_func``, ``vmin`` and ``vmax`` are taken
    and ignored with a warning saying what to do here.
    """
    query = interact_query(tpf, aperture_mask, scale, cmap, **lightkurve)
    return _show(tpf, lc, host="127.0.0.1", port=port, mode=None, block=None, proxy=proxy,
                 notebook_url=notebook_url, height=height, options={}, query=query,
                 max_cadences=max_cadences)


def in_notebook() -> bool:
    """True inside a Jupyter kernel (Notebook, JupyterLab, Colab), not plain or terminal IPython."""
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return bool(shell is not None and getattr(shell, "kernel", None) is not None)


def _show(tpf, lc, *, host, port, mode, block, proxy, notebook_url, height, options,
          query: str = "", max_cadences: int | None = None):
    from ..app import create_app

    if mode is not None and mode not in MODES:
        raise DataError(f"mode must be one of {', '.join(MODES)}, not {mode!r}"
                        + (" (Dash's 'jupyterlab' mode needs an extension JupyterLab 4 cannot "
                           "load)." if mode == "jupyterlab" else "."))
    config = dict(options)
    if tpf is not None:
        config["source"], config["filename"] = tpf_source(tpf)
    config["custom_lightcurve"] = custom_lightcurve(lc)
    app = create_app(config)
    if max_cadences is not None:
        n = app.store.get(app.default_file).n_cadences
        if n > max_cadences:
            raise DataError(f"This TPF has {n:,} cadences, more than max_cadences="
                            f"{max_cadences:,}: pass a larger max_cadences, or a slice "
                            "(tpf[start:stop]).")
    if in_notebook():
        _in_notebook(app, host, port, mode or "inline", proxy, notebook_url, height, query)
        return None
    running = bind(app, host, port)
    if running.asked_port is not None:
        print(f"Port {running.asked_port} is busy; using {running.port}.", flush=True)
    if block is None:
        block = not hasattr(sys, "ps1") and not sys.flags.interactive
    url = running.url + query
    if block:
        print(f"Serving at {url}  (Ctrl+C to stop)", flush=True)
        running.serve_forever()
        return None
    start(running)
    print(f"Serving at {url}", flush=True)
    return running


def _in_notebook(app, host, port, mode, proxy, notebook_url, height, query) -> None:
    from IPython.display import HTML, Javascript, display

    key = cell_key()
    if key is not None:
        stop_view(key)  # this cell's earlier view: its output is being replaced
    running = bind(app, host, port)
    start(running, key)
    if "google.colab" in sys.modules:  # Colab proxies kernel ports itself
        from google.colab import output

        output.serve_kernel_port_as_iframe(running.port, height=height)
        return
    way = route(running.port, host, app.default_file, proxy=proxy, notebook_url=notebook_url)
    # The page asks for its scripts and callbacks under the proxy's prefix; set late, as Dash's
    # own jupyter mode does (its config is locked once built), and read per request.
    dict.__setitem__(app.config, "requests_pathname_prefix", way.prefix)
    if mode == "tab":
        display(Javascript(f"window.open({way.src + query!r})"))
    display(HTML(_view_html(way, running, query, height, inline=mode == "inline")))


def _view_html(way: Route, running: Running, query: str, height: int, inline: bool) -> str:
    src = html.escape(way.src + query, quote=True)
    busy = (f" Port {running.asked_port} was busy." if running.asked_port is not None else "")
    note = (f'<div class="tpf-dashboard-note" style="font-size:12px;color:#555">Is that blip '
            f'real? on port {running.port}, loaded {html.escape(way.why)}.{busy} '
            f'<a href="{src}" target="_blank" rel="noopener">Open in a new tab</a></div>')
    if not inline:
        return note
    frame = (f'<iframe class="tpf-dashboard" title="Is that blip real? dashboard" src="{src}" '
             f'data-port="{running.port}" width="100%" height="{int(height)}" '
             'style="border:0" allowfullscreen></iframe>')
    return frame + note
