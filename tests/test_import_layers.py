"""The package's folders are stages, and imports run one way: a module imports only from its own
stage or an earlier one, and no import cycle exists (issue 9).

Read from the source with `ast`, so a lazy import inside a function counts as much as one at the
top of a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "plr_luigi"
# Earlier stages first. study and filesystem are used by every stage and use no other.
STAGES = ("study", "filesystem", "monitoring", "store", "extraction", "database", "analysis",
          "figures", "report", "task_graph", "tasks", "synth", "cli", "__init__")
FOUNDATIONS = ("study", "filesystem")
RANK = {s: 0 if s in FOUNDATIONS else i for i, s in enumerate(STAGES)}
# Computation stages never import luigi (STYLE.md: two layers, one direction).
WITHOUT_LUIGI = ("study", "filesystem", "monitoring", "store", "extraction", "database",
                 "analysis", "figures", "report", "task_graph", "synth")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imported_modules(path: Path) -> set[str]:
    """Every module the file imports, absolute names, `from x import y` resolved to x.y when
    x.y is a module of the package."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names
                         if module_path(f"{node.module}.{alias.name}") is not None)
    return found


def module_path(module: str) -> Path | None:
    base = PACKAGE.parent.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
INTERNAL = {m: {i for i in imported_modules(p) if i.startswith("plr_luigi.") and i in MODULES}
            for m, p in MODULES.items()}


def test_every_module_belongs_to_a_known_stage():
    assert {stage_of(m) for m in MODULES if m != "plr_luigi"} <= set(STAGES)


def may_import(importer: str, imported: str) -> bool:
    """Whether a module of stage `importer` may import one of stage `imported`."""
    if importer == imported:
        return True
    if importer in FOUNDATIONS:
        return False  # used by every stage, they use none
    return RANK[imported] <= RANK[importer]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_only_to_the_same_or_an_earlier_stage(module):
    stage = stage_of(module)
    later = sorted(i for i in INTERNAL[module] if not may_import(stage, stage_of(i)))
    assert not later, f"{module} ({stage}) imports from a later stage: {later}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if stage_of(m) in WITHOUT_LUIGI))
def test_computation_modules_do_not_import_luigi(module):
    luigi = sorted(i for i in imported_modules(MODULES[module]) if i.split(".")[0] == "luigi")
    assert not luigi, f"{module} imports {luigi}: Luigi wiring belongs in plr_luigi.tasks"


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A list of modules forming an import cycle, or None (depth-first search)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_no_import_cycle():
    # A package's __init__ re-exporting its modules is not a cycle of the code's structure.
    graph = {m: {i for i in deps if not MODULES[i].name == "__init__.py"}
             for m, deps in INTERNAL.items()}
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_checks_can_fail():
    """The checker itself: it finds a planted cycle and a planted backwards import."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert not may_import("store", "database") and not may_import("study", "filesystem")
    assert not may_import("filesystem", "study") and may_import("monitoring", "filesystem")
    assert may_import("tasks", "store") and may_import("extraction", "study")


def test_lazy_imports_inside_functions_are_seen(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from plr_luigi.tasks import settings\n    import luigi\n")
    assert {"plr_luigi.tasks", "plr_luigi.tasks.settings", "luigi"} <= imported_modules(source)


def private_names_imported(path: Path) -> list[str]:
    """`module._name` of every underscore name the file imports from another module of the
    package: a private name is its module's own business."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.startswith("plr_luigi"):
            found += [f"{node.module}.{alias.name}" for alias in node.names
                      if alias.name.startswith("_") and alias.name != "__version__"]
    return found


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_name_is_imported_from_another_module(module):
    assert not private_names_imported(MODULES[module])


def test_private_imports_are_seen(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("from plr_luigi.study.factors import _parse, FACTORS\n"
                      "def f():\n    from plr_luigi.tasks import _hidden\n")
    assert private_names_imported(source) == ["plr_luigi.study.factors._parse",
                                               "plr_luigi.tasks._hidden"]
