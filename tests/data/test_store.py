"""The file store: ids, reopening in another worker, refusing bad ids, LRU, shared results."""

from __future__ import annotations

import hashlib
import os
import pathlib

import numpy as np
import pytest

from dashboard.data import DataError
from dashboard.data import store as store_module
from dashboard.data.store import TPFStore, file_id
from tests.synthetic import tpf_bytes

# What one file leaves in the store's folder (the synthetic files have no POS_CORR columns).
ENTRY_FILES = {"fits", "json", "tpf.json"} | {
    f"{name}.npy" for name in ("flux", "flux_err", "flux_bkg", "time", "cadenceno", "quality",
                               "pipeline_mask", "timecorr")}


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
    assert store.opened() == [ids[1], ids[2]]  # two held, least recently used first


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
