"""The file store shared by workers: memory-mapped arrays, concurrent uploads, and a shared
cache whose server goes away."""

from __future__ import annotations

import dataclasses
import json
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from dashboard.data import store as store_module
from dashboard.data.shared_cache import FailSoftCache
from dashboard.data.store import TPFStore, file_id
from tests.synthetic import tpf_bytes

from .test_store import ENTRY_FILES, DictCache

# --- arrays shared through memory maps ------------------------------------------------------------

def _mapped(array: np.ndarray) -> bool:
    """Whether ``array`` is (a view of) a memory map."""
    while array is not None:
        if isinstance(array, np.memmap):
            return True
        array = array.base if isinstance(array, np.ndarray) else None
    return False


def test_another_worker_memory_maps_the_cubes_without_decoding_fits(tmp_path, monkeypatch):
    """The first worker writes native-endian .npy arrays; a second worker opens them with
    np.load(mmap_mode='r') and never decodes the FITS file again. Every field is the same as
    the decoded file's."""
    syn = tpf_bytes(n_cadences=30, mission="TESS", seed=21)
    first = TPFStore(tmp_path)
    fid = first.add(syn.data, "a_tp.fits")
    decoded = store_module.open_tpf(syn.data, filename="a_tp.fits")

    def forbidden(*args, **kwargs):
        raise AssertionError("the FITS file was decoded again")

    monkeypatch.setattr(store_module, "open_tpf", forbidden)
    other = TPFStore(tmp_path).get(fid)
    for name in ("flux", "flux_err", "flux_bkg"):
        array = getattr(other, name)
        assert _mapped(array), name
        assert type(array) is np.ndarray  # a plain view: serialisers see an ordinary array
        assert array.dtype.isnative and not array.flags.writeable
    assert not _mapped(other.time) and not _mapped(other.quality)
    for field in dataclasses.fields(decoded):
        ours, theirs = getattr(other, field.name), getattr(decoded, field.name)
        if isinstance(theirs, np.ndarray):
            assert ours.dtype == theirs.dtype, field.name
            np.testing.assert_array_equal(ours, theirs, err_msg=field.name)
        else:
            assert ours == theirs, field.name
    np.testing.assert_array_equal(other.flux, syn.flux)
    assert other.lightcurve().dtype == np.float64
    np.testing.assert_array_equal(other.flux[7], syn.flux[7])


def test_the_adding_worker_keeps_the_mapped_copy_too(tmp_path):
    """After converting, the adding worker drops its decoded copy for the shared map."""
    store = TPFStore(tmp_path)
    fid = store.add(tpf_bytes(seed=22).data, "x.fits")
    assert _mapped(store.get(fid).flux)


def test_arrays_of_another_code_version_are_written_again(tmp_path, monkeypatch):
    """A manifest from another namespace (code version) is not trusted: the FITS file is
    decoded again and the arrays rewritten for this version."""
    syn = tpf_bytes(seed=23)
    fid = TPFStore(tmp_path, namespace="v1").add(syn.data, "x.fits")
    calls = []
    real = store_module.TPFStore._open_path  # either reader: in pieces or whole
    monkeypatch.setattr(store_module.TPFStore, "_open_path",
                        lambda self, *a: calls.append(a) or real(self, *a))
    tpf = TPFStore(tmp_path, namespace="v2").get(fid)
    assert len(calls) == 1
    np.testing.assert_array_equal(tpf.flux, syn.flux)
    manifest = json.loads((tmp_path / "tpf" / f"{fid}.tpf.json").read_text())
    assert manifest["namespace"] == "v2"
    TPFStore(tmp_path, namespace="v2").get(fid)
    assert len(calls) == 1  # now converted for v2


def test_a_missing_array_file_falls_back_to_the_fits_bytes(tmp_path):
    """If an array file disappears (cleaned by hand), the file is decoded again and works."""
    syn = tpf_bytes(seed=24)
    fid = TPFStore(tmp_path).add(syn.data, "x.fits")
    (tmp_path / "tpf" / f"{fid}.flux.npy").unlink()
    tpf = TPFStore(tmp_path).get(fid)
    np.testing.assert_array_equal(tpf.flux, syn.flux)
    assert (tmp_path / "tpf" / f"{fid}.flux.npy").exists()
    assert tpf.filename == "x.fits"


