"""The base of every task of the package (RunOnceTask) and the guard a task's work runs under
(`guarded`: the [limits] memory limit and stall timeout, progress shown in luigid).

Every task is named by its stage, Luigi's task namespace (`task_namespace`, its family then
reads `stage.ClassName`; luigid's visualiser groups the families by it): extraction, database,
interpretation (SHAP per configuration), figures, tables, numbers, report. FigureOutput and
TexTableOutput set theirs for every figure and table; RunOnceTask sets none, so that each other
task names its own, and ReproduceAll, the root a user types, has none."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterator

import luigi

from plr_luigi.tasks.settings import LimitSettings, parameters_of
from plr_luigi.tasks.store_listing import hold_this_builds_lock

logger = logging.getLogger(__name__)


class RunOnceTask(luigi.Task):
    """A task whose run() first asks complete() and returns at once when it is, and whose
    complete() is asked only once this build holds the build lock (gokart's TaskOnKart does
    the same check at the start of run()).

    Two worker processes on one luigid can both be handed a task: the scheduler hands a task
    out again when the other worker, still planning, re-adds it as pending after the first
    worker finished it. And a second build on the same data folder that judged outputs
    incomplete before waiting for the lock would, after the wait, tell luigid they are pending
    again although the first build has just made them. Each subclass's own run() and
    complete() are wrapped when the class is defined, so no task can forget either (an
    output-less task such as AllRunsExtracted included).
    """

    @classmethod
    def get_params(cls):
        return list(parameters_of(cls))

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "run" in cls.__dict__:
            cls.run = _skip_when_complete(cls.__dict__["run"])
        if "complete" in cls.__dict__:
            cls.complete = _after_build_lock(cls.__dict__["complete"])

    def complete(self):
        hold_this_builds_lock()
        return super().complete()


def _after_build_lock(complete):
    @functools.wraps(complete)
    def complete_once_locked(self):
        hold_this_builds_lock()
        return complete(self)

    return complete_once_locked


def _skip_when_complete(run):
    @functools.wraps(run)
    def run_unless_complete(self):
        if self.complete():
            # another worker made it meanwhile (an extraction batch helping others among
            # them), or what it reads is what it was made from
            logger.info("%r is complete: not run", self)
            tell_scheduler(self, lambda: self.set_status_message(
                "complete when it started: not run"))
            return None
        return run(self)

    return run_unless_complete


@contextlib.contextmanager
def guarded(task: luigi.Task, name: str) -> Iterator[Callable[[str, int], None]]:
    """Run the block under the [limits] memory limit and stall timeout; yields the progress
    callback, which also shows stage, percentage and memory in luigid's UI."""
    from plr_luigi.monitoring.task_guard import TaskGuard, process_rss_mb

    settings = LimitSettings()
    with TaskGuard(name, settings.memory_mb, settings.stall_seconds) as guard:
        def show(stage: str, percent: int) -> None:
            task.set_status_message(f"{stage}; RSS {process_rss_mb():.0f} MB "
                                    f"(limit {settings.memory_mb:g} MB)")
            task.set_progress_percentage(percent)

        def progress(stage: str, percent: int) -> None:
            guard.progress(stage)
            tell_scheduler(task, lambda: show(stage, percent))

        yield progress
        progress("done", 100)


def tell_scheduler(task: luigi.Task, update: Callable[[], None]) -> None:
    """update() (the task's status message, progress or tracking URL shown in luigid), unless
    the scheduler has become unreachable: that is said once, and the task goes on with its work
    without reporting, instead of failing or waiting for luigid again at every step (each try
    costs Luigi's [core] rpc_retry_attempts x rpc_retry_wait). Its worker stops when it next
    asks the scheduler for work; what the task finishes meanwhile is kept. A task run by
    another (the merge re-extracting a damaged run) has no scheduler to tell."""
    if task.set_status_message is None or getattr(task, "_scheduler_unreachable", False):
        return
    try:
        update()
    except luigi.rpc.RPCError as err:
        task._scheduler_unreachable = True
        logger.warning("%s: the scheduler is unreachable (%s); going on without reporting "
                       "progress", task, err)
