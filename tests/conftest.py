"""Shared fixtures: real synthetic MLflow stores and real Luigi builds with [plr] overridden."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import luigi
import pytest

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")

# Small but complete: every quirk, the standard pipelines, 60 bootstrap iterations.
SMALL_STORE = {"size": "demo", "seed": 3, "n_runs": 24, "n_bootstrap": 60,
               "model_pickle_bytes": 50_000}


def write_luigi_cfg(path: Path, tracking_uri: str, source_db: str, data_dir: Path,
                    output_dir: Path) -> Path:
    """A config file for `luigi` subprocesses (read after the project's luigi.cfg)."""
    path.write_text(f"[plr]\ntracking_uri = {tracking_uri}\nsource_db = {source_db}\n"
                    f"data_dir = {data_dir}\noutput_dir = {output_dir}\n")
    return path


@contextlib.contextmanager
def luigi_config(section: str, **values):
    """Set options of one luigi.cfg section for the block, then restore what was there."""
    config = luigi.configuration.get_config()
    previous = {k: config.get(section, k, None) for k in values}
    for key, value in values.items():
        config.set(section, key, str(value))
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                config.remove_option(section, key)
            else:
                config.set(section, key, value)


@contextlib.contextmanager
def plr_settings(**values: str):
    """Override [plr] settings for in-process builds, restoring them afterwards."""
    from plr_luigi.tasks.store_listing import clear_run_decisions_cache

    config = luigi.configuration.get_config()
    previous = {k: config.get("plr", k, None) for k in values}
    for key, value in values.items():
        config.set("plr", key, str(value))
    clear_run_decisions_cache()
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                config.remove_option("plr", key)
            else:
                config.set("plr", key, value)
        clear_run_decisions_cache()


class BuildRecorder:
    """Task families that ran successfully, via Luigi's own events (single worker, in process)."""

    def __init__(self):
        self.ran: list[str] = []
        luigi.Task.event_handler(luigi.Event.SUCCESS)(self._record)

    def _record(self, task):
        self.ran.append(task.task_family)

    def build(self, tasks, **kwargs) -> list[str]:
        self.ran = []
        result = luigi.build(tasks, local_scheduler=True, detailed_summary=True, **kwargs)
        assert result.scheduling_succeeded, result.summary_text
        return sorted(self.ran)


@pytest.fixture(scope="session")
def recorder():
    return BuildRecorder()


@pytest.fixture(scope="session")
def small_store(tmp_path_factory):
    from plr_luigi.synth import generate_store

    return generate_store(tmp_path_factory.mktemp("small_store"), **SMALL_STORE)


@pytest.fixture(scope="session")
def built(small_store, recorder, tmp_path_factory):
    """The whole graph built once on the small store, shared by the test modules (one real
    build instead of one per module keeps the suite fast)."""
    from plr_luigi.tasks import ReproduceAll

    work = tmp_path_factory.mktemp("build")
    settings = dict(tracking_uri=small_store.tracking_uri, source_db=str(small_store.source_db),
                    data_dir=str(work / "data"), output_dir=str(work / "outputs"))
    with plr_settings(**settings):
        ran = recorder.build([ReproduceAll()])
    return {"work": work, "settings": settings, "ran": ran,
            "db": work / "data" / "public" / "plr_results.duckdb",
            "outputs": work / "outputs"}


@pytest.fixture
def con(built):
    import duckdb

    with duckdb.connect(str(built["db"]), read_only=True) as connection:
        yield connection


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self):
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 -- aiosmtpd's hook
        import email
        import email.policy

        self.messages.append(email.message_from_bytes(envelope.content,
                                                      policy=email.policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    """A local SMTP server: (port, inbox) of the failure alerts a build sends."""
    from aiosmtpd.controller import Controller
    from servers import free_port

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()
