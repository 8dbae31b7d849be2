"""Guards on real builds: memory limit, stall timeout, retries of a briefly missing store."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import luigi
import pytest
from support.events import task_events
from support.settings import luigi_config, plr_settings
from support.three_run_store import generate_three_run_store

from plr_luigi.store.run_decisions import run_fingerprint
from plr_luigi.tasks import ExtractRun
from plr_luigi.tasks.store_listing import run_decisions

# One worker: its tests share (and briefly change) the module's store.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("limits_retries")]
STALLED = "TABM_eval-auc__MOMENT-embedding__CSDI__LOF"


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory):
    """A SQLite store of three runs (what these tests check is one run's extraction) with one
    extra run whose metrics pickle is a FIFO: reading it blocks."""
    from mlflow.tracking import MlflowClient

    out = tmp_path_factory.mktemp("sqlite_store")
    store = generate_three_run_store(out, tracking_uri=f"sqlite:///{out}/mlflow.db")
    client = MlflowClient(tracking_uri=store.tracking_uri)
    experiment = client.get_experiment_by_name("PLR_Classification").experiment_id
    run = client.create_run(experiment, run_name=STALLED, tags={"plr.synthetic": "true"})
    client.set_terminated(run.info.run_id, "FINISHED")
    metrics = Path(client.get_run(run.info.run_id).info.artifact_uri.removeprefix("file://"))
    (metrics / "metrics").mkdir(parents=True)
    os.mkfifo(metrics / "metrics" / f"metrics_{STALLED}.pickle")
    return store


@pytest.fixture
def settings(sqlite_store, tmp_path):
    values = dict(tracking_uri=sqlite_store.tracking_uri, source_db=str(sqlite_store.source_db),
                  data_dir=str(tmp_path / "data"), output_dir=str(tmp_path / "outputs"))
    # Retries a second apart, so that the test does not wait luigi.cfg's 5 s, and the worker
    # asking for them without Luigi's jitter (up to 5 s more each time).
    with plr_settings(**values), luigi_config("scheduler", retry_delay=1, retry_count=3), \
            luigi_config("worker", wait_jitter=0):
        yield tmp_path


def _extract_task(run_name: str | None = None) -> ExtractRun:
    run = next(d.run for d in run_decisions() if d.outcome == "extract"
               and (run_name is None or d.run.run_name == run_name))
    return ExtractRun(run_id=run.run_id, fingerprint=run_fingerprint(run))


def _messages(failed: list) -> list[str]:
    return [str(error) for _task, error in failed]


def test_a_run_over_the_memory_limit_fails_naming_run_figure_and_limit(settings):
    task = _extract_task()
    with luigi_config("limits", memory_mb=1), luigi_config("scheduler", retry_count=1), \
            task_events(luigi.Event.FAILURE, ExtractRun) as failed:
        assert not luigi.build([task], local_scheduler=True)
    failures = _messages(failed)
    name = next(d.run.run_name for d in run_decisions() if d.run.run_id == task.run_id)
    assert failures, "the task did not fail"
    assert f"extraction.ExtractRun {name}: resident memory" in failures[-1]
    assert "MB crossed the limit of 1 MB" in failures[-1]
    assert not task.complete()


def test_a_run_whose_read_blocks_is_stopped_by_the_stall_timeout(settings):
    task = _extract_task(STALLED)
    started = time.monotonic()
    with luigi_config("limits", stall_seconds=2), luigi_config("scheduler", retry_count=1), \
            task_events(luigi.Event.FAILURE, ExtractRun) as failed:
        assert not luigi.build([task], local_scheduler=True)
    assert time.monotonic() - started < 120
    failures = _messages(failed)
    assert failures and f"extraction.ExtractRun {STALLED}: no progress for" in failures[-1]
    assert f"stuck in stage: {STALLED}: reading metrics pickle" in failures[-1]


def test_a_store_missing_for_a_moment_is_retried_and_a_permanent_error_gives_up(
        settings):
    task = _extract_task()  # the run list is known: the store vanishes during extraction
    # Extraction reads the listed run's artifacts, not the tracking database: what vanishes is
    # the experiment's artifact folder (an unmounted disk).
    run = next(d.run for d in run_decisions() if d.run.run_id == task.run_id)
    artifacts = Path(run.artifact_uri.removeprefix("file://")).parent.parent
    moved = artifacts.with_name(artifacts.name + ".away")
    artifacts.rename(moved)

    def mounted_again(*_failure) -> None:
        # Back after the first failed attempt, whatever the machine's speed (a timer raced the
        # retries: three attempts before it fired failed the test).
        if moved.exists():
            moved.rename(artifacts)

    try:
        with task_events(luigi.Event.FAILURE, ExtractRun, then=mounted_again) as failed:
            result = luigi.build([task], local_scheduler=True, detailed_summary=True)
    finally:
        mounted_again()
    failures = _messages(failed)
    assert result.status == luigi.execution_summary.LuigiStatusCode.SUCCESS_WITH_RETRY, \
        result.summary_text
    assert len(failures) == 1 and "is not reachable" in failures[0]
    assert task.complete()

    # Gone for good: tried retry_count (3) times, then the build gives up.
    shutil.rmtree(task.output().path)
    artifacts.rename(moved)
    try:
        started = time.monotonic()
        with task_events(luigi.Event.FAILURE, ExtractRun) as failed:
            assert not luigi.build([task], local_scheduler=True)
        assert len(failed) == 3
        assert time.monotonic() - started < 120
    finally:
        moved.rename(artifacts)
