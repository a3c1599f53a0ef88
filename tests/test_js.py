"""The browser modules' unit tests (tests/js/*.test.js), run with node's own test runner, so
the README's one test command runs them too."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from .conftest import ROOT


def test_browser_modules_pass_their_node_tests():
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("node is not installed (the JS unit tests need it)")
        pytest.skip("node is not installed")
    tests = sorted(str(p) for p in (ROOT / "tests" / "js").glob("*.test.js"))
    assert len(tests) >= 3
    result = subprocess.run([node, "--test", *tests], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
