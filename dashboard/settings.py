"""The dashboard's settings: one typed object, built from the environment and the command line
in one place (:meth:`Settings.from_env`), then passed down; no other module reads the
environment for a setting.

==================== ================================ =============================================
field                environment                      meaning (default)
==================== ================================ =============================================
source               TPF_DASHBOARD_FILE               TPF path or bytes opened first (the demo)
cache_dir            TPF_DASHBOARD_CACHE              received files, arrays, derived results
                                                      ($XDG_CACHE_HOME/tpf-dashboard)
max_upload_mb        TPF_DASHBOARD_MAX_UPLOAD_MB      TPF upload cap (200)
max_lightcurve_mb    TPF_DASHBOARD_MAX_LC_UPLOAD_MB   light-curve upload cap (50)
max_open_files       TPF_DASHBOARD_MAX_OPEN           opened files held per process (8)
redis_url            REDIS_URL                        Redis for the shared cache and Celery (none)
secret_key           SECRET_KEY                       signs background-job handles (none: one kept
                                                      in the job store)
archive_timeout      TPF_DASHBOARD_ARCHIVE_TIMEOUT    seconds to wait for MAST at each step (60)
mast_url             TPF_DASHBOARD_MAST_URL           MAST's base URL (MAST's own)
mast_resolver_url    TPF_DASHBOARD_MAST_RESOLVER_URL  the MAST name resolver (MAST's)
download_cache_mb    TPF_DASHBOARD_DOWNLOAD_CACHE_MB  download cache size limit (2000)
max_unpacked_mb      TPF_DASHBOARD_MAX_PIXELS_MB      a .fits.gz may unpack to at most this (2000)
catalog_timeout      TPF_DASHBOARD_CATALOG_TIMEOUT    catalogue and SkyBoT timeout, s (30)
vizier_url           TPF_DASHBOARD_VIZIER_URL         VizieR, for Gaia DR3 (VizieR's own)
mast_catalogs_url    TPF_DASHBOARD_MAST_CATALOGS_URL  MAST's catalogs, for the TIC (MAST's own)
skybot_url           TPF_DASHBOARD_SKYBOT_URL         SkyBoT's cone search (IMCCE's own)
catalog              (the CLI's --catalog)            your own catalogue CSV, shown on the image
store_url            TPF_DASHBOARD_STORE_URL          s3://bucket/prefix: files shared by servers
                                                      that share no disk (none: the cache folder)
store_timeout        TPF_DASHBOARD_STORE_TIMEOUT      object store request timeout, s (5)
local_cache_mb       TPF_DASHBOARD_LOCAL_CACHE_MB     bound on this server's received files (5000)
debug                (the CLI's --debug only)         Dash dev tools (off)
==================== ================================ =============================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from .data.errors import DataError


@dataclass(frozen=True)
class Settings:
    source: str | bytes | None = None
    filename: str | None = None  # the name shown for ``source`` (default: its file name)
    cache_dir: Path = field(default_factory=lambda: default_cache_dir({}))
    max_upload_mb: float = 200.0
    max_lightcurve_mb: float = 50.0
    max_open_files: int = 8
    redis_url: str | None = None
    secret_key: str | None = None
    archive_timeout: float = 60.0
    mast_url: str | None = None  # None: MAST itself (data/archive.py MAST_SERVER)
    mast_resolver_url: str | None = None  # None: MAST's resolver (data/archive.py)
    download_cache_mb: float = 2000.0
    max_unpacked_mb: float = 2000.0
    catalog_timeout: float = 30.0
    vizier_url: str | None = None  # None: each service's own address (data/sky/services.py)
    mast_catalogs_url: str | None = None
    skybot_url: str | None = None
    catalog: str | None = None  # a path: your own catalogue (id, ra, dec[, pmra, pmdec, mag])
    store_url: str | None = None  # s3://bucket/prefix (data/object_store.py); AWS_* configure it
    store_timeout: float = 5.0
    local_cache_mb: float = 5000.0
    debug: bool = False
    # A light curve given in Python (``show(tpf, lc=...)``): a CustomLightCurve, drawn at once.
    custom_lightcurve: object | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> Settings:
        """Settings from ``env`` (default ``os.environ``), then ``overrides`` (CLI options, a
        ``create_app`` dict); an override of None means "not given". Raises DataError naming
        the variable for a value that is not of its kind."""
        env = os.environ if env is None else env
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise DataError(f"Unknown setting(s): {', '.join(sorted(unknown))}.")
        given = {k: v for k, v in overrides.items() if v is not None}
        values = {
            "source": env.get("TPF_DASHBOARD_FILE") or None,
            "cache_dir": default_cache_dir(env),
            "max_upload_mb": _number(env, "TPF_DASHBOARD_MAX_UPLOAD_MB", 200.0),
            "max_lightcurve_mb": _number(env, "TPF_DASHBOARD_MAX_LC_UPLOAD_MB", 50.0),
            "max_open_files": int(_number(env, "TPF_DASHBOARD_MAX_OPEN", 8)),
            "redis_url": env.get("REDIS_URL") or None,
            "secret_key": env.get("SECRET_KEY") or None,
            "archive_timeout": _number(env, "TPF_DASHBOARD_ARCHIVE_TIMEOUT", 60.0),
            "mast_url": env.get("TPF_DASHBOARD_MAST_URL") or None,
            "mast_resolver_url": env.get("TPF_DASHBOARD_MAST_RESOLVER_URL") or None,
            "download_cache_mb": _number(env, "TPF_DASHBOARD_DOWNLOAD_CACHE_MB", 2000.0),
            "max_unpacked_mb": _number(env, "TPF_DASHBOARD_MAX_PIXELS_MB", 2000.0),
            "catalog_timeout": _number(env, "TPF_DASHBOARD_CATALOG_TIMEOUT", 30.0),
            "vizier_url": env.get("TPF_DASHBOARD_VIZIER_URL") or None,
            "mast_catalogs_url": env.get("TPF_DASHBOARD_MAST_CATALOGS_URL") or None,
            "skybot_url": env.get("TPF_DASHBOARD_SKYBOT_URL") or None,
            "store_url": env.get("TPF_DASHBOARD_STORE_URL") or None,
            "store_timeout": _number(env, "TPF_DASHBOARD_STORE_TIMEOUT", 5.0),
            "local_cache_mb": _number(env, "TPF_DASHBOARD_LOCAL_CACHE_MB", 5000.0),
        }
        values.update(given)
        values["cache_dir"] = Path(values["cache_dir"])
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """DataError for values no deployment could mean (a cap or timeout of zero or less)."""
        for name in ("max_upload_mb", "max_lightcurve_mb", "archive_timeout",
                     "download_cache_mb", "max_unpacked_mb", "catalog_timeout",
                     "store_timeout", "local_cache_mb"):
            if not float(getattr(self, name)) > 0:
                raise DataError(f"The setting {name} must be more than 0, not "
                                f"{getattr(self, name)!r}.")
        if self.max_open_files < 1:
            raise DataError(f"The setting max_open_files must be at least 1, not "
                            f"{self.max_open_files!r}.")

    def but(self, **changes) -> Settings:
        """A copy with ``changes`` (frozen: settings never change under a running app)."""
        return replace(self, **changes)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 2**20)

    @property
    def max_unpacked_bytes(self) -> int:
        return int(self.max_unpacked_mb * 2**20)

    @property
    def max_lightcurve_bytes(self) -> int:
        return int(self.max_lightcurve_mb * 2**20)


def default_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$TPF_DASHBOARD_CACHE``, else ``$XDG_CACHE_HOME/tpf-dashboard`` (``~/.cache/...``)."""
    env = os.environ if env is None else env
    if env.get("TPF_DASHBOARD_CACHE"):
        return Path(env["TPF_DASHBOARD_CACHE"])
    base = env.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tpf-dashboard"


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    text = str(env.get(name, "") or "").strip()
    if not text:
        return float(default)
    try:
        return float(text)
    except ValueError:
        raise DataError(f"{name} must be a number, not {text!r}.") from None
