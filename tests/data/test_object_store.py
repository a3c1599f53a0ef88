"""Files shared through an object store by servers that share no disk: round trips through a
real S3-compatible server (moto_server), one fetch for many askers, the local cache's bound,
and a store that is slow, failing, gone or cuts its answers short."""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from astropy.io import fits

from dashboard.data import DataError
from dashboard.data.object_store import ObjectStore, StoreUnavailable, open_object_store
from dashboard.data.store import TPFStore
from dashboard.settings import Settings
from tests.s3_stand_in import BUCKET, FaultyProxy, MotoServer, environment
from tests.synthetic import tpf_bytes

TIMEOUT = 0.5  # seconds per request to the store: the fault tests wait at most a few of these


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    server = MotoServer(tmp_path_factory.mktemp("moto") / "moto.log")
    yield server
    server.stop()


@pytest.fixture
def proxy(moto, monkeypatch):
    """The store as the dashboard reaches it: through the proxy, by the standard variables."""
    front = FaultyProxy(moto.port)
    for name, value in environment(front.url).items():
        monkeypatch.setenv(name, value)
    yield front
    front.stop()


@pytest.fixture
def prefix(request):
    """A key prefix of this test's own, so tests never see each other's objects."""
    return f"t{hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:10]}/"


def objects(prefix: str, **options) -> ObjectStore:
    return ObjectStore(BUCKET, prefix, timeout=TIMEOUT, **options)


def dyno(tmp_path, name: str, prefix: str, **options) -> TPFStore:
    """The store of one server: its own folder, the shared object store."""
    return TPFStore(tmp_path / name, objects=objects(prefix), **options)


def reference_flux(data: bytes) -> np.ndarray:
    import io

    with fits.open(io.BytesIO(data)) as hdul:
        return np.asarray(hdul[1].data["FLUX"], dtype=np.float32)


# --- the URL and the settings ---------------------------------------------------------------------

@pytest.mark.parametrize("url, bucket, prefix", [
    ("s3://bucket", "bucket", ""),
    ("s3://bucket/", "bucket", ""),
    ("s3://bucket/tpf-files", "bucket", "tpf-files/"),
    ("s3://bucket/a/b/", "bucket", "a/b/"),
])
def test_store_url_names_bucket_and_prefix(url, bucket, prefix):
    store = ObjectStore.from_url(url)
    assert (store.bucket, store.prefix) == (bucket, prefix)
    assert store.key("tpf", "0123456789abcdef0123") == f"{prefix}tpf/0123456789abcdef0123"


@pytest.mark.parametrize("url", ["http://bucket/x", "s3:///x", "bucket/x", "s3://b/x?y=1"])
def test_a_store_url_of_another_shape_is_refused_in_one_sentence(url):
    with pytest.raises(DataError, match="s3://bucket/prefix"):
        open_object_store(url)


def test_settings_read_the_store_variables():
    settings = Settings.from_env({"TPF_DASHBOARD_STORE_URL": "s3://b/p",
                                  "TPF_DASHBOARD_STORE_TIMEOUT": "2.5",
                                  "TPF_DASHBOARD_LOCAL_CACHE_MB": "300"})
    assert (settings.store_url, settings.store_timeout, settings.local_cache_mb) == \
        ("s3://b/p", 2.5, 300.0)
    assert Settings.from_env({}).store_url is None
    with pytest.raises(DataError, match="store_timeout"):
        Settings.from_env({"TPF_DASHBOARD_STORE_TIMEOUT": "0"})


# --- round trips ----------------------------------------------------------------------------------

