"""The file store: ids, reopening in another worker, refusing bad ids, LRU, shared results."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import multiprocessing
import os
import pathlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from dashboard.data import DataError
from dashboard.data import store as store_module
from dashboard.data.shared_cache import FailSoftCache
from dashboard.data.store import TPFStore, file_id
from tests.synthetic import tpf_bytes

# What one file leaves in the store's folder (the synthetic files have no POS_CORR columns).
ENTRY_FILES = {"fits", "json", "tpf.json"} | {
    f"{name}.npy" for name in ("flux", "flux_err", "flux_bkg", "time", "cadenceno", "quality",
                               "pipeline_mask")}


class DictCache:
    """A stand-in for flask-caching's Cache shared between workers: get/set over a dict."""

    def __init__(self):
        self.values = {}

    def get(self, key):
        return self.values.get(key)

    def set(self, key, value):
        self.values[key] = value


def test_add_returns_the_same_id_for_the_same_bytes(tmp_path):
    """Uploading the same file twice, under any name, gives one id: the SHA-256 prefix."""
    data = tpf_bytes(seed=1).data
    store = TPFStore(tmp_path)
    first = store.add(data, "a.fits")
    assert store.add(data, "renamed.fits") == first
    assert first == hashlib.sha256(data).hexdigest()[:20] == file_id(data)
    assert store.add(tpf_bytes(seed=2).data, "b.fits") != first


def test_second_worker_reopens_the_file_from_disk(tmp_path):
    """A second TPFStore on the same directory (another worker) gets identical arrays and the
    original filename."""
    syn = tpf_bytes(n_cadences=25, mission="TESS", seed=9)
    fid = TPFStore(tmp_path).add(syn.data, "upload_tp.fits")

    other = TPFStore(tmp_path).get(fid)
    np.testing.assert_array_equal(other.flux, syn.flux)
    np.testing.assert_array_equal(other.time, syn.time)
    np.testing.assert_array_equal(other.cadenceno, syn.cadenceno)
    np.testing.assert_array_equal(other.quality, syn.quality)
    np.testing.assert_array_equal(other.pipeline_mask, (syn.aperture & 2) != 0)
    assert other.filename == "upload_tp.fits"
    assert other.mission == "TESS"


def test_get_of_unknown_valid_id_says_open_again(tmp_path):
    """A well-formed id the server no longer has asks the user to open the file again."""
    with pytest.raises(DataError, match="open it again"):
        TPFStore(tmp_path).get("0" * 20)


def test_add_refuses_a_non_tpf_and_keeps_nothing(tmp_path):
    """Bytes that are not a TPF raise DataError and leave nothing in the store's folder."""
    store = TPFStore(tmp_path)
    with pytest.raises(DataError):
        store.add(b"not a fits file at all", "junk.fits")
    assert list(store.directory.iterdir()) == []


@pytest.mark.parametrize("bad", [
    "../../etc/passwd",
    "",
    None,
    "/etc/passwd",
    "/" + "0" * 19,
    "0123456789abcdef012\x00",
    "0123456789abcdef0123\x00",
    "0123456789ABCDEF0123",  # upper case is not what file_id makes
    "0123456789abcdef01234",  # too long
    "..\\..\\0123456789abcd",
    12345678901234567890,
    b"0123456789abcdef0123",
])
def test_invalid_ids_never_touch_the_file_system(bad, tmp_path, monkeypatch):
    """Ids that are not 20 lower-case hex digits raise DataError before any path is built,
    checked or read."""
    store = TPFStore(tmp_path)

    def forbidden(*args, **kwargs):
        raise AssertionError("the file system was touched for an invalid id")

    monkeypatch.setattr(pathlib.Path, "exists", forbidden)
    monkeypatch.setattr(pathlib.Path, "read_text", forbidden)
    monkeypatch.setattr(pathlib.Path, "read_bytes", forbidden)
    monkeypatch.setattr(store_module, "open_tpf", forbidden)
    monkeypatch.setattr(TPFStore, "_path", forbidden)
    with pytest.raises(DataError, match="not valid"):
        store.get(bad)


