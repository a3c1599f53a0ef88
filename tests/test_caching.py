"""Configuration picks the cache: files and local processes by default, Redis and Celery with
REDIS_URL (no Redis server is needed to build the app)."""

from __future__ import annotations

from .conftest import free_port
from .test_multiworker import _need_packages


def test_without_redis_url_files_and_local_processes(tmp_path, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    from dash import DiskcacheManager
    from flask_caching.backends.filesystemcache import FileSystemCache

    from dashboard.app import create_app

    app = create_app({"cache_dir": tmp_path})
    assert isinstance(app.store.shared.cache.cache, FileSystemCache)
    managers = {type(cb.get("manager")) for cb in app.callback_map.values() if cb.get("manager")}
    assert managers == {DiskcacheManager}


def test_redis_url_picks_redis_and_celery(tmp_path, monkeypatch):
    """REDIS_URL (no server needed to build the app): RedisCache for derived results, Celery
    for every background callback, on one Celery app the worker module exposes."""
    _need_packages()
    from dash import CeleryManager
    from flask_caching.backends.rediscache import RedisCache

    from dashboard.app import create_app
    from dashboard.caching import celery_app

    url = f"redis://127.0.0.1:{free_port()}/0"
    monkeypatch.setenv("REDIS_URL", url)
    app = create_app({"cache_dir": tmp_path})
    assert app.settings["redis_url"] == url
    assert isinstance(app.store.shared.cache.cache, RedisCache)
    managers = [cb["manager"] for cb in app.callback_map.values() if cb.get("manager")]
    assert len(managers) >= 4 and all(isinstance(m, CeleryManager) for m in managers)
    assert {m.handle for m in managers} == {celery_app(url)}
    # Nothing answers at that URL: a derived result is computed all the same.
    fid = app.default_file
    assert app.store.derived(fid, "n", lambda tpf: tpf.n_cadences) == 2000