def test_put_then_fetch_gives_the_same_bytes_and_name(moto, proxy, prefix, tmp_path):
    """A file put under its id comes back byte for byte with its (non-ASCII) name; only its own
    key is left in the bucket, no temporary one."""
    data = b"\x00pixels\xff" * 1000
    fid = hashlib.sha256(data).hexdigest()[:20]
    store = objects(prefix)
    assert not store.exists("tpf", fid)
    store.put("tpf", fid, data, "Kepler 10 ‘b’ tp.fits")
    assert store.exists("tpf", fid)
    assert moto.keys(prefix) == [f"{prefix}tpf/{fid}"]
    destination = tmp_path / "copy"
    assert store.fetch("tpf", fid, destination) == "Kepler 10 ‘b’ tp.fits"
    assert destination.read_bytes() == data
    assert store.fetch("tpf", "f" * 20, tmp_path / "none") is None
    assert sorted(os.listdir(tmp_path)) == ["copy"]


def test_a_damaged_stored_copy_is_refused_and_nothing_is_written(moto, proxy, prefix, tmp_path):
    """Bytes under a key that do not hash to it (a partial or altered object) never reach the
    local folder: DataError, and no file, temporary or final."""
    data = tpf_bytes(seed=41).data
    fid = hashlib.sha256(data).hexdigest()[:20]
    moto.client().put_object(Bucket=BUCKET, Key=f"{prefix}tpf/{fid}", Body=data[:-2880])
    store = dyno(tmp_path, "b", prefix)
    with pytest.raises(DataError, match="damaged"):
        store.get(fid)
    assert os.listdir(tmp_path / "b" / "tpf") in ([], [".locks"])


def test_a_file_added_on_one_server_opens_on_another(moto, proxy, prefix, tmp_path):
    """Two servers with their own folders: a TPF added on one is published by id, and the
    other fetches, converts and memory-maps it; its frames are the file's (read with astropy
    here)."""
    syn = tpf_bytes(n_cadences=30, shape=(7, 6), mission="TESS", seed=42)
    fid = dyno(tmp_path, "a", prefix).add(syn.data, "upload_tp.fits")
    assert moto.keys(prefix) == [f"{prefix}tpf/{fid}"]
    other = dyno(tmp_path, "b", prefix).get(fid)
    np.testing.assert_array_equal(other.flux, reference_flux(syn.data))
    assert other.filename == "upload_tp.fits"
    assert (tmp_path / "b" / "tpf" / f"{fid}.tpf.json").exists()
    assert (tmp_path / "b" / "tpf" / f"{fid}.fits").read_bytes() == syn.data


def test_blobs_travel_too(moto, proxy, prefix, tmp_path):
    data = b"time,flux\n1,2\n"
    fid = dyno(tmp_path, "a", prefix).put_blob(data, "lightcurves", "my curve.csv")
    assert dyno(tmp_path, "b", prefix).get_blob(fid, "lightcurves") == (data, "my curve.csv")
    with pytest.raises(DataError, match="upload it again"):
        dyno(tmp_path, "c", prefix).get_blob("0" * 20, "lightcurves")


def test_a_servers_own_source_is_not_published(moto, proxy, prefix, tmp_path):
    """``local=True`` (the file every server opens itself) never waits on the store."""
    proxy.mode = "gone"
    store = dyno(tmp_path, "a", prefix)
    fid = store.add(tpf_bytes(seed=43).data, "demo", local=True)
    assert store.get(fid).n_cadences == 40
    proxy.mode = "pass"
    assert moto.keys(prefix) == []


# --- one fetch for many askers --------------------------------------------------------------------

def test_threads_asking_at_once_wait_for_one_fetch(moto, proxy, prefix, tmp_path):
    syn = tpf_bytes(n_cadences=300, shape=(15, 15), seed=44)
    fid = dyno(tmp_path, "a", prefix).add(syn.data, "x.fits")
    store = dyno(tmp_path, "b", prefix)
    barrier = threading.Barrier(8)

    def ask(_):
        barrier.wait()
        return store.get(fid)

    with ThreadPoolExecutor(8) as pool:
        opened = list(pool.map(ask, range(8)))
    assert len({id(tpf) for tpf in opened}) == 1
    assert proxy.count("GET", f"/tpf/{fid}") == 1
    np.testing.assert_array_equal(opened[0].flux, reference_flux(syn.data))


