"""bench/load.py works: a short run of 3 users against gunicorn with 2 workers, 0 errors.

A smoke test only. The load figures come from the benchmark run alone on a quiet machine
(docs/performance.md), never from timed assertions here.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import ROOT


@pytest.mark.parametrize("model", ["callback", "auto"])
def test_a_short_load_run_reports_no_errors(tmp_path, model):
    pytest.importorskip("gunicorn")
    summary_file = tmp_path / "summary.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load.py"), "--users", "3", "--rate", "5",
         "--duration", "8", "--warmup", "1", "--workers", "2", "--click-every", "2",
         "--model", model, "--json", str(summary_file)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    lines = [line for line in result.stdout.splitlines() if line.startswith("SUMMARY ")]
    assert len(lines) == 1, result.stdout[-2000:]
    summary = json.loads(lines[0].removeprefix("SUMMARY "))
    assert summary == {k: v for k, v in json.loads(summary_file.read_text()).items()
                       if k not in ("samples", "searches")}

    assert summary["errors"] == 0, summary["phases"][0]["error_examples"]
    assert summary["server_log_errors"] == 0, result.stdout[-2000:]
    assert summary["users"] == 3 and summary["workers"] == 2
    assert summary["model"] in ("callback", "browser")
    (phase,) = summary["phases"]
    assert phase["steps"] > 0 and phase["ticks"] > 0
    if summary["model"] == "callback":
        assert phase["requests"] >= phase["steps"] > 0  # every step was a checked request
    assert summary["page_load_ms"]["n"] == 3
    # Two workers, each with its memory before and after.
    assert len(summary["memory_before"]) == 2 and len(summary["memory_after"]) == 2
    assert all(m["rss_mb"] > 0 for m in summary["memory_after"])
    # The human-readable report is there too.
    assert "steps/s" in result.stdout and "workers (psutil" in result.stdout
