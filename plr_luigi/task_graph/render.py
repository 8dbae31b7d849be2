"""The task graph as text and as a picture (`plr-luigi graph`).

- `render_tree`: an indented tree from the root; a task met again is printed once more with
  `(see above)` instead of its subtree, and long runs of one family are cut after a few.
- `family_edges` / `to_dot`: the family-level graph (`database.MergeToDuckDB ->
  extraction.ExtractRun x 12`) in Graphviz DOT, each node labelled with its task count and
  states, the families of one namespace (the build's stage) in one box as in luigid's UI.
- `render_picture`: the DOT file rendered by Graphviz's `dot` when it is installed (Debian
  package `graphviz`), otherwise drawn with matplotlib in layers (same nodes and edges).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections import Counter
from pathlib import Path

from plr_luigi.task_graph.status import COMPLETE, MISSING, STALE, TaskGraph, namespace_of

logger = logging.getLogger(__name__)

_STATE_MARK = {COMPLETE: "done", MISSING: "missing", STALE: "STALE"}
_STATE_COLOUR = {COMPLETE: "#c8e6c9", MISSING: "#eeeeee", STALE: "#ffcc80"}


def render_tree(graph: TaskGraph, max_siblings_per_family: int = 3) -> str:
    lines: list[str] = []
    printed: set[str] = set()

    def visit(task_id: str, depth: int) -> None:
        mark = _STATE_MARK[graph.state(task_id)]
        if task_id in printed:
            lines.append(f"{'  ' * depth}{task_id} [{mark}] (see above)")
            return
        printed.add(task_id)
        lines.append(f"{'  ' * depth}{task_id} [{mark}]")
        shown: Counter = Counter()
        children = graph.edges[task_id]
        for child in children:
            family = graph.family(child)
            shown[family] += 1
            if shown[family] <= max_siblings_per_family:
                visit(child, depth + 1)
        for family, n in sorted(shown.items()):
            if n > max_siblings_per_family:
                lines.append(f"{'  ' * (depth + 1)}... {n - max_siblings_per_family} more "
                             f"{family}")

    visit(graph.root, 0)
    return "\n".join(lines)


def family_edges(graph: TaskGraph) -> dict[tuple[str, str], int]:
    """(requiring family, required family) -> number of task-level edges between them."""
    edges: Counter = Counter()
    for parent, children in graph.edges.items():
        for child in children:
            edges[(graph.family(parent), graph.family(child))] += 1
    return dict(sorted(edges.items()))


def family_states(graph: TaskGraph) -> dict[str, Counter]:
    states: dict[str, Counter] = {}
    for task_id in graph.tasks:
        states.setdefault(graph.family(task_id), Counter())[graph.state(task_id)] += 1
    return dict(sorted(states.items()))


def _node_label(family: str, states: Counter) -> str:
    n = sum(states.values())
    parts = [f"{states[s]} {s}" for s in (COMPLETE, STALE, MISSING) if states[s]]
    return f"{family} x {n}\\n{', '.join(parts)}" if n > 1 else f"{family}\\n{', '.join(parts)}"


def _node_colour(states: Counter) -> str:
    for state in (STALE, MISSING):
        if states[state]:
            return _STATE_COLOUR[state]
    return _STATE_COLOUR[COMPLETE]


def to_dot(graph: TaskGraph) -> str:
    """Family-level DOT: an arrow from each family to the families it requires; the families
    of a namespace (`figures.ForestPlot`) drawn in a box named by it."""
    lines = ["digraph plr_luigi {", "  rankdir=TB;",
             '  node [shape=box, style="rounded,filled", fontname="Helvetica"];']
    by_namespace: dict[str, list[str]] = {}
    states = family_states(graph)
    for family in states:
        by_namespace.setdefault(namespace_of(family), []).append(family)
    for namespace, families in sorted(by_namespace.items()):
        nodes = [f'"{family}" [label="{_node_label(family, states[family])}", '
                 f'fillcolor="{_node_colour(states[family])}"];' for family in families]
        if namespace:
            lines += [f'  subgraph "cluster_{namespace}" {{',
                      f'    label="{namespace}"; style="rounded"; color="#999999";',
                      *(f"    {node}" for node in nodes), "  }"]
        else:
            lines += [f"  {node}" for node in nodes]
    for (parent, child), n in family_edges(graph).items():
        label = f' [label="{n}"]' if n > 1 else ""
        lines.append(f'  "{parent}" -> "{child}"{label};')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _layers(graph: TaskGraph) -> dict[str, int]:
    """Family -> depth (longest requires-path from the root's family)."""
    edges = family_edges(graph)
    depth = {graph.family(graph.root): 0}
    for _ in range(len(family_states(graph))):  # longest paths in a DAG: relax |V| times
        for parent, child in edges:
            if parent in depth and depth.get(child, -1) < depth[parent] + 1:
                depth[child] = depth[parent] + 1
    return depth


def draw_with_matplotlib(graph: TaskGraph, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    depth = _layers(graph)
    states = family_states(graph)
    rows: dict[int, list[str]] = {}
    for family in states:
        rows.setdefault(depth.get(family, 0), []).append(family)
    width = max(len(r) for r in rows.values())
    fig, ax = plt.subplots(figsize=(max(6, 2.6 * width), 1.4 * (len(rows) + 1)))
    position = {}
    for level, families in rows.items():
        for i, family in enumerate(families):
            position[family] = ((i + 0.5) * width / len(families), -level)
    for parent, child in family_edges(graph):
        # From the bottom of the requiring box to the top of the required one.
        (x0, y0), (x1, y1) = position[parent], position[child]
        ax.annotate("", xy=(x1, y1 + 0.16), xytext=(x0, y0 - 0.16),
                    arrowprops={"arrowstyle": "->", "color": "#555555"})
    for family, (x, y) in position.items():
        ax.text(x, y, _node_label(family, states[family]).replace("\\n", "\n"), ha="center",
                va="center", fontsize=8,
                bbox={"boxstyle": "round", "facecolor": _node_colour(states[family])})
    ax.set_xlim(-0.2, width + 0.2)
    ax.set_ylim(-len(rows) + 0.4, 0.6)
    ax.axis("off")
    fig.savefig(out, format=out.suffix.lstrip("."), bbox_inches="tight")
    plt.close(fig)


def render_picture(graph: TaskGraph, dot_path: Path, picture: Path) -> str:
    """Write the DOT file and render the picture (svg or png); returns the renderer used."""
    dot_path.parent.mkdir(parents=True, exist_ok=True)
    picture.parent.mkdir(parents=True, exist_ok=True)
    dot_path.write_text(to_dot(graph), encoding="utf-8")
    dot = shutil.which("dot")
    if dot:
        subprocess.run([dot, f"-T{picture.suffix.lstrip('.')}", str(dot_path), "-o",
                        str(picture)], check=True, capture_output=True, timeout=60)
        return "graphviz"
    logger.info("Graphviz `dot` not found: drawing %s with matplotlib", picture)
    draw_with_matplotlib(graph, picture)
    return "matplotlib"
