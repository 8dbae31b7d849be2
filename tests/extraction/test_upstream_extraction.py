"""Extraction of the upstream experiments from real generated stores: the public quality
tables, the private signals, bad runs, other backends and the memory bound of one pickle."""

from __future__ import annotations

import os
import re
import tracemalloc
from pathlib import Path

import duckdb
import luigi
import pandas as pd
import pytest
from support import templates
from support.settings import plr_settings
from support.stores import replace_file

from plr_luigi.study import schema

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")

N_OUTLIER_KEPT = 14  # every method once: the rerun supersedes LOF's first run
N_IMPUTATION_KEPT = 11  # 2 imputers x 5 sources and the ensemble


def _upstream_report(con) -> pd.DataFrame:
    return con.execute(f"SELECT * FROM {schema.UPSTREAM_EXTRACTION_REPORT.name}").df()


def test_every_upstream_run_is_reported_with_its_fate(con, small_store):
    report = _upstream_report(con)
    n_logged = sum(len(names) for names in small_store.upstream_runs.values())
    assert len(report) == n_logged
    outcome = report.groupby(["experiment", "outcome"]).size().to_dict()
    assert outcome[("PLR_OutlierDetection", "extracted")] == N_OUTLIER_KEPT
    assert outcome[("PLR_Imputation", "extracted")] == N_IMPUTATION_KEPT
    reasons = " | ".join(report["reason"].dropna())
    for expected in ("deleted run", "run status is FAILED", "superseded by a later run",
                     "'debug_run_outlier' is not a known method name",
                     "'SAITS_debug_impute' lacks the __ separator"):
        assert expected in reasons


def test_public_quality_tables(con):
    f1 = con.execute(f"SELECT outlier_method, f1_definition, value, ci_lo, ci_hi FROM "
                     f"{schema.OUTLIER_METRICS.name} WHERE split = 'outlier_test' "
                     "AND metric = 'f1'").df().set_index("outlier_method")
    assert len(f1) == N_OUTLIER_KEPT
    assert (f1["ci_lo"] <= f1["value"]).all() and (f1["value"] <= f1["ci_hi"]).all()
    assert f1.loc["LOF", "f1_definition"] == "plain"
    assert f1.loc["MOMENT-gt-finetune", "f1_definition"] == "thresholded"
    assert f1.loc["TimesNet-gt", "f1_definition"] == "point-adjusted"
    variants = set(con.execute(f"SELECT DISTINCT metric FROM {schema.OUTLIER_METRICS.name}"
                               ).df()["metric"])
    assert {"f1__easy", "f1__medium", "fp", "precision"} <= variants
    mae = con.execute(f"SELECT imputation_method, outlier_method, value FROM "
                      f"{schema.IMPUTATION_METRICS.name} WHERE split = 'test' "
                      "AND metric = 'mae'").df()
    assert len(mae) == N_IMPUTATION_KEPT and mae["value"].between(0, 1).all()
    assert "pupil-gt" in set(mae["outlier_method"])


def test_signals_are_private_and_anonymised(built):
    data = built["work"] / "data"
    signals_db = data / "private" / "plr_signals.duckdb"
    with duckdb.connect(str(signals_db), read_only=True) as signals:
        frame = signals.execute(
            f"SELECT split, subject_code, class_label, len(signal) AS n "
            f"FROM {schema.RECONSTRUCTED_SIGNALS.name}").df()
        n_time = signals.execute(f"SELECT count(*) FROM {schema.SIGNAL_TIME.name}").fetchone()[0]
    assert n_time == 1981 and (frame["n"] == 1981).all()
    assert frame["subject_code"].str.fullmatch(r"[HGU]\d{3}").all()
    labelled = frame[frame["subject_code"].str[0] != "U"]
    assert labelled["class_label"].notna().all()
    assert frame[frame["subject_code"].str[0] == "U"]["class_label"].isna().all()
    # 10 imputation runs with signals (the ensemble has no subject codes) x every subject
    assert len(frame) == 10 * 248
    # nothing per subject on the public side
    assert not any((data / "public").rglob("*signal*"))
    assert not list((data / "interim").rglob(f"{schema.RECONSTRUCTED_SIGNALS.name}*"))


def test_no_original_code_in_public_upstream_tables(con):
    for table in (*schema.UPSTREAM_TABLES, schema.UPSTREAM_EXTRACTION_REPORT):
        text = con.execute(f"SELECT * FROM {table.name}").df().astype(str).to_csv()
        assert not re.search(r"PLR\d+", text), table.name


def _build(store, work: Path) -> luigi.execution_summary.LuigiRunResult:
    from plr_luigi.tasks.merge import MergeSignals, MergeToDuckDB

    with plr_settings(tracking_uri=store.tracking_uri, source_db=str(store.source_db),
                      data_dir=str(work / "data"), output_dir=str(work / "outputs")):
        return luigi.build([MergeToDuckDB(), MergeSignals()], local_scheduler=True,
                           detailed_summary=True)


