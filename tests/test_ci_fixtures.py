"""What is missing must not pass as skips under CI (``CI`` set): the real mission files, a file
named from them, and Playwright. Elsewhere each is a skip with its reason.

Each case runs pytest in a fresh process on a small test module that uses the project's own
fixtures, with the real-data folder pointed at an empty or absent folder and Playwright hidden
behind a stand-in package that has no ``sync_api``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from xml.etree import ElementTree

import pytest

from .conftest import ROOT

CASES = textwrap.dedent("""
    def test_folder(shared_data):
        pass

    def test_named_file(shared_file):
        shared_file("no-such-file_lpd-targ.fits")

    def test_browser(browser):
        pass
""")
CONFTEST = textwrap.dedent("""
    from tests.browser.conftest import browser  # noqa: F401
    from tests.conftest import shared_data, shared_file  # noqa: F401
""")


@pytest.fixture
def run_cases(tmp_path):
    """Run the cases with ``CI`` set or not: {test name: 'passed' / 'failed' / 'skipped'}."""
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "conftest.py").write_text(CONFTEST)
    (tmp_path / "cases" / "test_cases.py").write_text(CASES)
    (tmp_path / "cases" / "pytest.ini").write_text("[pytest]\n")
    hidden = tmp_path / "hidden" / "playwright"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text("")  # a package without sync_api: not installed
    (tmp_path / "empty").mkdir()

    def run(ci: bool, shared: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "CI"}
        env.update(PYTHONPATH=os.pathsep.join([str(tmp_path / "hidden"), str(ROOT)]),
                   TPF_SHARED_DATA=str(tmp_path / shared))
        if ci:
            env["CI"] = "1"
        report = tmp_path / "report.xml"
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        f"--junitxml={report}", str(tmp_path / "cases")],
                       cwd=tmp_path / "cases", env=env, capture_output=True, timeout=120)
        outcomes = {}
        for case in ElementTree.parse(report).iter("testcase"):
            kinds = {child.tag for child in case}
            outcomes[case.get("name").removeprefix("test_")] = (
                "failed" if kinds & {"failure", "error"} else
                "skipped" if "skipped" in kinds else "passed")
        return outcomes
    return run


def test_under_ci_missing_data_and_playwright_fail(run_cases):
    assert run_cases(ci=True, shared="absent") == {
        "folder": "failed", "named_file": "failed", "browser": "failed"}
    assert run_cases(ci=True, shared="empty")["named_file"] == "failed"


def test_elsewhere_they_skip_with_the_reason(run_cases):
    assert run_cases(ci=False, shared="absent") == {
        "folder": "skipped", "named_file": "skipped", "browser": "skipped"}
    assert run_cases(ci=False, shared="empty")["named_file"] == "skipped"
