"""Bad runs in the store: each named with its reason, everything else built, exit code non-zero.

(The synthetic store itself holds FAILED, deleted, legacy-name, duplicate and invalid-level
runs: tests/test_pipeline.py checks their report lines.)
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
from pathlib import Path

import duckdb
import numpy as np
import pytest
from support.luigi_process import add_plr_options, run_luigi, timed, write_luigi_cfg
from support.settings import DRAFT_FIGURES

from plr_luigi.store.safe_pickle import load_pickle

pytestmark = pytest.mark.slow

CORRUPT = "TABPFN_eval-auc__MOMENT-embedding-PCA__TimesNet__SubPCA"
MISSING = "TABM_eval-auc__MOMENT-embedding-PCA__MOMENT-zeroshot__PROPHET"
UNKNOWN = "CATBOOST_eval-auc__simple1.0__SAITS__BrandNewDetector"
# Valid configurations the small store does not use (the test checks).
EVIL = "TABM_eval-auc__MOMENT-embedding__CSDI__LOF"
NAN_CI = "XGBOOST_eval-auc__MOMENT-embedding__CSDI__LOF"
NO_VAL_SPLIT = "TABPFN_eval-auc__MOMENT-embedding__CSDI__LOF"
STILL_RUNNING = "CATBOOST_eval-auc__MOMENT-embedding__CSDI__LOF"
KILLED = "TABM_eval-auc__MOMENT-embedding__SAITS__LOF"


class _RunsCode:
    """Pickles to "call os.system(...)": what a tampered metrics pickle would do."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def _pickles(template: dict, marker: Path) -> dict[str, bytes]:
    """Metrics pickles of the bad runs, derived from a real one."""
    nan_ci = dict(template)
    nan_ci["metrics_stats"] = {split: {"metrics": {"scalars": {
        metric: {**stats, "ci": np.array([np.nan, np.nan])}
        for metric, stats in part["metrics"]["scalars"].items()}}}
        for split, part in template["metrics_stats"].items()}
    no_val = {key: ({k: v for k, v in part.items() if k != "val"} if isinstance(part, dict)
                    else part) for key, part in template.items()}
    return {
        CORRUPT: b"\x80\x05\x95 this file was truncated by a full disk",
        EVIL: pickle.dumps({"metrics_iter": _RunsCode(marker)}),
        NAN_CI: pickle.dumps(nan_ci),
        NO_VAL_SPLIT: pickle.dumps(no_val),
        STILL_RUNNING: pickle.dumps(template),
        KILLED: pickle.dumps(template),
    }


def _log_bad_runs(tracking_uri: str, tmp: Path, marker: Path) -> None:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    experiment = client.get_experiment_by_name("PLR_Classification").experiment_id
    runs = client.search_runs([experiment], max_results=1000)
    existing = {r.info.run_name for r in runs}
    names = (CORRUPT, MISSING, UNKNOWN, EVIL, NAN_CI, NO_VAL_SPLIT, STILL_RUNNING, KILLED)
    assert not set(names) & existing
    good = next(r for r in runs if r.info.status == "FINISHED" and "__" in r.info.run_name
                and r.info.lifecycle_stage == "active")
    template = load_pickle(Path(good.info.artifact_uri.removeprefix("file://")) / "metrics"
                           / f"metrics_{good.info.run_name}.pickle")
    pickles = _pickles(template, marker)
    for name in names:
        run = client.create_run(experiment, run_name=name, tags={"plr.synthetic": "true"})
        client.log_param(run.info.run_id, "glaucomaParam_prevalence", "0.0354")
        if name in pickles:
            path = tmp / f"metrics_{name}.pickle"
            path.write_bytes(pickles[name])
            client.log_artifact(run.info.run_id, str(path), artifact_path="metrics")
        if name != STILL_RUNNING:
            client.set_terminated(run.info.run_id, "KILLED" if name == KILLED else "FINISHED")