def test_id_with_trailing_newline_is_invalid(tmp_path, monkeypatch):
    """A valid-looking id followed by a newline is not an id either."""
    store = TPFStore(tmp_path)

    def forbidden(*args, **kwargs):
        raise AssertionError("the file system was touched for an invalid id")

    monkeypatch.setattr(TPFStore, "_path", forbidden)
    with pytest.raises(DataError, match="not valid"):
        store.get("0123456789abcdef0123\n")


def test_lru_keeps_at_most_max_open(tmp_path):
    """With max_open=2, the least recently used file is dropped from memory (a later get reopens
    it from disk as a new object) while recently used files stay the same object."""
    store = TPFStore(tmp_path, max_open=2)
    ids = [store.add(tpf_bytes(seed=seed).data, f"{seed}.fits") for seed in range(3)]
    kept = store.get(ids[2])
    assert store.get(ids[2]) is kept
    second = store.get(ids[1])

    first = store.get(ids[0])  # was evicted: reopened from disk
    assert first is not None
    assert store.get(ids[0]) is first
    assert store.get(ids[1]) is second  # still among the two most recent
    assert store.get(ids[2]) is not kept  # evicted by ids[0]'s reopening
    assert len(store._open) <= 2


def test_lru_refreshes_recently_used(tmp_path):
    """Using a file moves it to the front: it survives the next addition."""
    store = TPFStore(tmp_path, max_open=2)
    a = store.add(tpf_bytes(seed=10).data, "a.fits")
    b = store.add(tpf_bytes(seed=11).data, "b.fits")
    dropped = store.get(b)
    kept = store.get(a)  # a is now the most recent, b the least
    store.add(tpf_bytes(seed=12).data, "c.fits")
    assert store.get(a) is kept
    assert store.get(b) is not dropped  # b was evicted and had to be reopened


def test_derived_computes_once_with_shared_cache(tmp_path):
    """derived() computes a result once; another worker sharing the cache reuses it."""
    data = tpf_bytes(seed=3).data
    shared = DictCache()
    store = TPFStore(tmp_path, shared=shared)
    fid = store.add(data, "x.fits")
    calls = []

    def compute(tpf):
        calls.append(tpf)
        return tpf.lightcurve().tolist()

    first = store.derived(fid, "lightcurve", compute)
    second = store.derived(fid, "lightcurve", compute)
    third = TPFStore(tmp_path, shared=shared).derived(fid, "lightcurve", compute)
    assert len(calls) == 1
    assert first == second == third
    np.testing.assert_allclose(first, store.get(fid).lightcurve())
    assert store.derived(fid, "other", lambda tpf: 42) == 42  # names are separate entries


def test_derived_without_shared_cache_computes_each_time(tmp_path):
    """Without a shared cache derived() still returns the right value."""
    store = TPFStore(tmp_path)
    fid = store.add(tpf_bytes(seed=3).data, "x.fits")
    assert store.derived(fid, "n", lambda tpf: tpf.n_cadences) == 40


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    """After adding files only each id's <id>.fits, <id>.json, arrays (<id>.<field>.npy) and
    manifest (<id>.tpf.json) remain: no .incoming-* left behind, and the stored bytes are
    exactly the uploaded ones."""
    store = TPFStore(tmp_path)
    data = tpf_bytes(seed=5, gzip=True).data
    fid = store.add(data, "g.fits.gz")
    other = store.add(tpf_bytes(seed=6).data, "h.fits")
    names = sorted(os.listdir(store.directory))
    assert not [n for n in names if n.startswith(".incoming-")]
    for id_ in (fid, other):
        mine = {n[len(id_) + 1:] for n in names if n.startswith(id_)}
        assert mine == ENTRY_FILES, mine
    assert len(names) == 2 * len(ENTRY_FILES)
    assert (store.directory / f"{fid}.fits").read_bytes() == data


def test_failed_write_removes_its_temporary_file(tmp_path, monkeypatch):
    """If the final rename fails, the half-written temporary file is removed and no entry
    appears."""
    store = TPFStore(tmp_path)

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(store_module.os, "replace", broken_replace)
    with pytest.raises(OSError):
        store.add(tpf_bytes(seed=8).data, "f.fits")
    assert os.listdir(store.directory) == []


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
    real = store_module.open_tpf
    monkeypatch.setattr(store_module, "open_tpf", lambda *a, **k: calls.append(a) or real(*a, **k))
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
