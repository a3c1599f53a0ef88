"""Settings: every setting is read from the environment in one place, overridden by the
command line or create_app's dict, and a value that is not of its kind is refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.data import DataError
from dashboard.services import download_cache, make_archive
from dashboard.settings import Settings

ENV = {
    "TPF_DASHBOARD_FILE": "/data/a.fits", "TPF_DASHBOARD_CACHE": "/srv/cache",
    "TPF_DASHBOARD_MAX_UPLOAD_MB": "12.5", "TPF_DASHBOARD_MAX_LC_UPLOAD_MB": "3",
    "TPF_DASHBOARD_MAX_OPEN": "4", "REDIS_URL": "redis://127.0.0.1:1/0", "SECRET_KEY": "s",
    "TPF_DASHBOARD_ARCHIVE_TIMEOUT": "7", "TPF_DASHBOARD_MAST_URL": "http://127.0.0.1:9",
    "TPF_DASHBOARD_MAST_RESOLVER_URL": "http://127.0.0.1:9/r",
    "TPF_DASHBOARD_DOWNLOAD_CACHE_MB": "1.5", "TPF_DASHBOARD_MAX_PIXELS_MB": "64",
}


def test_every_variable_is_read():
    s = Settings.from_env(ENV)
    assert (s.source, s.cache_dir, s.max_upload_mb, s.max_lightcurve_mb) == \
        ("/data/a.fits", Path("/srv/cache"), 12.5, 3.0)
    assert (s.max_open_files, s.redis_url, s.secret_key, s.archive_timeout) == \
        (4, "redis://127.0.0.1:1/0", "s", 7.0)
    assert (s.mast_url, s.mast_resolver_url) == ("http://127.0.0.1:9", "http://127.0.0.1:9/r")
    assert s.max_upload_bytes == int(12.5 * 2**20)
    assert s.max_unpacked_bytes == 64 * 2**20
    assert s.debug is False  # only the command line turns it on


def test_defaults(tmp_path):
    s = Settings.from_env({"XDG_CACHE_HOME": str(tmp_path)})
    assert s.source is None and s.cache_dir == tmp_path / "tpf-dashboard"
    assert (s.max_upload_mb, s.max_lightcurve_mb, s.max_open_files) == (200, 50, 8)
    assert (s.archive_timeout, s.download_cache_mb, s.max_unpacked_mb) == (60, 2000, 2000)
    assert s.redis_url is None and s.mast_url is None


def test_overrides_win_and_none_means_not_given():
    s = Settings.from_env(ENV, archive_timeout=3, cache_dir="/elsewhere", source=None)
    assert s.archive_timeout == 3 and s.cache_dir == Path("/elsewhere")
    assert s.source == "/data/a.fits"


@pytest.mark.parametrize("name, value", [("TPF_DASHBOARD_MAX_UPLOAD_MB", "big"),
                                         ("TPF_DASHBOARD_ARCHIVE_TIMEOUT", "soon"),
                                         ("TPF_DASHBOARD_DOWNLOAD_CACHE_MB", "lots"),
                                         ("TPF_DASHBOARD_MAX_PIXELS_MB", "x")])
def test_junk_is_refused_by_name(name, value):
    with pytest.raises(DataError, match=name):
        Settings.from_env({name: value})


def test_nonsense_values_and_unknown_settings_are_refused():
    with pytest.raises(DataError, match="archive_timeout must be more than 0"):
        Settings.from_env({}, archive_timeout=0)
    with pytest.raises(DataError, match="Unknown setting"):
        Settings.from_env({}, colour="red")


def test_services_follow_the_settings(tmp_path):
    s = Settings.from_env({}, cache_dir=tmp_path, download_cache_mb=1.5, archive_timeout=4,
                          mast_url="http://127.0.0.1:9", max_unpacked_mb=10)
    cache = download_cache(s)
    assert cache.directory == tmp_path / "downloads" and cache.directory.is_dir()
    assert cache.max_bytes == int(1.5 * 2**20) and cache.max_unpacked == 10 * 2**20
    archive = make_archive(s)
    assert archive.timeout == 4
    assert archive._observations._portal_api_connection.MAST_REQUEST_URL == \
        "http://127.0.0.1:9/api/v0/invoke"


def test_frozen():
    s = Settings.from_env({})
    with pytest.raises(AttributeError):
        s.debug = True  # type: ignore[misc]
    assert s.but(debug=True).debug is True and s.debug is False
