"""`plr-luigi gc` after a real build and a changed store: it lists the deleted run's folder and
a retired output, nothing a build needs and nothing of the store; `--yes` removes them and the
next build has no run to extract again."""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

import pytest
from support.luigi_process import BIN, ROOT, luigi_env, write_luigi_cfg
from support.stores import store_root

pytestmark = pytest.mark.slow


def _run(cfg: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([str(BIN / args[0]), *args[1:]], cwd=ROOT, env=luigi_env(cfg),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return result


def _files(folder: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in folder.rglob("*")}


def _extracted_run_of_its_own(client, experiment: str, runs_dir: Path) -> str:
    """An extracted run whose configuration no other run of the store has: deleting it leaves
    no duplicate to extract in its place."""
    from mlflow.entities import ViewType

    runs = client.search_runs([experiment], run_view_type=ViewType.ALL, max_results=5000)
    names = Counter(r.info.run_name for r in runs)
    return next(r.info.run_id for r in runs if r.info.run_name.startswith("XGBOOST")
                and names[r.info.run_name] == 1 and (runs_dir / r.info.run_id).is_dir())


def test_gc_lists_and_removes_what_no_task_needs_and_never_the_store(
        built_copy_of_private_store, tmp_path):
    from mlflow.tracking import MlflowClient

    # A finished build of the small store, both copies the test's own.
    store, work = built_copy_of_private_store["store"], built_copy_of_private_store["work"]
    data, outputs = work / "data", work / "outputs"
    cfg = write_luigi_cfg(tmp_path / "plr.cfg", store.tracking_uri, str(store.source_db),
                          data, outputs)
    assert "nothing to remove" in _run(cfg, "plr-luigi", "gc").stdout

    client = MlflowClient(tracking_uri=store.tracking_uri)
    experiment = client.get_experiment_by_name("PLR_Classification").experiment_id
    gone = _extracted_run_of_its_own(client, experiment, data / "interim" / "runs")
    client.delete_run(gone)
    retired = outputs / "figures" / "retired_figure.png"
    retired.write_bytes(b"a figure no task draws any more")
    run_folders = [p for p in (data / "interim" / "runs").iterdir() if p.name != gone]
    assert len(run_folders) == store.n_extracted_runs - 1
    assert (data / "interim" / "runs" / gone).is_dir()
    store_before = _files(store_root(store))

    listed = _run(cfg, "plr-luigi", "gc").stdout
    assert listed.splitlines()[1:] == [f"  {data / 'interim' / 'runs' / gone}", f"  {retired}"]
    assert (data / "interim" / "runs" / gone).is_dir() and retired.is_file()  # only listed

    _run(cfg, "plr-luigi", "gc", "--yes")
    assert not (data / "interim" / "runs" / gone).exists() and not retired.exists()
    assert all(folder.is_dir() for folder in run_folders)
    assert _files(store_root(store)) == store_before
    assert "nothing to remove" in _run(cfg, "plr-luigi", "gc").stdout

    # What gc left is what the next build needs: no run is extracted again (the database, the
    # target built from the run folders, is enough to show it).
    log = _run(cfg, "luigi", "--module", "plr_luigi", "database.MergeToDuckDB",
               "--local-scheduler").stderr
    assert "running   extraction.ExtractRun" not in log
    assert "running   database.MergeToDuckDB" in log
