"""`luigi` (the command line, unchanged) plus a hook that appends each task's run() time, its
end (Unix time) and the CPU seconds its process spent in it to the file named by
PLR_BENCH_EVENTS, one JSON line per task: how the benchmarks separate work from Luigi's own
overhead, and a forked task process's CPU from the contention of a loaded machine."""

from __future__ import annotations

import json
import os
import sys
import time

import luigi
from luigi.cmdline import luigi_run

EVENTS = os.environ.get("PLR_BENCH_EVENTS")
_CPU_AT_START: dict[str, float] = {}


@luigi.Task.event_handler(luigi.Event.START)
def _started(task):
    # START and PROCESSING_TIME fire in the process that runs the task (a fork with more than
    # one worker), so that process's CPU clock measures the task.
    _CPU_AT_START[task.task_id] = time.process_time()


@luigi.Task.event_handler(luigi.Event.PROCESSING_TIME)
def _record(task, seconds):
    if EVENTS:
        with open(EVENTS, "a", encoding="utf-8") as fh:
            cpu = time.process_time() - _CPU_AT_START.pop(task.task_id, time.process_time())
            fh.write(json.dumps([task.task_family, seconds, time.time(), cpu]) + "\n")


if __name__ == "__main__":
    luigi_run(sys.argv[1:])
