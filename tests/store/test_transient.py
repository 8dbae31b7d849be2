"""Transient store errors: retried with backoff while the graph is planned; a permanent one
at once; a missing artifact on a tracking server is the run's missing artifact (issue 12)."""

from __future__ import annotations

import re
import threading
import time

import luigi
import pytest
from support.luigi_process import stop
from support.servers import free_port, start_mlflow_server
from support.settings import plr_settings

from plr_luigi.store.mlflow_store import (
    MissingArtifactError,
    StoreError,
    get_run_summary,
    list_runs,
    local_artifact,
)
from plr_luigi.store.transient import call_with_backoff, is_transient

pytestmark = pytest.mark.slow


def test_an_unreachable_server_is_transient_a_missing_experiment_is_not(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # fail fast: this is the test
    with pytest.raises(Exception) as unreachable:
        list_runs(f"http://127.0.0.1:{free_port()}", "PLR_Classification")
    assert is_transient(unreachable.value)
    (tmp_path / "store").mkdir()
    with pytest.raises(StoreError, match="not found") as missing:
        list_runs(str(tmp_path / "store"), "PLR_Classification")
    assert not is_transient(missing.value)


def test_backoff_retries_transient_errors_only_and_gives_up_after_the_last_attempt(caplog):
    calls = []

    def flaky():
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise ConnectionRefusedError("[Errno 111] Connection refused")
        return "runs"

    assert call_with_backoff(flaky, "listing", attempts=4, first_delay=0.05) == "runs"
    assert len(calls) == 3
    waits = [m.split("retrying in ")[1] for m in caplog.messages if "retrying in" in m]
    assert waits == ["0.05 s", "0.1 s"]  # doubled each time
    assert "listing: store unreachable (attempt 1 of 4" in caplog.text

    def refused():
        calls.append(0)
        raise StoreError("experiment 'X' not found")

    calls.clear()
    with pytest.raises(StoreError):
        call_with_backoff(refused, "listing", attempts=4, first_delay=0.05)
    assert len(calls) == 1  # a permanent error is not retried

    def down():
        calls.append(0)
        raise ConnectionRefusedError("down for good")

    calls.clear()
    with pytest.raises(ConnectionRefusedError):
        call_with_backoff(down, "listing", attempts=3, first_delay=0.01)
    assert len(calls) == 3


def test_a_late_tracking_server_is_waited_for_and_its_missing_artifacts_named(
        tmp_path, monkeypatch, caplog):
    """One server (starting one is slow): planning waits for it to come up; then a run on it
    without its metrics pickle is the run's missing artifact, not an HTTP 404."""
    from mlflow.tracking import MlflowClient

    from plr_luigi.synth.design import run_spec
    from plr_luigi.synth.registry import load_levels
    from plr_luigi.tasks.store_listing import run_decisions

    # A store of one classification run, logged with the MLflow API (what is listed is all
    # that matters here: a whole synthetic store is no more listable than one run).
    (tmp_path / "store").mkdir()
    backend = f"sqlite:///{tmp_path}/store/mlflow.db"
    runs = [run_spec(load_levels(), ("LOF", "SAITS", "CatBoost", "simple1.0"), seed=1)]
    store = MlflowClient(tracking_uri=backend)
    logged = store.create_run(store.create_experiment(
        "PLR_Classification", artifact_location=(tmp_path / "store" / "artifacts").as_uri()),
        run_name=runs[0].name)
    store.set_terminated(logged.info.run_id, status="FINISHED")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    port, url = (port := free_port()), f"http://127.0.0.1:{port}"
    servers = []
    late = threading.Timer(1.0, lambda: servers.append(
        start_mlflow_server(tmp_path / "server", port, backend)))
    late.start()
    config = luigi.configuration.get_config()
    try:
        config.set("store_retry", "attempts", "9")  # waits up to 255 s: a loaded machine
        config.set("store_retry", "first_delay_seconds", "1")
        with plr_settings(tracking_uri=url, source_db="", data_dir=str(tmp_path / "data"),
                          output_dir=str(tmp_path / "out")):
            decisions = run_decisions()
        assert [d.run.run_name for d in decisions] == [runs[0].name]
        assert "store unreachable (attempt 1 of 9" in caplog.text

        client = MlflowClient(tracking_uri=url)
        run = client.create_run(client.create_experiment("Other"), run_name=runs[0].name)
        path = f"metrics/metrics_{runs[0].name}.pickle"
        with pytest.raises(MissingArtifactError, match=re.escape(f"artifact {path} is missing")):
            with local_artifact(get_run_summary(url, run.info.run_id), path,
                                tmp_path / "scratch"):
                pass
        assert not list((tmp_path / "scratch").iterdir())  # the download folder was removed
    finally:
        config.remove_section("store_retry")
        late.join()
        for server in servers:
            stop(server)
