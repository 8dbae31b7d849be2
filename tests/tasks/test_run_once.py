"""Every task does its work once, however often a scheduler hands it out (issue 12)."""

from __future__ import annotations

import logging
import os

import luigi
from support.settings import plr_settings

import plr_luigi.tasks as tasks
from plr_luigi.tasks.base import RunOnceTask


def test_every_task_of_the_package_checks_completeness_at_the_start_of_its_run():
    # Luigi's own register of task classes: every one the package defines, exported or not.
    classes = [c for c in luigi.task_register.Register._reg
               if c.__module__.startswith("plr_luigi.")
               and not issubclass(c, (luigi.WrapperTask, luigi.Config))]
    assert len(classes) > 10
    assert [c.__name__ for c in classes if not issubclass(c, RunOnceTask)] == []


def test_a_task_handed_out_again_after_it_completed_leaves_its_outputs_alone(built, caplog):
    """What the second worker process on a shared luigid does with a task the first one
    finished: AllRunsExtracted (no output of its own), the merge, an extraction, a figure."""
    with plr_settings(**built["settings"]):
        again = [tasks.AllRunsExtracted(), tasks.MergeToDuckDB(), tasks.SubjectLookup(),
                 tasks.NumbersTex(), tasks.PrivacyAudit(),
                 next(iter(luigi.task.flatten(tasks.MergeToDuckDB().requires())))]
        outputs = [t.path for task in again for t in luigi.task.flatten(task.output())]
        before = {p: os.stat(p).st_mtime_ns for p in outputs}
        with caplog.at_level(logging.INFO, logger="plr_luigi.tasks.base"):
            for task in again:
                assert task.complete(), task
                task.run()
    skipped = [r.getMessage() for r in caplog.records if "is complete: not run" in r.message]
    assert len(skipped) == len(again)
    assert {p: os.stat(p).st_mtime_ns for p in outputs} == before


class _Counting(RunOnceTask):
    """A task whose completeness is a flag its own run sets (a stand-in for any output)."""

    done = False
    runs = 0

    def complete(self):
        return type(self).done

    def run(self):
        type(self).runs += 1
        type(self).done = True


def test_the_check_is_inherited_by_a_new_task_class():
    _Counting().run()
    _Counting().run()
    assert _Counting.runs == 1