def _get_in_child(directory, prefix, fid, start, queue):
    start.wait()
    try:
        tpf = TPFStore(directory, objects=objects(prefix)).get(fid)
        queue.put(float(np.nansum(tpf.flux, dtype=np.float64)))
    except BaseException as exc:  # noqa: BLE001 (reported to the parent)
        queue.put(repr(exc))


def test_processes_of_one_server_fetch_once(moto, proxy, prefix, tmp_path):
    """Three worker processes sharing a folder ask for a file only the store has, at the same
    moment: one fetch (a lock file), all three get its pixels."""
    syn = tpf_bytes(n_cadences=400, shape=(20, 20), seed=45)
    fid = dyno(tmp_path, "a", prefix).add(syn.data, "x.fits")
    context = multiprocessing.get_context("fork")
    start, queue = context.Event(), context.Queue()
    children = [context.Process(target=_get_in_child,
                                args=(tmp_path / "b", prefix, fid, start, queue))
                for _ in range(3)]
    for child in children:
        child.start()
    start.set()
    results = [queue.get(timeout=60) for _ in children]
    for child in children:
        child.join(30)
    expected = float(np.nansum(reference_flux(syn.data), dtype=np.float64))
    assert results == [pytest.approx(expected)] * 3, results
    assert proxy.count("GET", f"/tpf/{fid}") == 1


# --- the local cache's bound ----------------------------------------------------------------------

def _entry_bytes(directory, fid) -> int:
    return sum(p.stat().st_size for p in directory.glob(f"{fid}.*"))


def test_the_local_folder_keeps_its_bound_least_recently_used_out(moto, proxy, prefix,
                                                                  tmp_path):
    """With room for about two files, a third pushes out the least recently used one not in
    use; asked for again, it is fetched from the store with the same pixels."""
    files = [tpf_bytes(n_cadences=200, shape=(12, 12), seed=50 + i).data for i in range(3)]
    probe = dyno(tmp_path, "probe", prefix)
    size = _entry_bytes(probe.directory, probe.add(files[0], "0.fits"))
    store = dyno(tmp_path, "b", prefix, max_open=1, max_local_bytes=int(2.5 * size))
    ids = [store.add(data, f"{i}.fits") for i, data in enumerate(files)]
    folder = store.directory
    on_disk = {fid for fid in ids if (folder / f"{fid}.tpf.json").exists()}
    assert on_disk == {ids[1], ids[2]}  # ids[0]: least recently used, and not held open
    assert sum(p.stat().st_size for p in folder.iterdir() if p.is_file()) <= 2.5 * size
    again = store.get(ids[0])
    np.testing.assert_array_equal(again.flux, reference_flux(files[0]))
    assert proxy.count("GET", f"/tpf/{ids[0]}") == 1


def test_without_a_store_an_evicted_file_asks_to_be_opened_again(tmp_path):
    """Room for about two files, four added: the server's own source (pinned) stays, and the
    least recently used of the others, gone, asks to be opened again."""
    files = [tpf_bytes(n_cadences=200, shape=(12, 12), seed=60 + i).data for i in range(4)]
    probe = TPFStore(tmp_path / "probe")
    size = _entry_bytes(probe.directory, probe.add(files[0], "0.fits"))
    store = TPFStore(tmp_path / "b", max_open=1, max_local_bytes=int(2.5 * size))
    pinned = store.add(files[0], "source.fits", local=True)
    ids = [store.add(data, f"{i}.fits") for i, data in enumerate(files[1:])]
    on_disk = {fid for fid in [pinned, *ids] if (store.directory / f"{fid}.tpf.json").exists()}
    # ids[0] went when ids[2] came: the least recently used, neither pinned nor held open.
    assert on_disk == {pinned, ids[1], ids[2]}
    with pytest.raises(DataError, match="open it again"):
        TPFStore(tmp_path / "b").get(ids[0])


