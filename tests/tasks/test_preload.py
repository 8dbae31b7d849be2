"""The extraction's libraries are loaded before Luigi forks workers, and only when there is
work: a nothing-to-do build never imports them. A build that finds the store changed lists it
in a child process while it loads them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from support.luigi_process import luigi_env, write_luigi_cfg

PROBE = """
import sys
import luigi
import plr_luigi.tasks as t
before = "plr_luigi.extraction.run_extraction" in sys.modules or "pyarrow.ipc" in sys.modules
if {discover}:
    task = t.ExtractRun(run_id="r1", fingerprint="f")
    task.trigger_event(luigi.Event.DEPENDENCY_DISCOVERED, task, t.SubjectLookup())
print(before, "plr_luigi.extraction.run_extraction" in sys.modules, "pyarrow.ipc" in sys.modules)
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


LISTING_PROBE = """
import json, os, sys
import luigi
import plr_luigi.store.run_list_cache as run_list_cache
from plr_luigi.store.upstream_run_decisions import UPSTREAM_PARSERS
from plr_luigi.tasks.store_listing import run_decisions, upstream_decisions

pids_file, in_a_build = sys.argv[1], sys.argv[2] == "build"
list_runs = run_list_cache.list_runs


def list_and_record(*args):  # the real listing, and which process made it
    with open(pids_file, "a") as fh:
        fh.write(f"{os.getpid()}\\n")
    return list_runs(*args)


run_list_cache.list_runs = list_and_record
if in_a_build:  # a Luigi worker in this process, as in a build's planning
    with luigi.worker.Worker(scheduler=luigi.scheduler.Scheduler()):
        runs = [run_decisions(), *(upstream_decisions(e) for e in UPSTREAM_PARSERS)]
else:
    runs = [run_decisions(), *(upstream_decisions(e) for e in UPSTREAM_PARSERS)]
loaded = all(m in sys.modules for m in ("pyarrow.parquet", "plr_luigi.extraction.run_extraction"))
print(json.dumps({"pid": os.getpid(), "runs": [len(r) for r in runs], "loaded": loaded}))
"""


def _small_store_cfg(small_store, work: Path) -> Path:
    return write_luigi_cfg(work / "luigi.cfg", small_store.tracking_uri,
                           str(small_store.source_db), work / "data", work / "outputs")


def _listing_probe(small_store, work: Path, mode: str) -> tuple[dict, list[int]]:
    """Plan-time listing of the small store in a fresh process (in a build or not): what it
    printed and the processes that listed an experiment."""
    cfg = _small_store_cfg(small_store, work)
    pids = work / "listed_by"
    pids.unlink(missing_ok=True)
    out = subprocess.run([sys.executable, "-c", LISTING_PROBE, str(pids), mode],
                         capture_output=True, text=True, check=True, env=luigi_env(cfg)).stdout
    listed_by = [int(p) for p in pids.read_text().split()] if pids.is_file() else []
    return json.loads(out.splitlines()[-1]), listed_by


def test_a_build_lists_a_changed_store_in_a_child_while_it_loads_the_extraction(small_store,
                                                                                 tmp_path):
    first, listed_by = _listing_probe(small_store, tmp_path, "build")
    assert len(listed_by) == 3 and first["pid"] not in listed_by  # each experiment, in a child
    assert first["loaded"] and all(first["runs"])
    # The store unchanged: the cached lists are read, and nothing is loaded ahead.
    again, listed_by = _listing_probe(small_store, tmp_path, "build")
    assert listed_by == [] and not again["loaded"] and again["runs"] == first["runs"]


def test_outside_a_build_the_store_is_listed_in_process_and_nothing_loaded(small_store,
                                                                            tmp_path):
    probe, listed_by = _listing_probe(small_store, tmp_path, "status")
    assert listed_by == [probe["pid"]] * 3 and not probe["loaded"] and all(probe["runs"])


THREAD_IMPORTS_PROBE = """
import json, os, sys, threading
from luigi.cmdline import luigi_run

scheduling_process, loaded_by_threads = os.getpid(), []


def note_import(event, args):  # a module loaded, not one found in sys.modules
    if (event == "import" and os.getpid() == scheduling_process
            and threading.current_thread() is not threading.main_thread()):
        loaded_by_threads.append([threading.current_thread().name, args[0]])


sys.addaudithook(note_import)
try:
    luigi_run(sys.argv[2:])
finally:  # luigi_run ends with sys.exit; the forked task processes end without this
    if os.getpid() == scheduling_process:
        with open(sys.argv[1], "w") as fh:
            json.dump(loaded_by_threads, fh)
"""


def test_no_thread_of_the_scheduling_process_loads_a_module_while_luigi_forks(small_store,
                                                                              tmp_path):
    # A process forked while another thread loads a module inherits that module's import lock,
    # held by no one there: an extraction task importing it hung for good (the heartbeat
    # thread loaded plr_luigi.monitoring.task_guard as Luigi forked it).
    cfg = _small_store_cfg(small_store, tmp_path)
    cfg.write_text(cfg.read_text() + "[heartbeat]\ninterval = 0.2\n")
    loaded = tmp_path / "loaded_by_threads.json"
    build = subprocess.run([sys.executable, "-c", THREAD_IMPORTS_PROBE, str(loaded), "--module",
                            "plr_luigi", "database.MergeToDuckDB", "--local-scheduler",
                            "--workers", "2"], capture_output=True, text=True,
                           env=luigi_env(cfg), timeout=600)
    assert build.returncode in (0, 30), build.stderr[-3000:]  # 30: the store's failed runs
    assert (tmp_path / "data" / "public" / "plr_results.duckdb").is_file()
    assert json.loads(loaded.read_text()) == []


STATISTICS_LIBRARIES_PROBE = """
import json, sys
from luigi.cmdline import luigi_run

try:
    luigi_run(sys.argv[2:])
finally:  # luigi_run ends with sys.exit
    with open(sys.argv[1], "w") as fh:
        json.dump(sorted({m.split(".")[0] for m in sys.modules} & {"scipy", "statsmodels"}), fh)
"""


def test_a_build_of_the_database_loads_neither_scipy_nor_statsmodels(small_store, tmp_path):
    # Importing them took 0.7 s before any run was extracted, in every build that extracts one
    # (scipy.stats' rankdata and statsmodels' Logit, for two metrics of each run); the metrics
    # compute both with numpy (plr_luigi.extraction.metrics).
    cfg = _small_store_cfg(small_store, tmp_path)
    loaded = tmp_path / "statistics_libraries.json"
    build = subprocess.run([sys.executable, "-c", STATISTICS_LIBRARIES_PROBE, str(loaded),
                            "--module", "plr_luigi", "database.MergeToDuckDB",
                            "--local-scheduler"], capture_output=True, text=True,
                           env=luigi_env(cfg), timeout=600)
    assert build.returncode in (0, 30), build.stderr[-3000:]  # 30: the store's failed runs
    assert (tmp_path / "data" / "public" / "plr_results.duckdb").is_file()
    assert json.loads(loaded.read_text()) == []
