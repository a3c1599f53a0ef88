"""Where a notebook's browser loads a dashboard this kernel serves: through the Jupyter server's
``<base_url>proxy/<port>/`` when jupyter-server-proxy is there, directly otherwise.

The kernel serves on a loopback port. A browser on another machine (JupyterHub, a science
platform, a server reached over SSH) cannot reach that port, only the Jupyter server, and
jupyter-server-proxy forwards ``<base_url>proxy/<port>/x`` to ``localhost:<port>/x``. The page
then asks for its scripts and callbacks under that prefix (Dash's ``requests_pathname_prefix``)
and for its frame batches by relative URL (``frames/<id>?...``), so it works there unchanged.

Dash's own route (``jupyter_dash.infer_jupyter_proxy_config()``) asks the front end over a comm
and needs Dash's front-end extension; Dash 4.4 ships it as a source extension that JupyterLab 4
and Notebook 7 do not load without a rebuild, so the call raises after 2 s. The route is found
from the kernel's side instead:

1. the Jupyter server that started this kernel: an ancestor process that wrote a
   ``jpserver-<pid>.json`` in the runtime directory gives its base URL, address and token;
2. one request through its ``proxy/<port>/`` to the dashboard's own ``/health`` shows whether
   the proxy is there (404: it is not);
3. when that cannot tell (a login page, no server found): JupyterHub (its service prefix in the
   environment) or an importable ``jupyter_server_proxy`` means the proxy.

The frame's address has no host (``/user/me/proxy/8051/``): the browser resolves it against the
notebook page's own origin, which is whatever name the hub is reached by.
"""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

PROBE_TIMEOUT = 3.0  # seconds; a loopback request answers in milliseconds


@dataclass(frozen=True)
class JupyterServer:
    """A running Jupyter server, as its runtime file describes it."""

    base_url: str  # "/" or "/user/me/"
    url: str  # how this machine reaches it, with the base URL: "http://127.0.0.1:8888/"
    token: str
    pid: int


@dataclass(frozen=True)
class Route:
    """How the browser loads the dashboard: ``src`` for the frame, ``prefix`` for Dash's
    ``requests_pathname_prefix``, and why (one sentence for the notebook)."""

    src: str
    prefix: str
    proxied: bool
    why: str


def find_server(runtime_dirs: list[Path] | None = None,
                ancestors: list[int] | None = None) -> JupyterServer | None:
    """The Jupyter server this kernel runs under (None outside one: VS Code, a console)."""
    if ancestors is None:
        ancestors = _ancestors()
    if runtime_dirs is None:
        runtime_dirs = _runtime_dirs()
    for pid in ancestors:
        for folder in runtime_dirs:
            for name in (f"jpserver-{pid}.json", f"nbserver-{pid}.json"):  # nbserver: Notebook 6
                try:
                    info = json.loads((folder / name).read_text())
                except (OSError, ValueError):
                    continue
                return _server(info, pid)
    return None


