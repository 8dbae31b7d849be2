"""The libraries the extraction tasks load, loaded ahead in the scheduling process: with more
than one worker each task runs in a fork of it, which inherits what it holds
(plr_luigi.tasks.hooks), and while a child process lists a changed store
(plr_luigi.tasks.store_listing)."""

from __future__ import annotations

import importlib

# What ExtractRun.run() and ExtractUpstreamRun.run() load, their lazy imports included (run_file
# and the signal writer import pyarrow inside theirs). Neither loads scipy or statsmodels
# (plr_luigi.extraction.metrics says why).
EXTRACTION_MODULES = ("plr_luigi.extraction.run_extraction",
                      "pyarrow.ipc", "pyarrow.dataset", "pyarrow.parquet",
                      "plr_luigi.extraction.upstream_extraction", "plr_luigi.extraction.batch")


def load_extraction_modules() -> None:
    for module in EXTRACTION_MODULES:
        importlib.import_module(module)  # a no-op after the first time