def test_concurrent_uploads_of_the_same_file_in_threads_make_one_entry(tmp_path, monkeypatch):
    """Eight threads adding the same bytes at once: one id, one decode, one opened object and
    one set of files, nothing temporary left."""
    data = tpf_bytes(n_cadences=200, shape=(12, 12), seed=25).data
    store = TPFStore(tmp_path)
    calls = []
    real = store_module.open_tpf
    monkeypatch.setattr(store_module, "open_tpf", lambda *a, **k: calls.append(1) or real(*a, **k))
    barrier = threading.Barrier(8)

    def upload(i):
        barrier.wait()
        return store.add(data, f"copy{i}.fits")

    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(upload, range(8)))
    assert ids == {file_id(data)} and len(calls) == 1
    assert len({id(store.get(fid)) for fid in ids}) == 1
    names = os.listdir(store.directory)
    assert sorted(n[21:] for n in names) == sorted(ENTRY_FILES), names


def _add_in_child(directory, data, start, queue):
    start.wait()
    try:
        fid = TPFStore(directory).add(data, "same.fits")
        queue.put(fid)
    except BaseException as exc:  # noqa: BLE001 (reported to the parent)
        queue.put(repr(exc))


def test_concurrent_uploads_of_the_same_file_in_processes_make_one_entry(tmp_path):
    """Three worker processes adding the same bytes at the same moment leave one complete
    entry that a fourth process opens from the arrays."""
    syn = tpf_bytes(n_cadences=400, shape=(20, 20), seed=26)
    context = multiprocessing.get_context("fork")
    start, queue = context.Event(), context.Queue()
    children = [context.Process(target=_add_in_child, args=(tmp_path, syn.data, start, queue))
                for _ in range(3)]
    for child in children:
        child.start()
    start.set()
    results = [queue.get(timeout=60) for _ in children]
    for child in children:
        child.join(30)
    assert results == [file_id(syn.data)] * 3
    names = os.listdir(tmp_path / "tpf")
    assert sorted(n[21:] for n in names) == sorted(ENTRY_FILES), names
    tpf = TPFStore(tmp_path).get(results[0])
    assert _mapped(tpf.flux)
    np.testing.assert_array_equal(tpf.flux, syn.flux)


# --- a shared cache whose server goes away --------------------------------------------------------

class DeadCache:
    """A shared cache whose server has gone: every call raises, as RedisCache does."""

    def __init__(self):
        self.calls = 0

    def get(self, key):
        self.calls += 1
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    set = get


def test_derived_survives_a_dead_shared_cache_and_logs_once(tmp_path, caplog):
    """get/set errors of the shared cache are misses: results are computed here, the outage
    is logged once, and the server is not asked again until retry_after has passed."""
    dead = DeadCache()
    store = TPFStore(tmp_path, shared=dead)
    fid = store.add(tpf_bytes(seed=27).data, "x.fits")
    with caplog.at_level(logging.WARNING, logger="dashboard.data.shared_cache"):
        values = [store.derived(fid, f"n{i}", lambda tpf, i=i: tpf.n_cadences + i)
                  for i in range(20)]
    assert values == [40 + i for i in range(20)]
    assert dead.calls == 1  # then no more tries for retry_after seconds
    outages = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(outages) == 1 and "ConnectionError" in outages[0].getMessage()
    assert store.shared.available is False


def test_shared_cache_is_used_again_when_it_comes_back(tmp_path, caplog):
    """After retry_after, the next call tries the server again; success is logged."""
    shared = DictCache()
    broken = {"now": True}

    class Flaky:
        def get(self, key):
            if broken["now"]:
                raise ConnectionError("refused")
            return shared.get(key)

        def set(self, key, value):
            if broken["now"]:
                raise ConnectionError("refused")
            shared.set(key, value)

    wrapped = FailSoftCache(Flaky(), retry_after=0.05)
    store = TPFStore(tmp_path, shared=wrapped)
    fid = store.add(tpf_bytes(seed=28).data, "x.fits")
    assert store.shared is wrapped
    with caplog.at_level(logging.WARNING, logger="dashboard.data.shared_cache"):
        assert store.derived(fid, "a", lambda tpf: 1) == 1
        broken["now"] = False
        time.sleep(0.06)
        assert store.derived(fid, "b", lambda tpf: 2) == 2
    assert wrapped.available and any(k.endswith(":b") for k in shared.values)
    assert any("reachable again" in r.getMessage() for r in caplog.records)


def test_flask_caching_redis_on_a_dead_server_raises_and_the_store_degrades(tmp_path):
    """flask-caching's RedisCache does not swallow a refused connection (it raises
    redis.ConnectionError); the store's wrapper turns that into a computed result."""
    pytest.importorskip("redis")
    from flask import Flask
    from flask_caching import Cache

    from tests.conftest import free_port

    cache = Cache(Flask("t"), config={"CACHE_TYPE": "RedisCache",
                                      "CACHE_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    import redis

    with pytest.raises(redis.ConnectionError):
        cache.get("anything")
    store = TPFStore(tmp_path, shared=cache)
    fid = store.add(tpf_bytes(seed=29).data, "x.fits")
    assert store.derived(fid, "n", lambda tpf: tpf.n_cadences) == 40
