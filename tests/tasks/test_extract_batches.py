"""ExtractRun and ExtractUpstreamRun in Luigi batches ([extraction] batch_size): every run
extracted once with the values of one-run tasks, a run that cannot be extracted fails only
itself (its batch names it), and the batch's other runs are kept: a rebuild extracts nothing
else again. With two workers the batches of a kind help each other, and still no run is
extracted twice."""

from __future__ import annotations

import os

import duckdb
import luigi
import pandas as pd
import pytest
from support.events import task_events
from support.luigi_process import run_luigi, write_luigi_cfg
from support.settings import luigi_config, plr_settings

from plr_luigi.study import schema
from plr_luigi.tasks import ExtractRun, ExtractUpstreamRun, MergeToDuckDB

pytestmark = pytest.mark.slow


class _Ran:
    """The ExtractRun and ExtractUpstreamRun tasks that ran (a batch is one task listing
    several runs)."""

    def __init__(self):
        self.tasks: list[ExtractRun] = []
        self.upstream_tasks: list[ExtractUpstreamRun] = []
        self.failures: list[str] = []

    def build(self, **settings) -> luigi.execution_summary.LuigiRunResult:
        with plr_settings(**settings), task_events(luigi.Event.SUCCESS, ExtractRun) as ran, \
                task_events(luigi.Event.FAILURE, ExtractRun) as failed, \
                task_events(luigi.Event.SUCCESS, ExtractUpstreamRun) as upstream:
            result = luigi.build([MergeToDuckDB()], local_scheduler=True, detailed_summary=True)
        self.tasks, self.upstream_tasks = ran, upstream
        self.failures = [str(error) for _task, error in failed]
        return result

    def upstream_runs(self) -> list[tuple[str, str]]:
        """(experiment, run id) of every upstream run extracted, each batch's runs in turn."""
        return sorted((task.experiment, run_id) for task in self.upstream_tasks
                      for run_id, _ in task.runs())

    def runs(self) -> list[str]:
        return sorted(run_id for task in self.tasks for run_id, _ in task.runs())


@pytest.fixture(scope="module")
def ran():
    return _Ran()


def _settings(store, work) -> dict:
    return dict(tracking_uri=store.tracking_uri, source_db=str(store.source_db),
                data_dir=str(work / "data"), output_dir=str(work / "outputs"))


def _tables(db) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {t.name: con.execute(f"SELECT * FROM {t.name}").df()
                .sort_values(t.column_names[:3]).reset_index(drop=True)
                for t in (*schema.RUN_TABLES, *schema.UPSTREAM_TABLES)}


def _signals(work) -> pd.DataFrame:
    """Every imputation run's private reconstructed signals, in one order."""
    files = sorted(str(p) for p in (work / "data" / "private" / "upstream")
                   .glob(f"*/*/*/{schema.RECONSTRUCTED_SIGNALS.name}.parquet"))
    with duckdb.connect() as con:
        return con.execute("SELECT * FROM read_parquet(?) ORDER BY run_id, split, subject_code",
                           [files]).df()


def test_batches_extract_every_run_once_with_the_values_of_single_runs(small_store, ran,
                                                                        tmp_path):
    with luigi_config("extraction", batch_size=1):
        assert ran.build(**_settings(small_store, tmp_path / "single")).scheduling_succeeded
    singles, upstream_singles = ran.runs(), ran.upstream_runs()
    assert all(len(task.runs()) == 1 for task in ran.tasks + ran.upstream_tasks)
    with luigi_config("extraction", batch_size=4):
        assert ran.build(**_settings(small_store, tmp_path / "batched")).scheduling_succeeded
    assert ran.runs() == singles  # each run once
    assert max(len(task.runs()) for task in ran.tasks) == 4 and len(ran.tasks) < len(singles)
    assert ran.upstream_runs() == upstream_singles
    assert max(len(task.runs()) for task in ran.upstream_tasks) == 4
    assert len(ran.upstream_tasks) < len(upstream_singles)
    single_db, batched_db = (tmp_path / name / "data" / "public" / "plr_results.duckdb"
                             for name in ("single", "batched"))
    expected = _tables(single_db)
    for name, frame in _tables(batched_db).items():
        pd.testing.assert_frame_equal(frame, expected[name], obj=name)
    single_signals, batched_signals = (_signals(tmp_path / name) for name in ("single", "batched"))
    assert len(single_signals) > 0
    pd.testing.assert_frame_equal(batched_signals, single_signals)