def test_bad_runs_fail_alone_and_the_exit_code_says_so(extracted_copy_of_private_store,
                                                       tmp_path):
    # The runs of a finished build extracted already: the build extracts the bad runs, merges
    # and builds every output.
    store, work = (extracted_copy_of_private_store[k] for k in ("store", "work"))
    marker = tmp_path / "code_ran"
    _log_bad_runs(store.tracking_uri, tmp_path, marker)
    cfg = add_plr_options(write_luigi_cfg(tmp_path / "plr.cfg", store.tracking_uri,
                                          str(store.source_db), work / "data", work / "outputs"),
                          **DRAFT_FIGURES)
    result = run_luigi(cfg, "ReproduceAll", "--local-scheduler")

    assert result.returncode == 30, result.stderr[-3000:]  # [retcode] task_failed
    assert "4 runs failed extraction" in result.stderr
    assert not marker.exists()  # the tampered pickle was refused before anything ran
    db = work / "data" / "public" / "plr_results.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        n = con.execute("SELECT count(*) FROM essential_metrics").fetchone()[0]
        report = con.execute("SELECT run_name, outcome, reason, seconds FROM extraction_report"
                             ).df().set_index("run_name")
        cohort = con.execute("SELECT e.run_name, c.split, c.auroc_ci_lo FROM cohort_metrics c "
                             "JOIN essential_metrics e USING (config_id)").df()
    failed = report[report["outcome"] == "failed"]["reason"].to_dict()
    assert n == store.n_valid_configurations + 2  # NAN_CI and NO_VAL_SPLIT are extracted
    assert set(failed) == {CORRUPT, MISSING, UNKNOWN, EVIL}
    assert "not a readable pickle" in failed[CORRUPT]
    assert f"metrics/metrics_{MISSING}.pickle is missing" in failed[MISSING]
    assert "unknown outlier_method level 'BrandNewDetector'" in failed[UNKNOWN]
    assert "refused to load posix.system" in failed[EVIL]
    assert f"{EVIL}: refused to load posix.system" in result.stderr  # named in the build log
    assert report.loc[STILL_RUNNING, "reason"] == "run status is RUNNING"
    assert report.loc[KILLED, "reason"] == "run status is KILLED"
    # NaN CIs stay NaN (shown as missing), a split the run lacks is absent, the run is kept.
    assert cohort[cohort["run_name"] == NAN_CI]["auroc_ci_lo"].isna().all()
    assert sorted(cohort[cohort["run_name"] == NO_VAL_SPLIT]["split"]) == ["test", "train"]
    assert report.loc[[NAN_CI, NO_VAL_SPLIT], "outcome"].tolist() == ["extracted"] * 2
    # Timings for every run whose extraction was attempted (UNKNOWN failed on its name alone).
    attempted = report[report["outcome"] != "skipped"].drop(index=UNKNOWN)
    assert (attempted["seconds"] > 0).all()
    for name in ("numbers.tex", "tables/by_classifier.tex", "figures/forest_outlier_method.png",
                 "extraction_report.md"):
        assert (work / "outputs" / name).is_file(), name
    assert CORRUPT in (work / "outputs" / "extraction_report.md").read_text()
    # The audit and the report page ran over what was published, failed runs named on it.
    audit = json.loads((work / "outputs" / "privacy_audit.json").read_text())
    assert "report.html" in audit["clean"] and "public/plr_results.duckdb" in audit["clean"]
    page = (work / "outputs" / "report.html").read_text()
    assert "4 runs failed extraction" in page and "refused to load posix.system" in page
    # No half-written run directory or database is left behind.
    leftovers = [p.name for p in (work / "data").rglob("*") if ".tmp" in p.name
                 or "luigi-tmp" in p.name]
    assert leftovers == []


def _luigi_exit(tmp_path: Path, tracking_uri: str) -> subprocess.CompletedProcess:
    cfg = write_luigi_cfg(tmp_path / "plr.cfg", tracking_uri, "", tmp_path / "data",
                          tmp_path / "outputs")
    with timed() as timing:
        result = run_luigi(cfg, "ReproduceAll", "--local-scheduler")
    # The root's planning fails: nothing is left pending to idle luigi.cfg's 30 s for.
    timing.assert_ends_at_once("the failed build")
    assert "1 failed scheduling:\n    - 1 ReproduceAll()" in result.stderr, result.stderr[-3000:]
    return result


def test_a_store_path_that_does_not_exist_stops_the_build_before_anything_is_written(tmp_path):
    result = _luigi_exit(tmp_path, str(tmp_path / "no" / "mlruns"))
    assert result.returncode == 35, result.stderr[-3000:]  # [retcode] scheduling_error
    assert f"MLflow store path does not exist: {tmp_path / 'no' / 'mlruns'}" in result.stderr
    # Nothing but the build lock (plr_luigi.filesystem.lock_files) was written.
    assert [p.name for p in (tmp_path / "data").rglob("*")] == [".build.lock"]
    assert not (tmp_path / "outputs").exists()


def test_an_empty_experiment_stops_the_build_before_anything_is_written(tmp_path):
    from mlflow.tracking import MlflowClient

    store = tmp_path / "mlruns"
    MlflowClient(tracking_uri=str(store)).create_experiment("PLR_Classification")
    result = _luigi_exit(tmp_path, str(store))
    assert result.returncode == 35, result.stderr[-3000:]
    assert "experiment 'PLR_Classification'" in result.stderr
    assert "has no runs: nothing to build a results database from" in result.stderr
    assert not (tmp_path / "data" / "public").exists()
