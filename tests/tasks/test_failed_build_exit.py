"""A failed build ends at once (issue 20): with a run that failed extraction the command exits
within seconds of its last task, and `plr-luigi` prints each line once. (A store that cannot be
listed: test_bad_runs.)"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from support.luigi_process import BIN, ROOT, Timing, luigi_env, timed, write_luigi_cfg

pytestmark = pytest.mark.slow
# A level no registry knows: the run fails extraction (and AllRunsExtracted the build).
UNKNOWN = "CATBOOST_eval-auc__simple1.0__SAITS__BrandNewDetector"


def _run(args: list[str], cfg: Path) -> tuple[int, Timing, str]:
    with timed() as timing:
        result = subprocess.run(args, cwd=ROOT, env=luigi_env(cfg), capture_output=True,
                                text=True, timeout=600)
    return result.returncode, timing, result.stdout + result.stderr


def _store_with_a_failed_run(tmp: Path):
    from mlflow.tracking import MlflowClient

    from plr_luigi.synth import generate_store
    from plr_luigi.synth.design import run_spec
    from plr_luigi.synth.registry import load_levels

    runs = [run_spec(load_levels(), ("pupil-gt", "pupil-gt", "CatBoost", "simple1.0"), seed=3)]
    store = generate_store(tmp / "store", seed=3, n_bootstrap=20, model_pickle_bytes=1000,
                           runs=runs)
    client = MlflowClient(tracking_uri=store.tracking_uri)
    experiment = client.get_experiment_by_name("PLR_Classification").experiment_id
    bad = client.create_run(experiment, run_name=UNKNOWN, tags={"plr.synthetic": "true"})
    client.set_terminated(bad.info.run_id, "FINISHED")
    return store


def test_a_build_with_a_failed_run_exits_30_at_once_and_logs_each_line_once(tmp_path):
    store = _store_with_a_failed_run(tmp_path)
    cfg = write_luigi_cfg(tmp_path / "plr.cfg", store.tracking_uri, str(store.source_db),
                          tmp_path / "data", tmp_path / "outputs")
    build = [str(BIN / "luigi"), "--module", "plr_luigi", "ReproduceAll", "--local-scheduler"]
    code, _, log = _run(build, cfg)
    assert code == 30, log[-3000:]
    assert "1 runs failed extraction" in log

    # The rebuild has nothing to do but fail AllRunsExtracted again.
    code, timing, log = _run(build, cfg)
    assert code == 30, log[-3000:]
    assert "running   report.AllRunsExtracted()" in log
    timing.assert_ends_at_once("the rebuild")

    code, timing, log = _run([str(BIN / "plr-luigi"), "periodic"], cfg)
    assert code == 30, log[-3000:]
    timing.assert_ends_at_once("plr-luigi periodic")
    # Luigi's own lines and this package's, each printed once.
    assert log.count("Done scheduling tasks") == 1, log[-3000:]
    assert log.count("Running Worker with 1 processes") == 1, log[-3000:]
    assert log.count("running   report.AllRunsExtracted()") == 1, log[-3000:]

