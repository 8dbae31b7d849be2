"""`plr-luigi status | invalidate | graph | gc`: the graph under ReproduceAll, inspected and
pruned.

    plr-luigi status [--list]                  # per family: complete, missing, stale, would run
    plr-luigi invalidate TASK... [--downstream] [--dry-run]   # TASK: family or task id
    plr-luigi graph [--edges] [--picture outputs/graph/task_graph.svg]
    plr-luigi gc [--yes]                       # run folders and outputs no task needs any more

They read the same configuration as a build (luigi.cfg, then LUIGI_CONFIG_PATH), and take
`--plr-<setting> VALUE` overrides like `luigi` does (`--plr-tracking-uri sqlite:///x.db`).
The logic lives in plr_luigi.task_graph (status, render, garbage); this module only wires
them to the tasks and the command line.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import luigi

from plr_luigi.task_graph.garbage import find_garbage
from plr_luigi.task_graph.render import family_edges, render_picture, render_tree
from plr_luigi.task_graph.status import (
    UnknownTaskError,
    delete_paths,
    graph_status,
    invalidation_plan,
    output_paths,
    render_status,
    walk_graph,
    would_run,
)

logger = logging.getLogger(__name__)

DEFAULT_ROOT = "ReproduceAll"


def apply_plr_overrides(extra: list[str]) -> None:
    """`--plr-tracking-uri X` / `--plr-tracking-uri=X` set [plr] tracking_uri, as in luigi."""
    from plr_luigi.tasks.store_listing import clear_run_decisions_cache

    config = luigi.configuration.get_config()
    args = iter(extra)
    for arg in args:
        if not arg.startswith("--plr-"):
            raise SystemExit(f"plr-luigi: unknown argument {arg!r}")
        key, has_value, value = arg[len("--plr-"):].partition("=")
        if not has_value:
            value = next(args, None)
            if value is None:
                raise SystemExit(f"plr-luigi: {arg} needs a value")
        config.set("plr", key.replace("-", "_"), value)
    clear_run_decisions_cache()


def _graph(args: argparse.Namespace):
    import plr_luigi.tasks  # noqa: F401 -- registers every task family

    root = luigi.task_register.Register.get_task_cls(args.root)()
    return walk_graph(root)


def _status(args: argparse.Namespace) -> int:
    graph = _graph(args)
    print(render_status(graph_status(graph)))
    due = would_run(graph)
    print(f"\na build of {args.root} would run {len(due)} tasks now"
          + (":" if due and args.list else "."))
    if args.list:
        for task_id in due:
            print(f"  {task_id} [{graph.state(task_id)}]")
    return 0


def _invalidate(args: argparse.Namespace) -> int:
    graph = _graph(args)
    try:
        plan = invalidation_plan(graph, args.task, downstream=args.downstream)
    except UnknownTaskError as err:
        print(f"plr-luigi invalidate: {err.args[0]}")
        return 2
    paths = [p for task_paths in plan.values() for p in task_paths]
    verb = "would delete" if args.dry_run else "deleting"
    print(f"{len(plan)} tasks selected, {verb} {len(paths)} targets:")
    for task_id, task_paths in plan.items():
        for path in task_paths:
            print(f"  {task_id}: {path}")
    if not args.dry_run:
        delete_paths(paths)
    return 0


def _graph_command(args: argparse.Namespace) -> int:
    graph = _graph(args)
    if args.edges:
        for (parent, child), n in family_edges(graph).items():
            print(f"{parent} -> {child}" + (f" (x{n})" if n > 1 else ""))
    else:
        print(render_tree(graph))
    if args.picture is not None:
        from plr_luigi.tasks.settings import plr

        picture = Path(args.picture or plr().output_path("graph", "task_graph.svg"))
        renderer = render_picture(graph, picture.with_suffix(".dot"), picture)
        print(f"\ngraph: {picture.with_suffix('.dot')} (DOT), {picture} (drawn by {renderer})")
    return 0


def _needed_paths(task) -> list[Path]:
    """What a task of the graph writes now or may write: its targets and a database output's
    side files (its stamp, a figure's unavailable-status file, the supplement's log)."""
    from plr_luigi.tasks.output_base import DatabaseOutput

    paths = output_paths(task)
    if isinstance(task, DatabaseOutput):
        paths += task.side_files()
    return paths


def _gc(args: argparse.Namespace) -> int:
    from plr_luigi.store.mlflow_store import local_store_path
    from plr_luigi.tasks.settings import plr

    graph = _graph(args)  # lists the store (and waits for a running build's lock) first
    config = plr()
    store = local_store_path(config.tracking_uri) if config.tracking_uri else None
    upstream = config.upstream_dir()
    runs_roots = [config.runs_dir(),
                  *(sorted(p for p in upstream.iterdir() if p.is_dir())
                    if upstream.is_dir() else [])]
    garbage = find_garbage(
        needed=[p for task in graph.tasks.values() for p in _needed_paths(task)],
        runs_roots=runs_roots, output_dir=Path(config.output_dir),
        # the picture `plr-luigi graph --picture` draws: no task's target, still wanted
        kept_outputs=[config.output_path("graph")],
        protected=[p for p in (store, config.database_path()) if p is not None])
    verb = "removing" if args.yes else "would remove (again with --yes to do it)"
    print(f"{len(garbage)} paths no task of {args.root} needs; {verb}:" if garbage
          else f"nothing to remove: every run folder and output is needed by {args.root}")
    for path in garbage:
        print(f"  {path}")
    if args.yes:
        delete_paths(garbage)
    return 0


def register_commands(commands) -> None:
    """Add status, invalidate and graph to the `plr-luigi` sub-command parser."""
    def add(name: str, handler, help_text: str) -> argparse.ArgumentParser:
        parser = commands.add_parser(name, help=help_text)
        parser.add_argument("--root", default=DEFAULT_ROOT,
                            help="the task whose graph is inspected (default: ReproduceAll)")
        parser.set_defaults(handler=handler, accepts_plr_overrides=True)
        return parser

    status = add("status", _status, "per task family: complete, missing, stale, would run")
    status.add_argument("--list", action="store_true", help="list the tasks a build would run")

    invalidate = add("invalidate", _invalidate,
                     "delete the targets of tasks (a family name or a task id)")
    invalidate.add_argument("task", nargs="+",
                            help="task family, all its tasks (database.MergeToDuckDB, or "
                                 "MergeToDuckDB while no other stage has that class name), "
                                 "or task id")
    invalidate.add_argument("--downstream", action="store_true",
                            help="also everything built from them (tasks that require them)")
    invalidate.add_argument("--dry-run", action="store_true", help="only list what would go")

    gc = add("gc", _gc, "list (and with --yes remove) run folders and outputs that no task of "
                        "the graph needs any more")
    gc.add_argument("--yes", action="store_true", help="remove them")

    graph = add("graph", _graph_command, "the dependency graph as text and as a picture")
    graph.add_argument("--edges", action="store_true",
                       help="family-level edges instead of the indented task tree")
    graph.add_argument("--picture", nargs="?", const="", default=None, metavar="PATH",
                       help="also write DOT and render it (.svg or .png; default "
                            "<output_dir>/graph/task_graph.svg)")
