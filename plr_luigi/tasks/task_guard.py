"""Running a task's work under the [limits] guards, with its progress shown in luigid."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import luigi

from plr_luigi.tasks.config import limits


@contextlib.contextmanager
def guarded(task: luigi.Task, name: str) -> Iterator[Callable[[str, int], None]]:
    """Run the block under the [limits] memory limit and stall timeout; yields the progress
    callback, which also shows stage, percentage and memory in luigid's UI."""
    from plr_luigi.build.monitor import TaskGuard, process_rss_mb

    settings = limits()
    with TaskGuard(name, settings.memory_mb, settings.stall_seconds) as guard:
        def progress(stage: str, percent: int) -> None:
            guard.progress(stage)
            task.set_status_message(f"{stage}; RSS {process_rss_mb():.0f} MB "
                                    f"(limit {settings.memory_mb:g} MB)")
            task.set_progress_percentage(percent)

        yield progress
        progress("done", 100)
