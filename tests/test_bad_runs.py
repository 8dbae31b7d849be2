"""Bad runs in the store: each named with its reason, everything else built, exit code non-zero."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import write_luigi_cfg

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent

CORRUPT = "TABPFN_eval-auc__MOMENT-embedding-PCA__TimesNet__SubPCA"
MISSING = "TABM_eval-auc__MOMENT-embedding-PCA__MOMENT-zeroshot__PROPHET"
UNKNOWN = "CATBOOST_eval-auc__simple1.0__SAITS__BrandNewDetector"


def _log_bad_runs(tracking_uri: str, tmp: Path) -> None:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    experiment = client.get_experiment_by_name("PLR_Classification").experiment_id
    existing = {r.info.run_name for r in client.search_runs([experiment], max_results=1000)}
    assert not {CORRUPT, MISSING, UNKNOWN} & existing
    for name in (CORRUPT, MISSING, UNKNOWN):
        run = client.create_run(experiment, run_name=name, tags={"plr.synthetic": "true"})
        if name == CORRUPT:
            bad = tmp / f"metrics_{name}.pickle"
            bad.write_bytes(b"\x80\x05\x95 this file was truncated by a full disk")
            client.log_artifact(run.info.run_id, str(bad), artifact_path="metrics")
        client.set_terminated(run.info.run_id, "FINISHED")


def test_bad_runs_fail_alone_and_the_exit_code_says_so(tmp_path):
    from plr_luigi.synth import generate_store

    store = generate_store(tmp_path / "store", size="demo", seed=11, n_runs=24, n_bootstrap=40,
                           model_pickle_bytes=10_000)
    _log_bad_runs(store.tracking_uri, tmp_path)
    cfg = write_luigi_cfg(tmp_path / "plr.cfg", store.tracking_uri, str(store.source_db),
                          tmp_path / "data", tmp_path / "outputs")
    env = {**os.environ, "LUIGI_CONFIG_PATH": str(cfg), "MLFLOW_ALLOW_FILE_STORE": "true"}
    result = subprocess.run([sys.executable, "-m", "luigi", "--module", "plr_luigi",
                             "ReproduceAll", "--local-scheduler"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)

    assert result.returncode == 30, result.stderr[-3000:]  # [retcode] task_failed
    assert "3 runs failed extraction" in result.stderr
    db = tmp_path / "data" / "public" / "plr_results.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        n = con.execute("SELECT count(*) FROM essential_metrics").fetchone()[0]
        failed = dict(con.execute("SELECT run_name, reason FROM extraction_report "
                                  "WHERE outcome = 'failed'").fetchall())
    assert n == store.n_valid_configurations
    assert set(failed) == {CORRUPT, MISSING, UNKNOWN}
    assert "not a readable pickle" in failed[CORRUPT]
    assert f"metrics/metrics_{MISSING}.pickle is missing" in failed[MISSING]
    assert "unknown outlier_method level 'BrandNewDetector'" in failed[UNKNOWN]
    for name in ("numbers.tex", "tables/by_classifier.tex", "figures/forest_outlier_method.png",
                 "extraction_report.md"):
        assert (tmp_path / "outputs" / name).is_file(), name
    assert CORRUPT in (tmp_path / "outputs" / "extraction_report.md").read_text()
    # No half-written run directory or database is left behind.
    leftovers = [p.name for p in (tmp_path / "data").rglob("*") if ".tmp" in p.name
                 or "luigi-tmp" in p.name]
    assert leftovers == []
