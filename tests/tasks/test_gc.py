"""`plr-luigi gc` after a real build and a changed store: it lists the deleted run's folder and
a retired output, nothing a build needs and nothing of the store; `--yes` removes them and the
next build has no run to extract again."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from support.luigi_process import BIN, ROOT, luigi_env, write_luigi_cfg

pytestmark = pytest.mark.slow
CONFIGS = [("pupil-gt", "pupil-gt", "CatBoost", "simple1.0"),
           ("LOF", "SAITS", "CatBoost", "simple1.0"), ("LOF", "CSDI", "XGBoost", "simple1.0")]


def _run(cfg: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([str(BIN / args[0]), *args[1:]], cwd=ROOT, env=luigi_env(cfg),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return result


def _files(folder: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in folder.rglob("*")}


def test_gc_lists_and_removes_what_no_task_needs_and_never_the_store(tmp_path):
    from mlflow.tracking import MlflowClient

    from plr_luigi.synth import generate_store
    from plr_luigi.synth.design import run_spec
    from plr_luigi.synth.registry import load_levels

    runs = [run_spec(load_levels(), config, seed=3) for config in CONFIGS]
    store = generate_store(tmp_path / "store", seed=3, n_bootstrap=20, model_pickle_bytes=1000,
                           runs=runs)
    data, outputs = tmp_path / "data", tmp_path / "outputs"
    cfg = write_luigi_cfg(tmp_path / "plr.cfg", store.tracking_uri, str(store.source_db),
                          data, outputs)
    build = ("luigi", "--module", "plr_luigi", "ReproduceAll", "--local-scheduler")
    _run(cfg, *build)
    assert "nothing to remove" in _run(cfg, "plr-luigi", "gc").stdout

    client = MlflowClient(tracking_uri=store.tracking_uri)
    experiment = client.get_experiment_by_name("PLR_Classification").experiment_id
    gone = next(r for r in client.search_runs([experiment])
                if r.info.run_name.startswith("XGBOOST")).info.run_id
    client.delete_run(gone)
    retired = outputs / "figures" / "retired_figure.png"
    retired.write_bytes(b"a figure no task draws any more")
    run_folders = [p for p in (data / "interim" / "runs").iterdir() if p.name != gone]
    assert len(run_folders) == 2 and (data / "interim" / "runs" / gone).is_dir()
    store_before = _files(tmp_path / "store")

    listed = _run(cfg, "plr-luigi", "gc").stdout
    assert listed.splitlines()[1:] == [f"  {data / 'interim' / 'runs' / gone}", f"  {retired}"]
    assert (data / "interim" / "runs" / gone).is_dir() and retired.is_file()  # only listed

    _run(cfg, "plr-luigi", "gc", "--yes")
    assert not (data / "interim" / "runs" / gone).exists() and not retired.exists()
    assert all(folder.is_dir() for folder in run_folders)
    assert _files(tmp_path / "store") == store_before
    assert "nothing to remove" in _run(cfg, "plr-luigi", "gc").stdout

    # What gc left is what the next build needs: no run is extracted again.
    log = _run(cfg, *build).stderr
    assert "running   extraction.ExtractRun" not in log
    assert "running   database.MergeToDuckDB" in log
