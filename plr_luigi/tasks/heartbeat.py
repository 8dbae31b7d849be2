"""The build's heartbeat: one log line every `[heartbeat] interval` seconds while runs are
extracted and merged (runs done / total, rate, ETA, memory of the build's process tree).

It runs as a thread of the process that schedules the build, because with several workers
Luigi runs each task in a child process and no single task sees the whole build. It starts on
the first dependency Luigi discovers for MergeToDuckDB (fired only when the database must be
built), counts finished run directories on disk, and stops once the database is rebuilt or
the Luigi worker that scheduled it has ended (its keep-alive thread is gone).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import luigi

from plr_luigi.store.inventory import EXTRACT, run_fingerprint
from plr_luigi.tasks.config import heartbeat, plr
from plr_luigi.tasks.database import MergeToDuckDB
from plr_luigi.tasks.run_inventory import luigi_worker_threads, run_decisions
from plr_luigi.tasks.upstream import upstream_extractions

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_running: threading.Thread | None = None


@MergeToDuckDB.event_handler(luigi.Event.DEPENDENCY_DISCOVERED)
def _start_heartbeat(*_args) -> None:
    global _running
    interval = heartbeat().interval
    if interval <= 0:
        return
    with _lock:
        if _running is not None and _running.is_alive():
            return
        _show_logs()
        config = plr()
        run_dirs = [config.run_dir(d.run.run_id, run_fingerprint(d.run))
                    for d in run_decisions() if d.outcome == EXTRACT]
        # the upstream experiments' runs are extracted for the same merge
        run_dirs += [Path(t.output().path) for t in upstream_extractions()]
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
    from plr_luigi.build.monitor import Progress, format_heartbeat, tree_rss_mb

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
