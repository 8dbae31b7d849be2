"""Loading the extraction's libraries once, in the scheduling process, when there is work.

ExtractRun imports pandas, scipy, statsmodels and pyarrow inside run(), so that a build with
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

import luigi

from plr_luigi.tasks.extraction import ExtractRun

logger = logging.getLogger(__name__)

# What ExtractRun.run() loads, its lazy imports included (metrics imports scipy and
# statsmodels inside functions; run_file imports pyarrow inside its functions).
EXTRACTION_MODULES = ("plr_luigi.extraction.run_extraction", "scipy.stats", "statsmodels.api",
                      "pyarrow.ipc", "pyarrow.dataset")


@ExtractRun.event_handler(luigi.Event.DEPENDENCY_DISCOVERED)
def import_extraction_modules(task, dependency) -> None:
    for module in EXTRACTION_MODULES:
        importlib.import_module(module)  # a no-op after the first time
    # What the scheduling process holds now (modules, the run list) lives for the build: out of
    # the collector's reach, a forked task process's collections do not write to (and so copy)
    # those pages.
    gc.freeze()
