"""The task graph as data: walking it, what is complete, stale or due, and invalidating targets.

Works on any objects shaped like Luigi tasks (`task_id`, `task_family`, `requires()`,
`output()`, `complete()`), without importing luigi, so that it is unit-tested on small fakes.
The `plr-luigi status | invalidate | graph` commands (plr_luigi.cli.main) are thin wrappers.

A task's state:
- complete: `complete()` is True;
- missing: not complete and none of its output files exists;
- stale: not complete although output files exist (built from an older database, run list
  or configuration): a build rebuilds it.
Tasks without outputs (wrappers, checks) are complete or missing.

What a build would run is what Luigi's scheduler would: starting at the root, every task that
is not complete, descending into the requirements of incomplete tasks only.
"""

from __future__ import annotations

import logging
import shutil
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

COMPLETE = "complete"
MISSING = "missing"
STALE = "stale"
STATES = (COMPLETE, MISSING, STALE)


def flatten(struct) -> list:
    """Luigi's flatten: the leaves of a task's requires()/output() structure, in order."""
    if struct is None:
        return []
    if isinstance(struct, dict):
        return [leaf for value in struct.values() for leaf in flatten(value)]
    if isinstance(struct, (list, tuple, set, frozenset)):
        return [leaf for value in struct for leaf in flatten(value)]
    return [struct]


def output_paths(task) -> list[Path]:
    """The local paths of a task's targets (targets without a path are ignored)."""
    return [Path(t.path) for t in flatten(task.output()) if getattr(t, "path", None)]


@dataclass
class TaskGraph:
    """Every task reachable from the root by requires(), each evaluated once."""

    root: str
    tasks: dict[str, object] = field(default_factory=dict)  # task_id -> task
    edges: dict[str, list[str]] = field(default_factory=dict)  # task_id -> required task_ids
    _complete: dict[str, bool] = field(default_factory=dict)

    def family(self, task_id: str) -> str:
        return self.tasks[task_id].task_family

    def is_complete(self, task_id: str) -> bool:
        if task_id not in self._complete:
            self._complete[task_id] = bool(self.tasks[task_id].complete())
        return self._complete[task_id]

    def state(self, task_id: str) -> str:
        if self.is_complete(task_id):
            return COMPLETE
        if any(p.exists() for p in output_paths(self.tasks[task_id])):
            return STALE
        return MISSING

    def dependents(self) -> dict[str, set[str]]:
        """task_id -> the task_ids that require it directly."""
        reverse: dict[str, set[str]] = {task_id: set() for task_id in self.tasks}
        for parent, children in self.edges.items():
            for child in children:
                reverse[child].add(parent)
        return reverse


def walk_graph(root) -> TaskGraph:
    """The graph under root, requires() called once per task (iteratively: no recursion limit)."""
    graph = TaskGraph(root=root.task_id)
    stack = [root]
    while stack:
        task = stack.pop()
        if task.task_id in graph.tasks:
            continue
        graph.tasks[task.task_id] = task
        required = flatten(task.requires())
        graph.edges[task.task_id] = [t.task_id for t in required]
        stack.extend(t for t in reversed(required) if t.task_id not in graph.tasks)
    return graph


def would_run(graph: TaskGraph) -> list[str]:
    """The task_ids a build of the root would run now, in the order they were reached."""
    due: list[str] = []
    seen: set[str] = set()
    stack = [graph.root]
    while stack:
        task_id = stack.pop()
        if task_id in seen:
            continue
        seen.add(task_id)
        if graph.is_complete(task_id):
            continue  # Luigi does not look below a complete task
        due.append(task_id)
        stack.extend(reversed(graph.edges[task_id]))
    return due


@dataclass(frozen=True)
class FamilyStatus:
    family: str
    complete: int
    missing: int
    stale: int
    would_run: int

    @property
    def total(self) -> int:
        return self.complete + self.missing + self.stale


