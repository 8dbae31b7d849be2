"""Nothing hides a test: every tests/**/test_*.py file is collected (pytest's default
`norecursedirs` skipped a folder named `build` for long, unnoticed), and no test module
defines a fixture that shadows a session fixture of conftest.py (a module-level `built` once
rebuilt the graph for each of its tests)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from conftest import COLLECTED, TESTS, whole_suite_collected


def files_on_disk(root: Path) -> set[Path]:
    return {path.resolve() for path in root.rglob("test_*.py")
            if "__pycache__" not in path.parts}


def uncollected(on_disk: set[Path], collected: set[Path]) -> list[Path]:
    """The test files on disk of which no test was collected."""
    return sorted(on_disk - collected)


def _collected_by_pytest(root: Path) -> set[Path]:
    """The files of the tests `pytest --collect-only` finds under root, as `make test` runs it
    (setup.cfg's options, without the workers)."""
    listed = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                             "-p", "no:xdist", "-p", "no:cacheprovider", str(root)],
                            capture_output=True, text=True, timeout=300, cwd=root.parent)
    assert listed.returncode == 0, listed.stdout[-3000:] + listed.stderr[-3000:]
    return {(root.parent / line.split("::")[0]).resolve()
            for line in listed.stdout.splitlines() if "::" in line}


def test_every_test_file_is_collected(request):
    # This session's collection when it took the whole suite, else pytest's own listing.
    collected = COLLECTED if whole_suite_collected(request.config) else \
        _collected_by_pytest(TESTS)
    assert uncollected(files_on_disk(TESTS), collected) == []


def test_a_file_pytest_does_not_collect_is_found(tmp_path):
    tests = tmp_path / "tests"
    for folder in ("store", "build"):
        (tests / folder).mkdir(parents=True)
        (tests / folder / f"test_{folder}.py").write_text("def test_one():\n    pass\n")
    (tests / "build" / "helper.py").write_text("def test_not_a_test_file():\n    pass\n")
    (tmp_path / "setup.cfg").write_text("[tool:pytest]\ntestpaths = tests\n")  # the defaults
    on_disk = files_on_disk(tests)
    assert sorted(p.name for p in on_disk) == ["test_build.py", "test_store.py"]
    # pytest's default norecursedirs skips build/: the check names the file it never ran.
    assert uncollected(on_disk, _collected_by_pytest(tests)) == [
        (tests / "build" / "test_build.py").resolve()]
    assert uncollected(on_disk, on_disk) == []


def session_fixtures(conftest_source: str) -> set[str]:
    """Names of the fixtures a conftest defines with scope="session"."""
    names = set()
    for node in ast.walk(ast.parse(conftest_source)):
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and _is_fixture(decorator.func) and any(
                        k.arg == "scope" and getattr(k.value, "value", None) == "session"
                        for k in decorator.keywords):
                    names.add(node.name)
    return names


def fixtures_defined(source: str) -> set[str]:
    """Names of the fixtures a module defines (decorated with pytest.fixture, called or not)."""
    return {node.name for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.FunctionDef) and any(
                _is_fixture(d.func if isinstance(d, ast.Call) else d)
                for d in node.decorator_list)}


def _is_fixture(node: ast.expr) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "fixture") or \
        (isinstance(node, ast.Name) and node.id == "fixture")


def shadowing(conftest_source: str, modules: dict[str, str]) -> list[str]:
    """"module: fixture" for each fixture a module defines under a session fixture's name."""
    shared = session_fixtures(conftest_source)
    return sorted(f"{name}: {fixture}" for name, source in modules.items()
                  for fixture in fixtures_defined(source) & shared)


def test_no_module_shadows_a_session_fixture():
    modules = {str(p.relative_to(TESTS)): p.read_text(encoding="utf-8")
               for p in TESTS.rglob("*.py") if p.name != "conftest.py" or p.parent != TESTS}
    conftest = (TESTS / "conftest.py").read_text(encoding="utf-8")
    assert {"small_store", "built"} <= session_fixtures(conftest)
    assert shadowing(conftest, modules) == []


def test_a_shadowing_fixture_is_found():
    conftest = ('import pytest\n@pytest.fixture(scope="session")\ndef built():\n    pass\n'
                "@pytest.fixture\ndef con():\n    pass\n")
    module = ("import pytest\nfrom pytest import fixture\n@pytest.fixture\ndef built():\n"
              "    pass\n@fixture\ndef con():\n    pass\n")
    assert shadowing(conftest, {"tasks/test_x.py": module}) == ["tasks/test_x.py: built"]
    assert shadowing(conftest, {"tasks/test_y.py": "def built():\n    pass\n"}) == []
