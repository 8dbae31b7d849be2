"""Failure alerts: Luigi's own error e-mail, configured as in luigi.cfg's commented [email] /
[smtp] block, reaches a real SMTP server and names the failed task and the error."""

from __future__ import annotations

import pytest
from support.luigi_process import finish, start_luigi, write_luigi_cfg

pytestmark = pytest.mark.slow
UNKNOWN = "CATBOOST_eval-auc__simple1.0__SAITS__BrandNewDetector"


def _add_a_run_with_an_unknown_level(store) -> None:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=store.tracking_uri)
    experiment = client.get_experiment_by_name("PLR_Classification").experiment_id
    run = client.create_run(experiment, run_name=UNKNOWN, tags={"plr.synthetic": "true"})
    client.set_terminated(run.info.run_id, "FINISHED")


def test_a_failed_build_mails_the_task_and_its_error(extracted_copy_of_private_store, tmp_path,
                                                     smtp_server):
    port, inbox = smtp_server
    # A finished build's extraction, then a new run that fails it: the build extracts that run
    # alone, merges, and fails AllRunsExtracted, the task the alert is about (the outputs,
    # which ReproduceAll would rebuild besides, send no alert).
    store, work = (extracted_copy_of_private_store[k] for k in ("store", "work"))
    _add_a_run_with_an_unknown_level(store)
    cfg = write_luigi_cfg(tmp_path / "plr.cfg", store.tracking_uri, str(store.source_db),
                          work / "data", work / "outputs")
    with open(cfg, "a") as fh:  # the block luigi.cfg documents, uncommented
        fh.write(f"\n[email]\nreceiver = plr-team@example.org\nsender = plr-luigi@example.org\n"
                 f"method = smtp\n[smtp]\nhost = 127.0.0.1\nport = {port}\n")
    log = tmp_path / "build.log"
    # Not a terminal (output goes to a file), so Luigi sends without force_send.
    rc = finish(start_luigi(cfg, log, "report.AllRunsExtracted", "--local-scheduler",
                            "--no-lock"))

    assert rc == 30, log.read_text()[-3000:]  # [retcode] task_failed
    assert inbox.messages, log.read_text()[-3000:]
    alert = inbox.messages[0]
    assert "report.AllRunsExtracted" in alert["Subject"] and "FAILED" in alert["Subject"]
    assert alert["To"] == "plr-team@example.org"
    body = alert.get_body(preferencelist=("plain", "html")).get_content()
    assert "1 runs failed extraction" in body
    assert UNKNOWN in body and "BrandNewDetector" in body
