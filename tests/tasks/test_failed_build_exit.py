"""A failed build ends at once (issue 20): with a run that failed extraction the command exits
within seconds of its last task, and `plr-luigi` prints each line once. (A store that cannot be
listed: test_bad_runs.)"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from support.luigi_process import BIN, ROOT, Timing, luigi_env, timed

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("failed_build")]


def _run(args: list[str], cfg: Path) -> tuple[int, Timing, str]:
    with timed() as timing:
        result = subprocess.run(args, cwd=ROOT, env=luigi_env(cfg), capture_output=True,
                                text=True, timeout=600)
    return result.returncode, timing, result.stdout + result.stderr


def test_a_build_with_a_failed_run_exits_30_at_once_and_logs_each_line_once(failed_build,
                                                                            tmp_path):
    # The state a build of a store with a failed run leaves (every output built, the run
    # reported failed): support.three_run_store.
    cfg = failed_build.write_cfg(tmp_path / "plr.cfg")
    build = [str(BIN / "luigi"), "--module", "plr_luigi", "ReproduceAll", "--local-scheduler"]

    # The rebuild has nothing to do but fail AllRunsExtracted again.
    code, timing, log = _run(build, cfg)
    assert code == 30, log[-3000:]
    assert "1 runs failed extraction" in log
    assert "running   report.AllRunsExtracted()" in log
    timing.assert_ends_at_once("the rebuild")

    code, timing, log = _run([str(BIN / "plr-luigi"), "periodic"], cfg)
    assert code == 30, log[-3000:]
    timing.assert_ends_at_once("plr-luigi periodic")
    # Luigi's own lines and this package's, each printed once.
    assert log.count("Done scheduling tasks") == 1, log[-3000:]
    assert log.count("Running Worker with 1 processes") == 1, log[-3000:]
    assert log.count("running   report.AllRunsExtracted()") == 1, log[-3000:]

