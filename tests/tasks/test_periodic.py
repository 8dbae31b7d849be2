"""Periodic builds (issue 12): the cron line and the systemd units of deploy/, run as written
(paths replaced): an overlapping invocation exits at once and touches nothing, a new run costs
only its own work, a failure alerts once per failure, not once per period."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from support.luigi_process import BIN, ROOT
from support.three_run_store import CONFIGS, UNKNOWN

from plr_luigi.cli.periodic import ALERT_STATE_NAME, try_periodic_lock

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("failed_build")]
DEPLOY = ROOT / "deploy"
NEW = "XGBOOST_eval-auc__simple1.0__SAITS__LOF"  # not in support.three_run_store.CONFIGS


class Recipe:
    """The commands of deploy/cron and deploy/systemd with their /srv paths made this test's."""

    def __init__(self, cfg: Path, tmp: Path):
        self.cfg, self.log = cfg, tmp / "periodic.log"

    def _local(self, text: str) -> str:
        here = {"/srv/plr_luigi/.venv/bin/": f"{BIN}/", ".venv/bin/": f"{BIN}/",
                "/srv/plr_luigi": str(ROOT), "/srv/plr/real.cfg": str(self.cfg),
                "/srv/plr/periodic.log": str(self.log)}
        # One pass, longest placeholder first: a replacement is never replaced again.
        pattern = "|".join(map(re.escape, sorted(here, key=len, reverse=True)))
        return re.sub(pattern, lambda m: here[m.group(0)], text)

    def cron(self) -> int:
        line = next(line for line in (DEPLOY / "cron" / "plr-luigi.cron").read_text().splitlines()
                    if line.strip() and not line.startswith("#"))
        command = self._local(line.split(None, 5)[5])  # after the five time fields
        return subprocess.run(["sh", "-c", command], env=_clean_env(), timeout=300).returncode

    def systemd(self) -> int:
        unit = (DEPLOY / "systemd" / "plr-luigi.service").read_text()
        field = {k: self._local(v) for k, v in re.findall(r"^(\w+)=(.*)$", unit, re.MULTILINE)}
        name, value = field["Environment"].split("=", 1)
        with open(self.log, "a") as out:
            return subprocess.run(field["ExecStart"].split(), cwd=field["WorkingDirectory"],
                                  env={**_clean_env(), name: value}, stdout=out,
                                  stderr=subprocess.STDOUT, timeout=300).returncode

    def new_lines(self, since: int) -> str:
        return self.log.read_text()[since:]

    def size(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0


def _clean_env() -> dict[str, str]:
    # What cron and systemd give a command: no LUIGI_CONFIG_PATH or MLflow setting of ours.
    return {k: v for k, v in os.environ.items()
            if k not in ("LUIGI_CONFIG_PATH", "MLFLOW_ALLOW_FILE_STORE")}


def _log_new_run(store, tmp: Path) -> None:
    """A run of a configuration the store lacks, with a real metrics pickle (a template's)."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=store.tracking_uri)
    experiment = client.get_experiment_by_name("PLR_Classification").experiment_id
    template = CONFIGS[1]
    [source] = Path(store.tracking_uri).glob(
        f"*/*/artifacts/metrics/metrics_CATBOOST_eval-auc__simple1.0__{template[1]}__"
        f"{template[0]}.pickle")
    copy = tmp / f"metrics_{NEW}.pickle"
    shutil.copy(source, copy)
    run = client.create_run(experiment, run_name=NEW, tags={"plr.synthetic": "true"})
    client.log_param(run.info.run_id, "glaucomaParam_prevalence", "0.0354")
    client.log_artifact(run.info.run_id, str(copy), artifact_path="metrics")
    client.set_terminated(run.info.run_id, "FINISHED")


def test_the_cron_and_systemd_recipes(failed_build, tmp_path, smtp_server):
    from mlflow.tracking import MlflowClient

    port, inbox = smtp_server
    # A store with a run of an unknown level, built once already (support.three_run_store).
    store, bad_run = failed_build.store, failed_build.bad_run
    client = MlflowClient(tracking_uri=store.tracking_uri)
    data, outputs = failed_build.data, failed_build.outputs
    # The operator's settings; the rebuilds' figures drafted as the failed build's (what is
    # checked is the recipes' exit codes, log and alerts, never the pixels).
    cfg = failed_build.write_cfg(tmp_path / "real.cfg")
    with open(cfg, "a") as fh:
        fh.write(f"\n[email]\nreceiver = plr-team@example.org\nsender = plr@example.org\n"
                 f"method = smtp\n[smtp]\nhost = 127.0.0.1\nport = {port}\n")
    recipe = Recipe(cfg, tmp_path)
    assert "SuccessExitStatus=10" in (DEPLOY / "systemd" / "plr-luigi.service").read_text()
    assert "OnCalendar=" in (DEPLOY / "systemd" / "plr-luigi.timer").read_text()

    # 1. The first periodic build fails on the unknown level: one alert naming the run.
    assert recipe.cron() == 30, recipe.new_lines(0)[-3000:]
    assert len(inbox.messages) == 1
    alert = inbox.messages[0]
    assert "periodic build FAILED" in alert["Subject"]
    assert UNKNOWN in alert.get_body(preferencelist=("plain",)).get_content()

    # 2. The next period: the same failure, no second alert.
    mark = recipe.size()
    assert recipe.systemd() == 30
    assert "alerted then, not again" in recipe.new_lines(mark)
    assert len(inbox.messages) == 1

    # 3. An invocation while one runs exits at once, saying so, and writes nothing.
    before = {p: p.stat().st_mtime_ns for p in outputs.rglob("*")}
    lock = try_periodic_lock(data)
    try:
        mark, started = recipe.size(), time.monotonic()
        assert recipe.cron() == 10
        assert time.monotonic() - started < 30  # an import of luigi, not a build
        assert "is still running" in recipe.new_lines(mark)
    finally:
        os.close(lock)
    assert {p: p.stat().st_mtime_ns for p in outputs.rglob("*")} == before

    # 4. A new run: the next invocation extracts it alone; the failure is still the old one.
    _log_new_run(store, tmp_path)
    mark = recipe.size()
    assert recipe.systemd() == 30
    extracted = set(re.findall(r"running\s+(extraction\.ExtractRun\([^)]*\))",
                               recipe.new_lines(mark)))
    assert len(extracted) == 1, recipe.new_lines(mark)[-3000:]
    assert len(inbox.messages) == 1

    # 5. Fixed (the run deleted): success forgets the alert; failing again alerts again.
    client.delete_run(bad_run)
    assert recipe.cron() == 0
    assert not (data / ALERT_STATE_NAME).exists()
    client.restore_run(bad_run)
    assert recipe.cron() == 30
    assert len(inbox.messages) == 2
