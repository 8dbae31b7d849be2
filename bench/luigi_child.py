"""`luigi` (the command line, unchanged) plus a hook that appends each task's run() time and
its end (Unix time) to the file named by PLR_BENCH_EVENTS, one JSON line per task: how the
benchmarks separate work from Luigi's own overhead."""

from __future__ import annotations

import json
import os
import sys
import time

import luigi
from luigi.cmdline import luigi_run

EVENTS = os.environ.get("PLR_BENCH_EVENTS")


@luigi.Task.event_handler(luigi.Event.PROCESSING_TIME)
def _record(task, seconds):
    if EVENTS:
        with open(EVENTS, "a", encoding="utf-8") as fh:
            fh.write(json.dumps([task.task_family, seconds, time.time()]) + "\n")


if __name__ == "__main__":
    luigi_run(sys.argv[1:])
