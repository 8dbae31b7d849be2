"""Shared fixtures: a real synthetic MLflow store and a real Luigi build of it, each made once
per test run (pytest-xdist's workers share them) and copied for the tests that change them.

The helpers (stores, builds, luigi processes, servers) are in tests/support/.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.events import BuildRecorder
from support.luigi_process import ROOT
from support.settings import build_settings, plr_settings
from support.stores import (
    SMALL_STORE,
    copy_build,
    copy_store,
    load_summary,
    made_once,
    save_summary,
)

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")

# The project's own folders, which no test may write into (they hold a user's builds).
REPOSITORY_FOLDERS = (ROOT / "data", ROOT / "outputs")
TESTS = Path(__file__).resolve().parent
# The test files pytest collected in this session (tests/test_collection.py checks them).
COLLECTED: set[Path] = set()


def pytest_itemcollected(item):
    COLLECTED.add(Path(item.path).resolve())


def whole_suite_collected(config) -> bool:
    """Whether this session collected every test file (it was not asked for some only, nor
    for the last failures: --lf skips whole files)."""
    asked = {Path(arg.split("::")[0]).resolve() for arg in config.args}
    return asked <= {TESTS, ROOT} and not getattr(config.option, "lf", False)


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory) -> Path:
    """A folder of this test run that every process of it sees (each pytest-xdist worker has
    its own base folder inside the run's)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def recorder():
    return BuildRecorder()


@pytest.fixture(scope="session")
def small_store(shared_dir):
    """The small synthetic store, generated once per run and only read: a test that changes
    a store uses private_store."""
    from plr_luigi.synth import generate_store

    def make(folder: Path) -> None:
        save_summary(generate_store(folder / "store", **SMALL_STORE), folder / "summary.json")

    return load_summary(made_once(shared_dir / "small_store", make) / "summary.json")


@pytest.fixture
def private_store(small_store, tmp_path):
    """A copy of the small store that the test may change."""
    return copy_store(small_store, tmp_path / "store")


@pytest.fixture(scope="session")
def build_template(shared_dir, small_store) -> dict:
    """The whole graph built once per run on the small store; never changed, only copied."""
    import json

    from plr_luigi.tasks import ReproduceAll

    def make(folder: Path) -> None:
        with plr_settings(**build_settings(small_store, folder)):
            ran = BuildRecorder().build([ReproduceAll()])
        (folder / "ran.json").write_text(json.dumps(ran))

    folder = made_once(shared_dir / "build", make)
    return {"work": folder, "ran": json.loads((folder / "ran.json").read_text())}


def _copy_of_build(template: dict, store, dest: Path) -> dict:
    settings = copy_build(template["work"], dest, store)
    return {"work": dest, "settings": settings, "ran": template["ran"], "store": store,
            "db": dest / "data" / "public" / "plr_results.duckdb", "outputs": dest / "outputs"}


@pytest.fixture(scope="session")
def built(build_template, small_store, tmp_path_factory):
    """The whole graph built on the small store, shared by the test modules of this process:
    work (its folder), settings ([plr]), ran (task families, as the build ran them), db,
    outputs. A test that changes it restores it; one that needs its own uses built_copy."""
    return _copy_of_build(build_template, small_store, tmp_path_factory.mktemp("build"))


@pytest.fixture
def built_copy(build_template, small_store, tmp_path):
    """A private copy of the finished build (as `built`), of the shared small store."""
    return _copy_of_build(build_template, small_store, tmp_path / "build")


@pytest.fixture
def built_copy_of_private_store(build_template, private_store, tmp_path):
    """A private copy of the finished build and of the store it was built from (`store`)."""
    return _copy_of_build(build_template, private_store, tmp_path / "build")


@pytest.fixture
def con(built):
    import duckdb

    with duckdb.connect(str(built["db"]), read_only=True) as connection:
        yield connection


def _files_in(folders) -> dict[Path, tuple[int, int]]:
    return {path: (path.stat().st_size, path.stat().st_mtime_ns)
            for folder in folders if folder.is_dir()
            for path in folder.rglob("*") if path.is_file()}


@pytest.fixture(scope="session", autouse=True)
def _repository_data_and_outputs_untouched():
    """Tests write into their own folders only: the project's data/ and outputs/ (a user's
    store and builds) are the same at the end of the session as at its start."""
    before = _files_in(REPOSITORY_FOLDERS)
    yield
    after = _files_in(REPOSITORY_FOLDERS)
    changed = sorted(str(p) for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    assert changed == [], f"tests wrote into the repository's data/ or outputs/: {changed}"


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
    from support.servers import free_port

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()
