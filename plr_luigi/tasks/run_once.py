"""RunOnceTask: the base of every task of the package, so that a task handed out twice does its
work once (gokart's TaskOnKart does the same check at the start of run())."""

from __future__ import annotations

import functools
import logging

import luigi

logger = logging.getLogger(__name__)


class RunOnceTask(luigi.Task):
    """A task whose run() first asks complete() and returns at once when it is.

    Two worker processes on one luigid can both be handed a task: the scheduler hands a task
    out again when the other worker, still planning, re-adds it as pending after the first
    worker finished it. Each subclass's own run() is wrapped when the class is defined, so no
    task can forget it (an output-less task such as AllRunsExtracted included).
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "run" in cls.__dict__:
            cls.run = _skip_when_complete(cls.__dict__["run"])


def _skip_when_complete(run):
    @functools.wraps(run)
    def run_unless_complete(self):
        if self.complete():
            logger.info("%r was completed by another worker meanwhile", self)
            return None
        return run(self)

    return run_unless_complete
