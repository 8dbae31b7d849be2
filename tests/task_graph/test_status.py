"""plr_luigi.task_graph.status and .render on a small fake graph (no luigi, no store)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from plr_luigi.task_graph import render as graph_render
from plr_luigi.task_graph.status import (
    COMPLETE,
    MISSING,
    STALE,
    UnknownTaskError,
    delete_paths,
    downstream_of,
    graph_status,
    invalidation_plan,
    render_status,
    select_tasks,
    walk_graph,
    would_run,
)


@dataclass
class Target:
    path: str


@dataclass(eq=False)
class FakeTask:
    task_family: str
    key: str = ""
    deps: list = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)
    up_to_date: bool = True  # complete() also needs the outputs to exist
    complete_calls: int = 0

    @property
    def task_id(self) -> str:
        return f"{self.task_family}_{self.key}" if self.key else self.task_family

    def requires(self):
        return self.deps

    def output(self):
        return {str(i): Target(str(p)) for i, p in enumerate(self.paths)}

    def complete(self):
        self.complete_calls += 1
        if not self.paths:
            return self.up_to_date and all(d.complete() for d in self.deps)
        return self.up_to_date and all(p.exists() for p in self.paths)


@pytest.fixture
def tasks(tmp_path):
    """Root -> {Plot, Table} -> Merge -> Extract x 3 -> Lookup; everything built."""
    def made(*names):
        paths = [tmp_path / n for n in names]
        for p in paths:
            p.write_text("x")
        return paths

    lookup = FakeTask("Lookup", paths=made("lookup.csv"))
    extracts = [FakeTask("Extract", str(i), [lookup], made(f"run{i}")) for i in range(3)]
    merge = FakeTask("Merge", deps=extracts, paths=made("db"))
    plot = FakeTask("Plot", deps=[merge], paths=made("plot.png", "plot.json"))
    table = FakeTask("Table", deps=[merge], paths=made("table.tex"))
    root = FakeTask("Root", deps=[plot, table])
    return {"root": root, "plot": plot, "table": table, "merge": merge, "extracts": extracts,
            "lookup": lookup}


def test_a_built_graph_is_complete_and_nothing_would_run(tasks):
    graph = walk_graph(tasks["root"])
    assert len(graph.tasks) == 8
    rows = {r.family: r for r in graph_status(graph)}
    assert rows["Extract"].complete == 3 and rows["Extract"].would_run == 0
    assert all(r.missing == r.stale == 0 for r in rows.values())
    assert would_run(graph) == []
    # complete() is evaluated once per task, however often the task is reached.
    assert tasks["lookup"].complete_calls == 1


def test_stale_and_missing_targets_and_what_a_build_would_run(tasks):
    tasks["plot"].up_to_date = False  # its files exist, but were built from an older database
    tasks["extracts"][1].paths[0].unlink()
    graph = walk_graph(tasks["root"])
    assert graph.state("Plot") == STALE
    assert graph.state("Extract_1") == MISSING
    assert graph.state("Table") == COMPLETE
    # Luigi stops at a complete task: the deleted run is not rebuilt while Merge is complete.
    assert would_run(graph) == ["Root", "Plot"]
    rows = {r.family: r for r in graph_status(graph)}
    assert (rows["Plot"].stale, rows["Extract"].missing, rows["Extract"].would_run) == (1, 1, 0)
    text = render_status(graph_status(graph))
    assert text.splitlines()[0].split() == ["task", "family", "total", "complete", "missing",
                                            "stale", "would", "run"]
    assert text.splitlines()[-1].split() == ["all", "8", "5", "2", "1", "2"]


def test_select_by_family_or_task_id_and_an_unknown_name_fails(tasks):
    graph = walk_graph(tasks["root"])
    assert select_tasks(graph, ["Extract"]) == ["Extract_0", "Extract_1", "Extract_2"]
    assert select_tasks(graph, ["Extract_2", "Merge"]) == ["Extract_2", "Merge"]
    with pytest.raises(UnknownTaskError, match="Extract, Lookup, Merge, Plot, Root, Table"):
        select_tasks(graph, ["ForestPlot"])


def test_downstream_is_everything_built_from_a_task(tasks):
    graph = walk_graph(tasks["root"])
    assert set(downstream_of(graph, ["Merge"])) == {"Merge", "Plot", "Table", "Root"}
    assert set(downstream_of(graph, ["Plot"])) == {"Plot", "Root"}
    assert len(downstream_of(graph, ["Lookup"])) == 8


def test_invalidate_deletes_targets_and_a_dry_run_deletes_nothing(tasks, tmp_path):
    graph = walk_graph(tasks["root"])
    plan = invalidation_plan(graph, ["Merge"], downstream=True)
    paths = [p for ps in plan.values() for p in ps]
    assert sorted(p.name for p in paths) == ["db", "plot.json", "plot.png", "table.tex"]
    assert all(p.exists() for p in paths)  # planning deletes nothing
    (tmp_path / "run0").unlink()
    (tmp_path / "run0").mkdir()  # a run's target is a folder
    (tmp_path / "run0" / "record.json").write_text("{}")
    deleted = delete_paths([*paths, tmp_path / "run0", tmp_path / "absent"])
    assert len(deleted) == 5 and not any(p.exists() for p in deleted)
    graph = walk_graph(tasks["root"])
    assert would_run(graph) == ["Root", "Plot", "Merge", "Extract_0", "Table"]


def test_text_tree_edges_and_dot(tasks):
    tasks["table"].up_to_date = False
    graph = walk_graph(tasks["root"])
    tree = graph_render.render_tree(graph, max_siblings_per_family=2).splitlines()
    assert tree[0] == "Root [missing]"
    assert "    Merge [done]" in tree
    assert "    Merge [done] (see above)" in tree  # reached again through Table
    assert "      ... 1 more Extract" in tree
    assert "  Table [STALE]" in tree
    assert graph_render.family_edges(graph)[("Merge", "Extract")] == 3
    dot = graph_render.to_dot(graph)
    assert dot.startswith("digraph plr_luigi {") and dot.rstrip().endswith("}")
    assert '"Merge" -> "Extract" [label="3"];' in dot
    assert 'label="Extract x 3\\n3 complete"' in dot


def test_the_picture_is_drawn_with_graphviz_or_matplotlib(tasks, tmp_path, monkeypatch):
    graph = walk_graph(tasks["root"])
    monkeypatch.setattr(graph_render.shutil, "which", lambda name: None)
    used = graph_render.render_picture(graph, tmp_path / "g.dot", tmp_path / "g.png")
    assert used == "matplotlib"
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
    monkeypatch.undo()
    if graph_render.shutil.which("dot") is None:
        pytest.skip("Graphviz dot not installed (make test-deps installs it as root)")
    assert graph_render.render_picture(graph, tmp_path / "g.dot", tmp_path / "g.svg") == \
        "graphviz"
    assert "<svg" in (tmp_path / "g.svg").read_text()


def test_namespaced_families_are_named_with_or_without_their_namespace(tmp_path):
    """As Luigi names a namespaced task (`figures.ForestPlot`); a bare class name selects its
    family while no two namespaces share it."""
    merge = FakeTask("database.Merge", paths=[tmp_path / "db"])
    plots = [FakeTask("figures.Plot", str(i), [merge]) for i in range(2)]
    table = FakeTask("tables.Plot", deps=[merge])
    root = FakeTask("Root", deps=[*plots, table])
    graph = walk_graph(root)
    assert select_tasks(graph, ["Merge"]) == select_tasks(graph, ["database.Merge"]) == \
        ["database.Merge"]
    assert select_tasks(graph, ["figures.Plot"]) == ["figures.Plot_0", "figures.Plot_1"]
    with pytest.raises(UnknownTaskError, match=r"figures\.Plot, tables\.Plot"):
        select_tasks(graph, ["Plot"])
    with pytest.raises(UnknownTaskError, match="no task family"):
        select_tasks(graph, ["extraction.Merge"])
    dot = graph_render.to_dot(graph)
    figures = dot[dot.index('subgraph "cluster_figures" {'):]
    figures = figures[:figures.index("  }")]
    assert 'label="figures"' in figures and '"figures.Plot" [label="figures.Plot x 2' in figures
    assert '"tables.Plot"' not in figures and '"database.Merge"' not in figures
    assert '\n  "Root" [label="Root' in dot  # no namespace: outside every box
    assert '"figures.Plot" -> "database.Merge" [label="2"];' in dot