# --- faults ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("fault", ["slow", "failing", "gone"])
def test_a_store_in_trouble(fault, moto, proxy, prefix, tmp_path, caplog):
    """Slow, failing or gone: a file this server has keeps working; a file only in the store
    says the store does not answer, within two tries of the timeout, then at once while the
    store is left alone; an upload says it could not be stored; the outage is logged once."""
    cached_data, remote_data, new_data = (tpf_bytes(seed=70 + i).data for i in range(3))
    here = dyno(tmp_path, "b", prefix)
    cached = here.add(cached_data, "cached.fits")
    remote = dyno(tmp_path, "a", prefix).add(remote_data, "remote.fits")
    proxy.mode = fault
    fresh = TPFStore(tmp_path / "b", objects=here.objects)  # another process of this server
    with caplog.at_level(logging.WARNING, logger="dashboard.data.object_store"):
        np.testing.assert_array_equal(fresh.get(cached).flux, reference_flux(cached_data))
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="file store, which does not answer"):
            fresh.get(remote)
        assert time.monotonic() - started < 2 * TIMEOUT + 1.5
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="new.fits was read but could not be stored"):
            fresh.add(new_data, "new.fits")
        assert time.monotonic() - started < 0.5  # the store is not asked again for a while
    outages = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(outages) == 1, [r.getMessage() for r in caplog.records]
    assert not list((tmp_path / "b" / "tpf").glob(f"{remote}.*"))
    assert not list((tmp_path / "b" / "tpf").glob(".incoming-*"))


def test_the_store_is_used_again_when_it_answers(moto, proxy, prefix, tmp_path, caplog):
    remote = dyno(tmp_path, "a", prefix).add(tpf_bytes(seed=75).data, "remote.fits")
    store = TPFStore(tmp_path / "b", objects=objects(prefix, retry_after=0.2))
    proxy.mode = "gone"
    with pytest.raises(StoreUnavailable):
        store.get(remote)
    proxy.mode = "pass"
    time.sleep(0.25)
    with caplog.at_level(logging.WARNING, logger="dashboard.data.object_store"):
        assert store.get(remote).n_cadences == 40
    assert any("reachable again" in r.getMessage() for r in caplog.records)


def test_an_answer_cut_short_is_never_served(moto, proxy, prefix, tmp_path):
    """The store's answer stops midway: nothing lands in the folder, the user is told the store
    does not answer, and once it answers whole the file opens."""
    syn = tpf_bytes(n_cadences=200, shape=(12, 12), seed=76)
    fid = dyno(tmp_path, "a", prefix).add(syn.data, "x.fits")
    store = TPFStore(tmp_path / "b", objects=objects(prefix, retry_after=0.0))
    proxy.cut_after = len(syn.data) // 2
    proxy.mode = "truncate"
    with pytest.raises(StoreUnavailable):
        store.get(fid)
    assert not [p for p in (tmp_path / "b" / "tpf").iterdir() if p.is_file()]
    proxy.mode = "pass"
    np.testing.assert_array_equal(store.get(fid).flux, reference_flux(syn.data))


def test_an_upload_the_store_refuses_keeps_nothing_there(moto, proxy, prefix, tmp_path,
                                                         monkeypatch):
    """The copy into place fails: the temporary key is removed and the upload is refused."""
    store = dyno(tmp_path, "a", prefix)
    real = store.objects._call

    def failing_copy(operation, **arguments):
        if operation == "copy_object":
            raise StoreUnavailable("copy failed")
        return real(operation, **arguments)

    monkeypatch.setattr(store.objects, "_call", failing_copy)
    with pytest.raises(StoreUnavailable, match="could not be stored"):
        store.add(tpf_bytes(seed=77).data, "x.fits")
    assert moto.keys(prefix) == []
