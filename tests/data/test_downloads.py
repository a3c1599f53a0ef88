"""DownloadCache: atomic, verified writes; hits without the network; LRU eviction by size."""

from __future__ import annotations

import os
import time

import pytest
import requests

from dashboard.data.downloads import DownloadCache, DownloadInterrupted, cache_key_name
from dashboard.data.errors import DataError
from tests.synthetic import tpf_bytes


@pytest.fixture
def tpf():
    return tpf_bytes(mission="TESS").data


def _chunks(data: bytes, size: int = 1000):
    for start in range(0, len(data), size):
        yield data[start:start + size]


def test_put_then_get_returns_the_same_bytes(tmp_path, tpf):
    cache = DownloadCache(tmp_path, max_bytes=10**8)
    path = cache.put_stream("mast:TESS/product/a_tp.fits", _chunks(tpf), "a_tp.fits",
                            total=len(tpf))
    assert path.read_bytes() == tpf and path.name.endswith(".fits")
    assert cache.get("mast:TESS/product/a_tp.fits") == path
    assert cache.get("mast:TESS/product/other_tp.fits") is None
    assert os.listdir(tmp_path) == [path.name]  # no temporary file left behind


def test_keys_never_become_paths(tmp_path, tpf):
    cache = DownloadCache(tmp_path, max_bytes=10**8)
    path = cache.put_bytes("../../etc/passwd\0 or whatever", tpf, "../../evil name.fits.gz")
    assert path.parent == tmp_path
    assert path.name == cache_key_name("../../etc/passwd\0 or whatever") + ".fits.gz"


def test_interrupted_stream_leaves_nothing(tmp_path, tpf):
    cache = DownloadCache(tmp_path, max_bytes=10**8)

    def dropped():
        yield tpf[:5000]
        raise requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        cache.put_stream("k", dropped(), "a_tp.fits", total=len(tpf))
    assert os.listdir(tmp_path) == [] and cache.get("k") is None


def test_short_stream_is_an_interrupted_download(tmp_path, tpf):
    cache = DownloadCache(tmp_path, max_bytes=10**8)
    with pytest.raises(DownloadInterrupted, match=f"after 5,000 of {len(tpf):,} bytes"):
        cache.put_stream("k", [tpf[:5000]], "a_tp.fits", total=len(tpf))
    assert os.listdir(tmp_path) == []


def test_cancel_from_progress_leaves_nothing(tmp_path, tpf):
    cache = DownloadCache(tmp_path, max_bytes=10**8)

    class Cancelled(Exception):
        pass

    def progress(done, total):
        if done > 2000:
            raise Cancelled
    with pytest.raises(Cancelled):
        cache.put_stream("k", _chunks(tpf), "a_tp.fits", total=len(tpf), progress=progress)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("junk", [b"", b"<html>Service Unavailable</html>",
                                  b"SIMPLE  =                    T" + b" " * 2850])
def test_unreadable_file_is_refused_and_removed(tmp_path, junk):
    cache = DownloadCache(tmp_path, max_bytes=10**8)
    with pytest.raises(DataError, match="not usable and was not kept"):
        cache.put_bytes("k", junk, "a_tp.fits")
    assert os.listdir(tmp_path) == [] and cache.get("k") is None


def test_truncated_gzip_is_refused(tmp_path):
    data = tpf_bytes(gzip=True).data
    cache = DownloadCache(tmp_path, max_bytes=10**8)
    with pytest.raises(DataError, match="gzip"):
        cache.put_bytes("k", data[: len(data) // 2], "a_lpd-targ.fits.gz")
    assert os.listdir(tmp_path) == []


def test_hit_makes_no_network_call(tmp_path, tpf, monkeypatch):
    cache = DownloadCache(tmp_path, max_bytes=10**8)
    path = cache.put_bytes("k", tpf, "a_tp.fits")

    def no_network(*args, **kwargs):
        raise AssertionError("network used")
    monkeypatch.setattr(requests.Session, "request", no_network)
    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", no_network)
    assert DownloadCache(tmp_path, max_bytes=10**8).get("k") == path  # also from a new process


def test_eviction_keeps_the_limit_dropping_least_recently_used(tmp_path):
    files = {name: tpf_bytes(seed=i, mission="TESS").data for i, name in enumerate("abcd")}
    size = len(files["a"])
    cache = DownloadCache(tmp_path, max_bytes=3 * size)
    for age, name in enumerate("abc"):
        path = cache.put_bytes(name, files[name], f"{name}_tp.fits")
        os.utime(path, (time.time() - 100 + age, time.time() - 100 + age))  # a, b, c in order
    assert cache.get("a") is not None  # a is now the most recently used
    cache.put_bytes("d", files["d"], "d_tp.fits")
    assert cache.total_bytes() <= 3 * size
    assert cache.get("b") is None  # the least recently used went
    assert all(cache.get(name) is not None for name in "acd")


def test_file_larger_than_the_limit_is_kept_until_the_next_one(tmp_path, tpf):
    cache = DownloadCache(tmp_path, max_bytes=10)
    first = cache.put_bytes("first", tpf, "a_tp.fits")
    assert first.exists()  # the person asked for it and is about to open it
    cache.put_bytes("second", tpf, "b_tp.fits")
    assert not first.exists() and cache.get("second") is not None


def test_stale_temporary_files_are_cleaned(tmp_path, tpf):
    cache = DownloadCache(tmp_path, max_bytes=10**8)
    stale = tmp_path / ".incoming-crashed"
    stale.write_bytes(b"half a file")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    cache.put_bytes("k", tpf, "a_tp.fits")
    assert not stale.exists()