def test_a_run_that_cannot_be_read_fails_only_itself_and_its_batch_keeps_the_rest(
        private_store, ran, tmp_path):
    """A metrics pickle that blocks when read (a FIFO) is stopped by the stall guard: not bad
    data but a run that could not be extracted, retried by Luigi; the other runs of its batch
    are extracted, and once the run is readable again only it is extracted."""
    settings = _settings(private_store, tmp_path)  # one of its pickles is replaced
    with plr_settings(**settings):
        from plr_luigi.store.mlflow_store import local_artifact, metrics_artifact_path
        from plr_luigi.tasks.store_listing import run_decisions

        to_extract = {d.run.run_id for d in run_decisions() if d.outcome == "extract"}
        stalled = next(d.run for d in run_decisions() if d.outcome == "extract")
        with local_artifact(stalled, metrics_artifact_path(stalled.run_name), tmp_path) as path:
            pickle_path = path
    kept = pickle_path.with_name(pickle_path.name + ".kept")
    pickle_path.rename(kept)
    os.mkfifo(pickle_path)
    try:
        with luigi_config("extraction", batch_size=50), luigi_config("limits", stall_seconds=2), \
                luigi_config("scheduler", retry_count=1):
            result = ran.build(**settings)
        assert result.status == luigi.execution_summary.LuigiStatusCode.FAILED
        assert ran.failures and f"extraction.ExtractRun {stalled.run_name}: no progress for" in \
            ran.failures[-1]
        assert "runs of the batch could not be extracted (the others were)" in ran.failures[-1]
        extracted = {p.parent.parent.name for p in (tmp_path / "data" / "interim" / "runs")
                     .glob("*/*/record.json")}  # runs/<run id>/<fingerprint>/record.json
        assert extracted == to_extract - {stalled.run_id}
    finally:
        pickle_path.unlink()
        kept.rename(pickle_path)
    with luigi_config("extraction", batch_size=50):
        assert ran.build(**settings).scheduling_succeeded
    assert ran.runs() == [stalled.run_id]  # the others of its batch are not extracted again
    assert (tmp_path / "data" / "public" / "plr_results.duckdb").is_file()


def test_with_two_workers_the_batches_help_each_other_and_no_run_is_extracted_twice(
        small_store, tmp_path):
    """A real two-worker build of batches of 5 runs: the batches running first extract the
    later batches' runs once their own are done, so those later ones find theirs extracted
    and complete at once; every run has its one directory, none was extracted by two
    processes (publish_run_dir says so when it happens), and the merge validates them all."""
    cfg = write_luigi_cfg(tmp_path / "luigi.cfg", small_store.tracking_uri,
                          str(small_store.source_db), tmp_path / "data", tmp_path / "outputs")
    cfg.write_text(f"{cfg.read_text()}[extraction]\nbatch_size = 5\n")
    done = run_luigi(cfg, "database.MergeToDuckDB", "--local-scheduler", "--workers", "2")
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-3000:]
    assert "extraction.ExtractRun(" in log and "is complete: not run" in log
    assert "was extracted concurrently" not in log
    with plr_settings(**_settings(small_store, tmp_path)):
        from plr_luigi.tasks.store_listing import run_decisions

        to_extract = sorted(d.run.run_id for d in run_decisions() if d.outcome == "extract")
    assert len(to_extract) > 3 * 5  # more batches than workers: some are helped
    extracted = sorted(p.parent.parent.name for p in (tmp_path / "data" / "interim" / "runs")
                       .glob("*/*/record.json"))  # runs/<run id>/<fingerprint>/record.json
    assert extracted == to_extract
    assert (tmp_path / "data" / "public" / "plr_results.duckdb").is_file()


def test_the_batches_share_out_the_runs_left_to_extract(tmp_path):
    """A rebuild after new runs splits those over the cores, not the whole store: with 12 of
    62 runs left, one batch of 62 / 2 would hold them all and leave a core idle."""
    from plr_luigi.tasks.extraction import left_to_extract

    run_dirs = [tmp_path / f"run{k}" / "fingerprint" for k in range(62)]
    for run_dir in run_dirs[12:]:
        run_dir.mkdir(parents=True)
    assert left_to_extract(run_dirs) == 12


@pytest.mark.parametrize(("n_runs", "cores", "expected"), [
    (410, 2, 205),  # the paper-size store on two cores: one batch a core
    (37, 2, 19),
    (7, 16, 1),  # fewer runs than cores: one a task
    (10_000, 2, 500),  # at most 500 a batch
    (200, 16, 13),
])
def test_the_automatic_batch_size_gives_one_batch_per_core(monkeypatch, n_runs, cores,
                                                           expected):
    from plr_luigi.tasks import settings

    monkeypatch.setattr(settings, "usable_cores", lambda: cores)
    with luigi_config("extraction", batch_size=0):
        assert settings.ExtractionSettings().runs_per_task(n_runs) == expected
    with luigi_config("extraction", batch_size=7):
        assert settings.ExtractionSettings().runs_per_task(n_runs) == 7
