"""``python -m dashboard explain|blips`` as a user runs them (real subprocesses), and
``from dashboard import explain, find_blips`` with a path, bytes, a TargetPixelFile or a
lightkurve TargetPixelFile."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import dashboard
from dashboard.data import open_tpf
from dashboard.data.demo import TRUTH, demo_bytes
from tests.conftest import ROOT, missing

LIGHT_CURVE = "tess2018206045859-s0001-0000000358108509-0120-s_lc.fits"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("blips") / "demo.fits"
    path.write_bytes(demo_bytes())
    return path


def test_explain_json_names_the_cosmic_ray(demo_file):
    frame = TRUTH["cosmic_ray"]["frame"]
    result = run("explain", str(demo_file), "--frame", str(frame), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["frame"] == frame and data["cadenceno"] == 100_000 + frame
    assert data["hypotheses"][0]["kind"] == "cosmic_ray"
    assert {"kind", "score", "summary"} <= set(data["hypotheses"][0])
    assert data["hypotheses"][0]["pixels"] == [[TRUTH["cosmic_ray"]["row"],
                                                TRUTH["cosmic_ray"]["column"]]]


def test_explain_text_is_a_table(demo_file):
    result = run("explain", str(demo_file), "--frame", "1200", "--last", "1201")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "frames 1200-1201" in lines[1] and "BKJD" in lines[1]
    assert lines[3].split() == ["score", "kind", "why"]
    assert "flagged" in result.stdout and "Thruster firing" in result.stdout


def test_blips_json_lists_the_demo_artifacts(demo_file):
    result = run("blips", str(demo_file), "--json")
    assert result.returncode == 0, result.stderr
    events = json.loads(result.stdout)["events"]
    by_first = {e["first"]: e for e in events}
    assert by_first[TRUTH["cosmic_ray"]["frame"]]["kind"] == "cosmic_ray"
    asteroid = TRUTH["asteroid"]
    assert any(e["kind"] == "moving_object" and e["first"] <= asteroid["last_frame"]
               and e["last"] >= asteroid["first_frame"] for e in events)
    assert all({"first", "last", "significance", "kind", "summary"} <= set(e) for e in events)
    text = run("blips", str(demo_file), "--max-events", "3")
    assert text.returncode == 0 and "first" in text.stdout and "cosmic_ray" in text.stdout


def _one_message(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    return lines[0]


def test_bad_files_exit_2_with_one_message(tmp_path, demo_file, shared_file):
    text = tmp_path / "notes.fits"
    text.write_text("not a FITS file")
    assert "not a FITS file" in _one_message(run("explain", str(text), "--frame", "0"))
    cut = tmp_path / "cut.fits"
    cut.write_bytes(demo_file.read_bytes()[:50_000])
    assert "truncated" in _one_message(run("blips", str(cut)))
    assert "light-curve file" in _one_message(run("blips", str(shared_file(LIGHT_CURVE))))
    assert "No such file" in _one_message(run("blips", str(tmp_path / "missing.fits")))
    assert "outside" in _one_message(run("explain", str(demo_file), "--frame", "99999"))


def test_python_api_takes_a_path_bytes_or_a_tpf(demo_file):
    frame = TRUTH["cosmic_ray"]["frame"]
    from dashboard import explain, find_blips
    for source in (demo_file, str(demo_file), demo_file.read_bytes(), open_tpf(demo_file)):
        assert explain(source, frame).top.kind == "cosmic_ray"
    assert any(e.kind == "cosmic_ray" for e in find_blips(demo_file.read_bytes()))
    assert dashboard.find_blips is find_blips


def test_python_api_takes_a_lightkurve_tpf(demo_file):
    try:
        import lightkurve
    except ModuleNotFoundError:
        missing("lightkurve is not installed (pip install -e '.[test]')")
    tpf = lightkurve.read(str(demo_file))
    assert isinstance(tpf, lightkurve.KeplerTargetPixelFile)  # read as a TPF, not a light curve
    frame = TRUTH["cosmic_ray"]["frame"]
    assert dashboard.explain(tpf, frame).top.kind == "cosmic_ray"
