"""Every backend: the same synthetic study in a file store, a SQLite store and behind a real
`mlflow server` gives the same database; remote artifacts leave no downloads behind."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from support.servers import running_mlflow_server
from support.settings import plr_settings

from plr_luigi.tasks import MergeToDuckDB

# One worker: its tests share the module's stores (pytest-xdist would make them once per worker).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("store_backends")]
# Logging over HTTP costs ~0.45 s per run: keep the store small.
STORE = {"size": "demo", "seed": 11, "n_runs": 13, "n_bootstrap": 30, "model_pickle_bytes": 10_000}
FACTORS = ["outlier_method", "imputation_method", "classifier", "featurization"]
COMPARED = ["auroc", "auroc_ci_lo", "auroc_ci_hi", "brier", "n_test", "n_events"]


def _build(store, work: Path, recorder) -> tuple[pd.DataFrame, float]:
    """MergeToDuckDB over the store, in process; its essential metrics and the build time."""
    settings = dict(tracking_uri=store.tracking_uri, source_db=str(store.source_db),
                    data_dir=str(work / "data"), output_dir=str(work / "outputs"))
    started = time.monotonic()
    with plr_settings(**settings):
        ran = recorder.build([MergeToDuckDB()])
    seconds = time.monotonic() - started
    assert ran.count("extraction.ExtractRun") == store.n_extracted_runs
    db = work / "data" / "public" / "plr_results.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        frame = con.execute("SELECT * FROM essential_metrics").df()
    return frame.sort_values(FACTORS).reset_index(drop=True), seconds


def _assert_read_in_place(work: Path) -> None:
    """Local artifacts are read where they are: nothing was downloaded."""
    assert not (work / "data" / "interim" / "scratch").exists()


def _assert_same_study(frame: pd.DataFrame, reference: pd.DataFrame) -> None:
    assert len(frame) == len(reference) > 0
    pd.testing.assert_frame_equal(frame[FACTORS], reference[FACTORS])
    pd.testing.assert_frame_equal(frame[COMPARED], reference[COMPARED], check_exact=False,
                                  rtol=1e-9)


@pytest.fixture(scope="module")
def file_store_build(tmp_path_factory, recorder):
    from plr_luigi.synth import generate_store

    tmp = tmp_path_factory.mktemp("file_backend")
    store = generate_store(tmp / "store", **STORE)
    built = _build(store, tmp, recorder)
    _assert_read_in_place(tmp)
    return built


def test_a_sqlite_store_gives_the_same_database(file_store_build, tmp_path, recorder):
    from plr_luigi.synth import generate_store

    store = generate_store(tmp_path / "store", tracking_uri=f"sqlite:///{tmp_path}/mlflow.db",
                           **STORE)
    frame, _ = _build(store, tmp_path, recorder)
    _assert_same_study(frame, file_store_build[0])
    _assert_read_in_place(tmp_path)


def test_a_tracking_server_gives_the_same_database_and_leaves_no_downloads(
        file_store_build, tmp_path, recorder, monkeypatch):
    from plr_luigi.synth import generate_store

    started = time.monotonic()
    with running_mlflow_server(tmp_path / "server") as url:
        up = time.monotonic()
        store = generate_store(tmp_path / "store", tracking_uri=url, **STORE)
        logged = time.monotonic()
        # Any temporary folder MLflow or our code would leave behind lands here.
        system_tmp = tmp_path / "system-tmp"
        system_tmp.mkdir()
        monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
        frame, seconds = _build(store, tmp_path, recorder)
    print(f"server start {up - started:.1f} s, logging {logged - up:.1f} s, build over HTTP "
          f"{seconds:.1f} s, build from a file store {file_store_build[1]:.1f} s")

    _assert_same_study(frame, file_store_build[0])
    scratch = tmp_path / "data" / "interim" / "scratch"
    assert not scratch.exists() or not any(scratch.iterdir()), list(scratch.rglob("*"))
    assert list(system_tmp.iterdir()) == []
    # Downloaded over HTTP, yet the same order of time as the local build (13 small runs).
    assert seconds < 10 * file_store_build[1] + 30
