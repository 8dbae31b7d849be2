"""The extraction's libraries are loaded before Luigi forks workers, and only when there is
work: a nothing-to-do build never imports them."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
import luigi
import plr_luigi.tasks as t
before = "plr_luigi.extraction.run_extraction" in sys.modules or "statsmodels" in sys.modules
if {discover}:
    task = t.ExtractRun(run_id="r1", fingerprint="f")
    task.trigger_event(luigi.Event.DEPENDENCY_DISCOVERED, task, t.SubjectLookup())
print(before, "plr_luigi.extraction.run_extraction" in sys.modules, "statsmodels" in sys.modules)
"""


def _probe(discover: bool) -> str:
    return subprocess.run([sys.executable, "-c", PROBE.format(discover=discover)],
                          capture_output=True, text=True, check=True).stdout.split()


def test_incomplete_extract_run_loads_extraction_modules_in_scheduler():
    assert _probe(discover=True) == ["False", "True", "True"]


def test_nothing_to_do_loads_nothing():
    assert _probe(discover=False) == ["False", "False", "False"]


UPSTREAM_PROBE = """
import sys
import luigi
import plr_luigi.tasks as t
task = t.ExtractUpstreamRun(experiment="PLR_Imputation", run_id="r1", fingerprint="f")
task.trigger_event(luigi.Event.DEPENDENCY_DISCOVERED, task, t.SubjectLookup())
print(*(m in sys.modules for m in ("plr_luigi.extraction.upstream_extraction",
                                   "pyarrow.parquet")))
"""


def test_incomplete_upstream_run_loads_its_modules_in_scheduler():
    out = subprocess.run([sys.executable, "-c", UPSTREAM_PROBE], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["True", "True"]


FIGURE_PROBE = """
import sys
import luigi
import plr_luigi.tasks as t
modules = ("matplotlib.pyplot", "matplotlib.backends.backend_pdf", "pandas.io.formats.style")
before = any(m in sys.modules for m in modules)
if {discover}:
    for task in (t.ForestPlot(factor="outlier_method"), t.TopPipelinesTable()):
        task.trigger_event(luigi.Event.DEPENDENCY_DISCOVERED, task, t.MergeToDuckDB())
print(before, *(m in sys.modules for m in modules))
"""


def test_incomplete_figures_and_tables_load_their_libraries_in_the_scheduler_and_only_then():
    # With several workers each output is made in a fork of the scheduling process: loaded
    # there once, matplotlib is not loaded again by every figure (~0.5 s of CPU each), nor
    # pandas' Styler by every table.
    def probe(discover: bool) -> list[str]:
        return subprocess.run([sys.executable, "-c", FIGURE_PROBE.format(discover=discover)],
                              capture_output=True, text=True, check=True).stdout.split()

    assert probe(discover=True) == ["False", "True", "True", "True"]
    assert probe(discover=False) == ["False", "False", "False", "False"]