def route(port: int, host: str, app_id: str, *, proxy: bool | None = None,
          notebook_url: str | None = None, server: JupyterServer | None = None,
          env: dict | None = None, probe=None) -> Route:
    """The route to a dashboard serving on ``host:port`` whose ``/health`` names ``app_id``.

    ``proxy`` True/False forces it (None: find out); ``notebook_url`` is where the browser
    reaches the Jupyter server (``"https://hub.example.org/user/me/"``): through its proxy.
    ``server``, ``env`` and ``probe`` are for tests (default: found, ``os.environ``, HTTP).
    """
    env = os.environ if env is None else env
    direct_host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    direct = f"http://{direct_host}:{port}/"
    if notebook_url is not None:
        base = _with_scheme(notebook_url).rstrip("/") + "/"
        prefix = urlsplit(base).path + f"proxy/{port}/"
        return Route(base + f"proxy/{port}/", prefix, True,
                     f"through {base}proxy/{port}/ (notebook_url)")
    hub_prefix = env.get("JUPYTERHUB_SERVICE_PREFIX")
    if server is None and proxy is not False:
        server = find_server()
    base_url = server.base_url if server else (hub_prefix or "/")
    path = base_url.rstrip("/") + f"/proxy/{port}/"
    if proxy is False:
        return Route(direct, "/", False, f"directly from {direct} (proxy=False)")
    if proxy is True:
        return Route(path, path, True, f"through Jupyter's {path} (proxy=True)")
    answer = None
    if server is not None:
        token = server.token or env.get("JUPYTERHUB_API_TOKEN", "")
        answer = (probe or _probe)(server.url.rstrip("/") + f"/proxy/{port}/health", token,
                                   app_id)
    if answer is True:
        return Route(path, path, True, f"through Jupyter's {path} (jupyter-server-proxy)")
    # Unconfirmed: only where a browser could not load it directly anyway (a hub), or where
    # a Jupyter server that may have the proxy would not let us ask (a password login).
    if answer is None and (hub_prefix or (server is not None and _proxy_installed())):
        what = "JupyterHub" if hub_prefix else "jupyter-server-proxy is installed"
        return Route(path, path, True, f"through Jupyter's {path} ({what}; not confirmed)")
    if answer is False:
        why = "the Jupyter server has no jupyter-server-proxy"
    elif server is None:
        why = "no Jupyter server started this kernel"
    else:
        why = "no jupyter-server-proxy found"
    return Route(direct, "/", False,
                 f"directly from {direct} ({why}: only a browser on this machine can open it; "
                 "pip install jupyter-server-proxy where Jupyter runs to load it through "
                 "Jupyter)")


def cell_key() -> str | None:
    """The id of the notebook cell running now (JupyterLab and Notebook 7 send it), or None."""
    try:
        from IPython import get_ipython

        parent = get_ipython().kernel.get_parent()
    except Exception:  # no kernel, or an ipykernel without get_parent()
        return None
    cell = (parent or {}).get("metadata", {}).get("cellId")
    return f"cell:{cell}" if isinstance(cell, str) and cell else None


def _probe(url: str, token: str, app_id: str) -> bool | None:
    """True: the proxy answered with this dashboard; False: the server has no proxy (404);
    None: cannot tell (a login page, an error)."""
    headers = {"Authorization": f"token {token}"} if token else {}
    try:
        with urlopen(Request(url, headers=headers), timeout=PROBE_TIMEOUT) as response:
            answer = json.loads(response.read(65536))
    except HTTPError as exc:
        return False if exc.code == 404 else None
    except (URLError, OSError, ValueError):
        return None
    return True if isinstance(answer, dict) and answer.get("default_file") == app_id else None


def _proxy_installed() -> bool:
    return importlib.util.find_spec("jupyter_server_proxy") is not None


def _server(info: dict, pid: int) -> JupyterServer:
    base_url = "/" + str(info.get("base_url") or "/").strip("/") + "/"
    base_url = "/" if base_url == "//" else base_url
    hostname = str(info.get("hostname") or "127.0.0.1")
    if hostname in ("", "0.0.0.0", "::", "*"):
        hostname = "127.0.0.1"  # listening everywhere: this machine reaches it on loopback
    scheme = "https" if info.get("secure") else "http"
    url = f"{scheme}://{hostname}:{info.get('port')}{base_url}"
    return JupyterServer(base_url, url, str(info.get("token") or ""), pid)


def _ancestors() -> list[int]:
    try:
        import psutil

        return [p.pid for p in psutil.Process().parents()]
    except Exception:  # psutil missing or a process gone meanwhile
        return [os.getppid()]


def _runtime_dirs() -> list[Path]:
    try:
        from jupyter_core.paths import jupyter_runtime_dir
    except ImportError:  # a kernel without jupyter_core was not started by a Jupyter server
        return []
    return [Path(jupyter_runtime_dir())]


def _with_scheme(url: str) -> str:
    """lightkurve's notebook_url may lack one ("localhost:8888"): http is meant."""
    return url if "://" in url else f"http://{url}"
