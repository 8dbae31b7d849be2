"""Every backend: the same synthetic study in a file store, a SQLite store and behind a real
`mlflow server` gives the same database; remote artifacts leave no downloads behind.

The file store is the tests' small store (its finished build, the template); the SQLite store
is the same study generated again (support.templates.sqlite_small_store_build, shared with the
upstream extraction's tests); the server serves a copy of that SQLite store, its artifacts
through its own HTTP API, as to runs logged through it."""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from support import templates
from support.servers import mlflow_server_of
from support.settings import plr_settings
from support.stores import copy_store, serve_artifacts_through_server

from plr_luigi.tasks import MergeToDuckDB

pytestmark = pytest.mark.slow
FACTORS = ["outlier_method", "imputation_method", "classifier", "featurization"]
COMPARED = ["auroc", "auroc_ci_lo", "auroc_ci_hi", "brier", "n_test", "n_events"]


def _essential_metrics(work: Path) -> pd.DataFrame:
    db = work / "data" / "public" / "plr_results.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        frame = con.execute("SELECT * FROM essential_metrics").df()
    return frame.sort_values(FACTORS).reset_index(drop=True)


def _build(store, work: Path, recorder) -> tuple[pd.DataFrame, float]:
    """MergeToDuckDB over the store, in process; its essential metrics and the build time."""
    settings = dict(tracking_uri=store.tracking_uri, source_db=str(store.source_db),
                    data_dir=str(work / "data"), output_dir=str(work / "outputs"))
    started = time.monotonic()
    with plr_settings(**settings):
        ran = recorder.build([MergeToDuckDB()])
    seconds = time.monotonic() - started
    assert ran.count("extraction.ExtractRun") == store.n_extracted_runs
    return _essential_metrics(work), seconds


def _assert_read_in_place(work: Path) -> None:
    """Local artifacts are read where they are: nothing was downloaded."""
    assert not (work / "data" / "interim" / "scratch").exists()


def _artifact_schemes(tracking_uri: str) -> set[str]:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    experiment = client.get_experiment_by_name("PLR_Classification").experiment_id
    return {run.info.artifact_uri.split(":")[0]
            for run in client.search_runs([experiment], max_results=1000)}


def _assert_same_study(frame: pd.DataFrame, reference: pd.DataFrame) -> None:
    assert len(frame) == len(reference) > 0
    pd.testing.assert_frame_equal(frame[FACTORS], reference[FACTORS])
    pd.testing.assert_frame_equal(frame[COMPARED], reference[COMPARED], check_exact=False,
                                  rtol=1e-9)


@pytest.fixture(scope="session")
def sqlite_build(shared_dir) -> dict:
    return templates.sqlite_small_store_build(shared_dir)


@pytest.fixture(scope="module")
def file_store_metrics(build_template) -> pd.DataFrame:
    _assert_read_in_place(build_template["work"])
    return _essential_metrics(build_template["work"])


def test_a_sqlite_store_gives_the_same_database(sqlite_build, file_store_metrics, small_store):
    assert sqlite_build["store"].tracking_uri.startswith("sqlite:///")
    assert sqlite_build["ran"].count("extraction.ExtractRun") == small_store.n_extracted_runs
    _assert_same_study(_essential_metrics(sqlite_build["work"]), file_store_metrics)
    _assert_read_in_place(sqlite_build["work"])


def test_a_tracking_server_gives_the_same_database_and_leaves_no_downloads(
        sqlite_build, file_store_metrics, tmp_path, recorder, monkeypatch):
    store = copy_store(sqlite_build["store"], tmp_path / "store")
    artifacts = serve_artifacts_through_server(store)
    started = time.monotonic()
    with mlflow_server_of(tmp_path / "server", store.tracking_uri, artifacts) as url:
        up = time.monotonic()
        assert _artifact_schemes(url) == {"mlflow-artifacts"}  # read through the server
        # Any temporary folder MLflow or our code would leave behind lands here.
        system_tmp = tmp_path / "system-tmp"
        system_tmp.mkdir()
        monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
        frame, seconds = _build(dataclasses.replace(store, tracking_uri=url), tmp_path,
                                recorder)
    local = sqlite_build["merge_seconds"]
    print(f"server start {up - started:.1f} s, build over HTTP {seconds:.1f} s, build from a "
          f"local store {local:.1f} s")

    _assert_same_study(frame, file_store_metrics)
    scratch = tmp_path / "data" / "interim" / "scratch"
    assert not scratch.exists() or not any(scratch.iterdir()), list(scratch.rglob("*"))
    assert list(system_tmp.iterdir()) == []
    # Downloaded over HTTP, yet the same order of time as the local build.
    assert seconds < 10 * local + 30

