"""Cache keys follow the code: results derived by other code are never reused."""

from __future__ import annotations

from dashboard import __version__
from dashboard.app import create_app
from dashboard.fingerprint import code_fingerprint, sources_hash


def test_any_change_to_a_module_changes_the_hash(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.py").write_text("y = 2\n")
    first = sources_hash(tmp_path)
    assert sources_hash(tmp_path) == first  # the same code, the same key
    (tmp_path / "sub" / "b.py").write_text("y = 3\n")
    assert sources_hash(tmp_path) != first
    (tmp_path / "sub" / "b.py").write_text("y = 2\n")
    assert sources_hash(tmp_path) == first
    (tmp_path / "sub" / "b.py").rename(tmp_path / "sub" / "c.py")  # a module renamed
    assert sources_hash(tmp_path) != first


def test_the_store_keys_derived_results_by_version_and_code(tmp_path):
    app = create_app({"cache_dir": str(tmp_path)})
    assert code_fingerprint().startswith(__version__ + "-")
    assert app.store.namespace == f"tpf-dashboard-{code_fingerprint()}"