def graph_status(graph: TaskGraph) -> list[FamilyStatus]:
    """Per task family: how many tasks are complete, missing, stale, and due in a build."""
    states: dict[str, Counter] = {}
    for task_id in graph.tasks:
        states.setdefault(graph.family(task_id), Counter())[graph.state(task_id)] += 1
    due = Counter(graph.family(task_id) for task_id in would_run(graph))
    return [FamilyStatus(family, c[COMPLETE], c[MISSING], c[STALE], due[family])
            for family, c in sorted(states.items())]


def render_status(rows: list[FamilyStatus]) -> str:
    header = ("task family", "total", "complete", "missing", "stale", "would run")
    lines = [(r.family, r.total, r.complete, r.missing, r.stale, r.would_run) for r in rows]
    totals = [sum(r[i] for r in lines) for i in range(1, len(header))]
    lines.append(("all", *totals))
    widths = [max(len(str(row[i])) for row in [header, *lines]) for i in range(len(header))]

    def fmt(row) -> str:
        return "  ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w)
                         for i, (v, w) in enumerate(zip(row, widths, strict=True)))

    return "\n".join([fmt(header), *(fmt(row) for row in lines)])


class UnknownTaskError(KeyError):
    """A task name that is neither a family nor a task id of the graph (or a class name that
    two namespaces share)."""


def bare_name(family: str) -> str:
    """A task family without its namespace (Luigi's `namespace.ClassName`): the class name."""
    return family.rpartition(".")[2]


def namespace_of(family: str) -> str:
    """A task family's namespace (the build's stage: `figures` of `figures.ForestPlot`); ""
    without one."""
    return family.rpartition(".")[0]


def _family_named(graph: TaskGraph, name: str) -> str | None:
    """The family `name` is (`database.MergeToDuckDB`) or, without a namespace
    (`MergeToDuckDB`), the one family of that class name."""
    families = sorted({graph.family(t) for t in graph.tasks})
    if name in families:
        return name
    named = [f for f in families if bare_name(f) == name]
    if len(named) > 1:
        raise UnknownTaskError(f"{name!r} is the class of several task families "
                               f"({', '.join(named)}): give one of them")
    return named[0] if named else None


def select_tasks(graph: TaskGraph, names: Iterable[str]) -> list[str]:
    """Task ids named by family (all its instances; the family with or without its
    namespace) or by task id."""
    selected: list[str] = []
    for name in names:
        if name in graph.tasks:
            matches = [name]
        else:
            family = _family_named(graph, name)
            matches = [t for t in graph.tasks if graph.family(t) == family]
        if not matches:
            families = sorted({graph.family(t) for t in graph.tasks})
            raise UnknownTaskError(f"{name!r} is no task family or task id of the graph "
                                   f"(families: {', '.join(families)})")
        selected.extend(m for m in matches if m not in selected)
    return selected


def downstream_of(graph: TaskGraph, task_ids: Iterable[str]) -> list[str]:
    """The given tasks and every task that transitively requires one of them."""
    reverse = graph.dependents()
    found: list[str] = []
    stack = list(task_ids)
    while stack:
        task_id = stack.pop()
        if task_id in found:
            continue
        found.append(task_id)
        stack.extend(sorted(reverse[task_id]))
    return found


def invalidation_plan(graph: TaskGraph, names: Iterable[str],
                      downstream: bool = False) -> dict[str, list[Path]]:
    """task_id -> its existing output paths that invalidating `names` deletes."""
    task_ids = select_tasks(graph, names)
    if downstream:
        task_ids = downstream_of(graph, task_ids)
    return {task_id: [p for p in output_paths(graph.tasks[task_id]) if p.exists()]
            for task_id in task_ids}


def delete_paths(paths: Iterable[Path]) -> list[Path]:
    """Delete files and folders (a run's target is a folder); returns what was deleted."""
    deleted = []
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        else:
            continue
        logger.info("deleted %s", path)
        deleted.append(path)
    return deleted
