"""A small .fits.gz that unpacks to gigabytes (issue 15, item 3) is refused at once, in the
page's reader and on the command line, without the memory it would take to unpack it.

Each bomb is ~3 MB of gzip: a FITS header followed by 3 GiB of zeros, either as the data that
header announces or behind a whole synthetic TPF. Unpacked first and judged after (as before),
one took 37 s and 6.4 GB. Each is opened in a fresh process so that its peak RSS (VmHWM, or the
child's ru_maxrss) is its own; an address-space limit keeps a regression from taking the machine
down with it (it then fails with a MemoryError instead).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import textwrap

import pytest
from astropy.io import fits

from dashboard.data import DataError
from dashboard.data.store import TPFStore
from tests.synthetic import tpf_bytes, write_gzip_bomb

from .conftest import ROOT

ZEROS = 3 * 2**30
MB = 2**20
# Peak memory a refusal may add to the process: a few pieces of the stream and the file itself,
# against the 3 GiB that unpacking would take.
PEAK_ALLOWANCE = 100 * MB
ADDRESS_SPACE_LIMIT = 2 * 2**30  # the CLI needs ~0.3 GB of address space to refuse a file


def _limited():
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))


@pytest.fixture(scope="module", params=["announced", "behind-a-tpf"])
def bomb(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("bomb") / "bomb.fits.gz"
    if request.param == "announced":
        head = fits.Header([("SIMPLE", True), ("BITPIX", 8), ("NAXIS", 1),
                            ("NAXIS1", ZEROS)]).tostring().encode()
        message = "would unpack to 3.0 GB or more"
    else:
        head = tpf_bytes(n_cadences=20).data
        message = "more than its FITS headers describe"
    write_gzip_bomb(path, head, ZEROS)
    assert 2 * MB < path.stat().st_size < 4 * MB
    return path, message


OPEN_IN_A_FRESH_PROCESS = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    from dashboard.data import DataError, open_tpf

    def peak():
        status = Path("/proc/self/status").read_text().splitlines()
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM"))

    data = Path(sys.argv[1]).read_bytes()
    before = peak()
    start = time.perf_counter()
    try:
        open_tpf(data, filename="bomb.fits.gz")
        message = None
    except DataError as exc:
        message = str(exc)
    print(json.dumps({"message": message, "seconds": time.perf_counter() - start,
                      "before": before, "peak": peak()}))
""")


def test_reader_refuses_the_bomb_at_once_without_unpacking_it(bomb):
    """open_tpf on the bomb's bytes: a DataError with the message, well within 2 s, and the
    process's peak RSS grows by a few megabytes, not gigabytes."""
    path, message = bomb
    run = subprocess.run([sys.executable, "-c", OPEN_IN_A_FRESH_PROCESS, str(path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, preexec_fn=_limited)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    print(f"refused in {result['seconds'] * 1000:.0f} ms, peak RSS "
          f"{result['before'] / MB:.0f} -> {result['peak'] / MB:.0f} MB")
    assert result["message"] is not None and message in result["message"]
    assert result["message"].startswith("bomb.fits.gz ")
    assert result["seconds"] < 2
    assert result["peak"] - result["before"] < PEAK_ALLOWANCE


MEASURE_CHILD = textwrap.dedent("""
    import json, resource, subprocess, sys
    run = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=120)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print(json.dumps({"code": run.returncode, "stderr": run.stderr, "stdout": run.stdout,
                      "peak": peak}))
""")


def _cli(path) -> dict:
    """``python -m dashboard PATH`` in a process of its own: exit status, output, peak RSS."""
    run = subprocess.run([sys.executable, "-c", MEASURE_CHILD, sys.executable, "-m", "dashboard",
                          str(path), "--port", "1"], cwd=ROOT, capture_output=True, text=True,
                         timeout=180, preexec_fn=_limited)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_cli_refuses_the_bomb_with_status_2_and_one_message(bomb, tmp_path):
    """``python -m dashboard bomb.fits.gz`` exits 2 with the message and no traceback, peaking
    no higher than the same command refusing a 1-byte file."""
    path, message = bomb
    tiny = tmp_path / "tiny.fits.gz"
    tiny.write_bytes(b"x")
    baseline = _cli(tiny)
    assert baseline["code"] == 2, baseline
    result = _cli(path)
    print(f"CLI peak RSS {result['peak'] / MB:.0f} MB (refusing a 1-byte file: "
          f"{baseline['peak'] / MB:.0f} MB)")
    assert result["code"] == 2, result
    assert message in result["stderr"] and "bomb.fits.gz" in result["stderr"]
    assert "Traceback" not in result["stderr"]
    assert result["stderr"].count("\n") == 1 and result["stderr"].startswith("error: ")
    assert result["peak"] - baseline["peak"] < PEAK_ALLOWANCE


def test_store_refuses_the_bomb_and_keeps_nothing(bomb, tmp_path):
    """What an upload reaches (TPFStore.add): the same message, and nothing left in the store's
    folder for another worker to trip over."""
    path, message = bomb
    store = TPFStore(tmp_path)
    with pytest.raises(DataError, match=message):
        store.add(path.read_bytes(), "bomb.fits.gz")
    assert list(store.directory.iterdir()) == []
