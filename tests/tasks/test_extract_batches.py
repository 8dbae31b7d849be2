"""ExtractRun in Luigi batches ([extraction] batch_size): every run extracted once with the
values of one-run tasks, a run that cannot be extracted fails only itself (its batch names
it), and the batch's other runs are kept: a rebuild extracts nothing else again."""

from __future__ import annotations

import os

import duckdb
import luigi
import pandas as pd
import pytest
from support.events import task_events
from support.settings import luigi_config, plr_settings

from plr_luigi.study import schema
from plr_luigi.tasks import ExtractRun, MergeToDuckDB

pytestmark = pytest.mark.slow


class _Ran:
    """The ExtractRun tasks that ran (a batch is one task listing several runs)."""

    def __init__(self):
        self.tasks: list[ExtractRun] = []
        self.failures: list[str] = []

    def build(self, **settings) -> luigi.execution_summary.LuigiRunResult:
        with plr_settings(**settings), task_events(luigi.Event.SUCCESS, ExtractRun) as ran, \
                task_events(luigi.Event.FAILURE, ExtractRun) as failed:
            result = luigi.build([MergeToDuckDB()], local_scheduler=True, detailed_summary=True)
        self.tasks = ran
        self.failures = [str(error) for _task, error in failed]
        return result

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
                for t in schema.RUN_TABLES}


def test_batches_extract_every_run_once_with_the_values_of_single_runs(small_store, ran,
                                                                        tmp_path):
    with luigi_config("extraction", batch_size=1):
        assert ran.build(**_settings(small_store, tmp_path / "single")).scheduling_succeeded
    singles = ran.runs()
    assert all(len(task.runs()) == 1 for task in ran.tasks)
    with luigi_config("extraction", batch_size=4):
        assert ran.build(**_settings(small_store, tmp_path / "batched")).scheduling_succeeded
    assert ran.runs() == singles  # each run once
    assert max(len(task.runs()) for task in ran.tasks) == 4 and len(ran.tasks) < len(singles)
    single_db, batched_db = (tmp_path / name / "data" / "public" / "plr_results.duckdb"
                             for name in ("single", "batched"))
    expected = _tables(single_db)
    for name, frame in _tables(batched_db).items():
        pd.testing.assert_frame_equal(frame, expected[name], obj=name)


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