def _imputation_pickle(store_dir: Path, run_name: str) -> Path:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=str(store_dir / "mlruns"))
    experiment = client.get_experiment_by_name("PLR_Imputation")
    (run,) = client.search_runs([experiment.experiment_id],
                                filter_string=f"attributes.run_name = '{run_name}'")
    root = Path(run.info.artifact_uri.removeprefix("file://"))
    return next((root / "imputation").glob("*.pickle"))


def test_bad_upstream_runs_fail_alone(private_store, tmp_path):
    store = private_store
    store_dir = Path(store.tracking_uri).parent
    corrupt = "SAITS_dFfn128_nLayers2__LOF_impPLR_v0.1"
    missing = "SAITS_dFfn128_nLayers2__TimesNet_impPLR_v0.1"
    replace_file(_imputation_pickle(store_dir, corrupt), b"not a pickle")
    _imputation_pickle(store_dir, missing).unlink()
    result = _build(store, tmp_path / "work")
    assert result.scheduling_succeeded, result.summary_text
    with duckdb.connect(str(tmp_path / "work/data/public/plr_results.duckdb"),
                        read_only=True) as con:
        report = _upstream_report(con).set_index("run_name")
        n_mae = con.execute(f"SELECT count(DISTINCT run_id) FROM "
                            f"{schema.IMPUTATION_METRICS.name}").fetchone()[0]
    assert report.loc[corrupt, "outcome"] == "failed"
    assert "is not a readable pickle" in report.loc[corrupt, "reason"]
    assert report.loc[missing, "outcome"] == "failed"
    assert "expected one imputation/imputation_<MODEL>.pickle, found 0" in \
        report.loc[missing, "reason"]
    assert n_mae == N_IMPUTATION_KEPT - 2  # the rest is extracted


@pytest.fixture(scope="session")
def sqlite_build(shared_dir) -> dict:
    """The small store in a SQLite store, built once per run (tests/store/test_backends.py
    compares its classification tables)."""
    return templates.sqlite_small_store_build(shared_dir)


def test_a_sqlite_store_gives_the_same_upstream_tables(sqlite_build, con):
    assert sqlite_build["store"].tracking_uri.startswith("sqlite:///")
    assert {"database.MergeToDuckDB", "database.MergeSignals"} <= set(sqlite_build["ran"])
    work = sqlite_build["work"]
    query = (f"SELECT run_name, split, metric, round(value, 9) AS v FROM "
             f"{schema.IMPUTATION_METRICS.name} ORDER BY ALL")
    with duckdb.connect(str(work / "data/public/plr_results.duckdb"),
                        read_only=True) as sqlite_con:
        from_sqlite = sqlite_con.execute(query).df()
    pd.testing.assert_frame_equal(from_sqlite, con.execute(query).df())
    with duckdb.connect(str(work / "data/private/plr_signals.duckdb"),
                        read_only=True) as signals:
        assert signals.execute(f"SELECT count(*) FROM {schema.RECONSTRUCTED_SIGNALS.name}"
                               ).fetchone()[0] == 10 * 248


def test_memory_is_one_pickle_whatever_the_number_of_runs(built, tmp_path):
    """Python-side peak allocation (tracemalloc sees numpy's buffers) of extracting every
    imputation run in one process is that of the largest single run, and about one pickle."""
    from plr_luigi.extraction.upstream_extraction import extract_upstream_run
    from plr_luigi.tasks.extraction_modules import load_extraction_modules
    from plr_luigi.tasks.store_listing import upstream_decisions

    # What an extraction imports, imported before tracing as a build's pre-fork hook does: a
    # worker whose earlier tests imported none of it would otherwise count the modules (~35 MB)
    # as memory the runs kept.
    load_extraction_modules()
    settings = built["settings"]
    lookup = pd.read_csv(Path(settings["data_dir"]) / "private" / "subject_lookup.csv",
                         dtype={"original_code": str})
    with plr_settings(**settings):
        runs = [d.run for d in upstream_decisions("PLR_Imputation") if d.outcome == "extract"
                and not d.run.run_name.startswith("ensemble")]
    assert len(runs) == 10
    peaks = []
    tracemalloc.start()
    try:
        for k, run in enumerate(runs):
            tracemalloc.reset_peak()
            extract_upstream_run(settings["tracking_uri"], "PLR_Imputation", run.run_id, lookup,
                                 tmp_path / str(k), tmp_path / "scratch")
            peaks.append(tracemalloc.get_traced_memory()[1])
        overall = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = max(f.stat().st_size for run in runs for f in
               Path(run.artifact_uri.removeprefix("file://"), "imputation").glob("*.pickle"))
    assert max(peaks) < 1.25 * min(peaks)  # flat: no run costs more than another
    assert overall[0] < 0.1 * min(peaks)  # nothing kept between runs
    assert max(peaks) < 2.0 * size  # the pickle and its float32 signals, no more
