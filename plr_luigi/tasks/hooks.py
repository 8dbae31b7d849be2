"""Event handlers of the build, registered when the package is imported: the heartbeat and the
pre-fork import.

The heartbeat: one log line every `[heartbeat] interval` seconds while runs are
extracted and merged (runs done / total, rate, ETA, memory of the build's process tree).

It runs as a thread of the process that schedules the build, because with several workers
Luigi runs each task in a child process and no single task sees the whole build. It starts on
the first dependency Luigi discovers for MergeToDuckDB (fired only when the database must be
built), counts finished run directories on disk, and stops once the database is rebuilt or
the Luigi worker that scheduled it has ended (its keep-alive thread is gone).

The pre-fork preparation: loading the extraction's and the figures' libraries once, in the
scheduling process, when there is such work, and keeping freed memory for reuse
(plr_luigi.monitoring.heap_reuse).

ExtractRun imports pandas and pyarrow inside run(), so that a build with
nothing to do never loads them (< 3 s, BENCHMARKS.md). With more than one worker Luigi runs
each task in a fresh fork of the scheduling process, which had never imported them: every
ExtractRun paid ~3 s of imports for ~0.15 s of work (2 workers: 3.1 s per run). Luigi calls
DEPENDENCY_DISCOVERED in the scheduling process only for tasks that are not complete, so
importing there costs nothing when everything is done and is inherited by every fork.
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import threading
import time
from pathlib import Path

import luigi

from plr_luigi.monitoring.heap_reuse import reuse_freed_memory
from plr_luigi.monitoring.task_guard import Progress, format_heartbeat, tree_rss_mb
from plr_luigi.tasks.extraction import (
    UPSTREAM_EXPERIMENTS,
    ExtractRun,
    ExtractUpstreamRun,
    classification_run_dirs,
    upstream_run_dirs,
)
from plr_luigi.tasks.extraction_modules import load_extraction_modules
from plr_luigi.tasks.merge import MergeToDuckDB
from plr_luigi.tasks.output_base import FigureOutput, TexTableOutput
from plr_luigi.tasks.settings import HeartbeatSettings, plr
from plr_luigi.tasks.store_listing import luigi_worker_threads

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_running: threading.Thread | None = None


@MergeToDuckDB.event_handler(luigi.Event.DEPENDENCY_DISCOVERED)
def _start_heartbeat(*_args) -> None:
    global _running
    interval = HeartbeatSettings().interval
    if interval <= 0:
        return
    with _lock:
        if _running is not None and _running.is_alive():
            return
        _show_logs()
        config = plr()
        run_dirs = [run_dir for _, run_dir in classification_run_dirs()]
        # the upstream experiments' runs are extracted for the same merge
        run_dirs += [run_dir for e in UPSTREAM_EXPERIMENTS for _, run_dir in upstream_run_dirs(e)]
        workers = luigi_worker_threads()
        _running = threading.Thread(
            target=_beat, args=(interval, run_dirs, config.database_path(), workers),
            name="plr-heartbeat", daemon=True)
        _running.start()


def _show_logs() -> None:
    """The `luigi` command configures only its own logger: without this the heartbeat (and
    every INFO line of plr_luigi) would be dropped. A caller that configured logging wins."""
    package = logging.getLogger("plr_luigi")
    if package.handlers or logging.getLogger().handlers:
        return
    package.handlers = list(logging.getLogger("luigi-interface").handlers)
    package.setLevel(logging.INFO)


def _beat(interval: float, run_dirs: list[Path], database: Path,
          workers: list[threading.Thread]) -> None:
    # Imports nothing (the module's imports are at its top): Luigi forks task processes while
    # this thread runs, and a process forked while a thread imports a module inherits that
    # module's import lock held by no one; its first import of the module then waits forever
    # (an extraction task hung so, importing task_guard as the heartbeat did).
    started, started_wall = time.monotonic(), time.time()
    done_at_start = sum(d.is_dir() for d in run_dirs)

    def line() -> str:
        done = sum(d.is_dir() for d in run_dirs)
        progress = Progress(done, len(run_dirs), time.monotonic() - started, done_at_start)
        stage = "extraction" if done < len(run_dirs) else "merge"
        return format_heartbeat(progress, tree_rss_mb(os.getpid()), stage)

    logger.info("heartbeat every %gs; %d of %d runs already extracted", interval,
                done_at_start, len(run_dirs))
    while True:
        deadline = time.monotonic() + interval
        while time.monotonic() < deadline:
            time.sleep(min(0.5, interval))
            merged = database.is_file() and database.stat().st_mtime >= started_wall
            ended = bool(workers) and not any(t.is_alive() for t in workers)
            if merged or ended:
                logger.info("heartbeat: %s; %s", line(),
                            "database written" if merged else "build ended")
                return
        logger.info("heartbeat: %s", line())


@ExtractRun.event_handler(luigi.Event.DEPENDENCY_DISCOVERED)
@ExtractUpstreamRun.event_handler(luigi.Event.DEPENDENCY_DISCOVERED)
def prepare_for_extraction(task, dependency) -> None:
    load_extraction_modules()
    reuse_freed_memory()
    # What the scheduling process holds now (modules, the run list) lives for the build: out of
    # the collector's reach, a forked task process's collections do not write to (and so copy)
    # those pages.
    gc.freeze()


# What a figure task's run() loads besides its own modules: matplotlib with its Agg and PDF
# backends and font list, pandas, scipy.stats. With more than one worker each figure is drawn in
# a fresh fork of the scheduling process, which had loaded none of them: ~0.5 s of CPU a figure,
# for 0.1-1 s of drawing.
FIGURE_MODULES = ("matplotlib.pyplot", "matplotlib.backends.backend_agg",
                  "matplotlib.backends.backend_pdf", "pandas", "scipy.stats")


@FigureOutput.event_handler(luigi.Event.DEPENDENCY_DISCOVERED)
def prepare_for_figures(task, dependency) -> None:
    import matplotlib

    matplotlib.use("Agg")  # as each figure's run() does: no display in a build
    for module in FIGURE_MODULES:
        importlib.import_module(module)
    gc.freeze()


@TexTableOutput.event_handler(luigi.Event.DEPENDENCY_DISCOVERED)
def prepare_for_tables(task, dependency) -> None:
    # DataFrame.to_latex loads pandas' Styler (and jinja2) on its first call: ~0.1 s a fork
    importlib.import_module("pandas.io.formats.style")
    gc.freeze()
