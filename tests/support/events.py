"""What a build did, from Luigi's own task events (in process, single worker)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import luigi


@contextlib.contextmanager
def task_events(event: str, task_class: type = luigi.Task,
                then: Callable[..., None] | None = None) -> Iterator[list]:
    """The events of task_class (and its subclasses) fired in the block: the task for SUCCESS,
    (task, exception) for FAILURE. then(task, *args), if given, is called after each is
    recorded: what a test does at that moment of the build."""
    seen: list = []

    def record(task, *args):
        seen.append((task, *args) if args else task)
        if then is not None:
            then(task, *args)

    task_class.event_handler(event)(record)
    try:
        yield seen
    finally:
        luigi.Task._event_callbacks[task_class][event].discard(record)


class BuildRecorder:
    """Task families that ran successfully in a build, an extraction batch's once per run it
    extracted (the automatic batch size depends on the machine's cores)."""

    def build(self, tasks, **kwargs) -> list[str]:
        with task_events(luigi.Event.SUCCESS) as ran:
            result = luigi.build(tasks, local_scheduler=True, detailed_summary=True, **kwargs)
        assert result.scheduling_succeeded, result.summary_text
        return sorted(task.task_family for task in ran
                      for _ in (task.runs() if hasattr(task, "runs") else [task]))

