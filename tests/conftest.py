"""Shared fixtures: a real synthetic MLflow store and a real Luigi build of it, each made once
per test run (pytest-xdist's workers share them) and copied for the tests that change them.

The helpers (stores, builds, luigi processes, servers) are in tests/support/.
"""

from __future__ import annotations

import os

# One BLAS thread per process: the suite runs one process per core (pytest-xdist) beside the
# builds and servers it starts, so a BLAS pool of one thread per core only oversubscribes the
# cores, its idle threads spinning on them (a build of the small store: 13 % more CPU under
# the suite's load). Set before numpy is first imported; inherited by every subprocess.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from support import templates
from support.events import BuildRecorder
from support.luigi_process import ROOT, luigi_env, stop
from support.scratch import tmpfs_folder
from support.settings import build_settings
from support.stores import (
    check_shared_files_unchanged,
    copy_build,
    copy_store,
    shared_files,
)
from support.three_run_store import copy_failed_build, failed_build_template

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")

# The project's own folders, which no test may write into (they hold a user's builds).
REPOSITORY_FOLDERS = (ROOT / "data", ROOT / "outputs")
TESTS = Path(__file__).resolve().parent
# The test files pytest collected in this session (tests/test_collection.py checks them).
COLLECTED: set[Path] = set()
_TEMPLATES_PROCESS: subprocess.Popen | None = None


def pytest_configure(config):
    """The run's temporary folders on a tmpfs when there is one with room (support.scratch
    says why), unless --basetemp or TMPDIR names a place. TMPDIR is inherited by the
    pytest-xdist workers and by every process a test starts."""
    if config.option.basetemp is None and "TMPDIR" not in os.environ:
        folder = tmpfs_folder()
        if folder is not None:
            os.environ["TMPDIR"] = str(folder)
            tempfile.tempdir = None  # gettempdir() reads TMPDIR again


def pytest_report_header(config):
    return f"temporary folders: {tempfile.gettempdir()}"


def pytest_itemcollected(item):
    COLLECTED.add(Path(item.path).resolve())


def _needs_templates(item) -> bool:
    return bool(set(templates.FIXTURES) & set(getattr(item, "fixturenames", ())))


@pytest.hookimpl(trylast=True)  # after pytest-xdist's own (see _name_xdist_groups)
def pytest_collection_modifyitems(config, items):
    """The tests that need the shared store or build run after the others (the order is the
    same in every pytest-xdist worker), so that the background process making them
    (pytest_collection_finish) has time to."""
    items.sort(key=_needs_templates)
    if getattr(config.option, "loadgroup", False):  # a pytest-xdist worker of --dist loadgroup
        _name_xdist_groups(items)


def _name_xdist_groups(items) -> None:
    """Each test marked xdist_group gets its group as the suffix of its node id ("...@group"),
    by which `--dist loadgroup` sends a group to one worker. pytest-xdist 3.8 writes the suffix
    into a field pytest 9.2 no longer reads (its node ids are structured: pytest-xdist issue
    1386), so every group was spread over the workers, each building the group's shared
    module-scoped store or build again. Done here until pytest-xdist does it (then the suffix is
    there already)."""
    from _pytest.nodeid import NodeId

    for item in items:
        groups = sorted({str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                         for mark in item.iter_markers("xdist_group")})
        if groups and item.nodeid.rfind("@") <= item.nodeid.rfind("]"):  # xdist's own test
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(groups)}")


def pytest_collection_finish(session):
    """Starts making the shared store and build in the background, in one process of the run,
    when a collected test needs them. A test that needs them first waits for them (or, if
    this process failed, makes them itself and shows why)."""
    global _TEMPLATES_PROCESS
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    needed = [name for name in templates.FIXTURES
              if any(name in getattr(item, "fixturenames", ()) for item in session.items)]
    if worker != "gw0" or session.config.option.collectonly or not needed:
        return
    # pytest's own tmp_path_factory (the fixture is not available to hooks).
    shared = _shared_dir(session.config._tmp_path_factory)
    env = {**luigi_env(None), "PYTHONPATH": str(TESTS)}
    with open(shared / "templates.log", "w") as log:
        _TEMPLATES_PROCESS = subprocess.Popen(
            [sys.executable, "-m", "support.templates", str(shared), needed[-1]], cwd=ROOT,
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def pytest_sessionfinish(session, exitstatus):
    if _TEMPLATES_PROCESS is None:
        return
    try:
        if exitstatus != pytest.ExitCode.INTERRUPTED:
            _TEMPLATES_PROCESS.wait(1800)  # another worker may still be waiting for it
    finally:
        stop(_TEMPLATES_PROCESS)


def whole_suite_collected(config) -> bool:
    """Whether this session collected every test file (it was not asked for some only, nor
    for the last failures: --lf skips whole files)."""
    asked = {Path(arg.split("::")[0]).resolve() for arg in config.args}
    return asked <= {TESTS, ROOT} and not getattr(config.option, "lf", False)


def _shared_dir(tmp_path_factory) -> Path:
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory) -> Path:
    """A folder of this test run that every process of it sees (each pytest-xdist worker has
    its own base folder inside the run's)."""
    return _shared_dir(tmp_path_factory)


@pytest.fixture(scope="session")
def recorder():
    return BuildRecorder()


@pytest.fixture(scope="session")
def small_store(shared_dir):
    """The small synthetic store, generated once per run and only read: a test that changes
    a store uses private_store."""
    return templates.small_store(shared_dir)


@pytest.fixture
def private_store(small_store, tmp_path):
    """A copy of the small store that the test may change (a large artifact is replaced, not
    written into: support.stores.replace_file)."""
    copy = copy_store(small_store, tmp_path / "store")
    shared = shared_files(tmp_path / "store")
    yield copy
    check_shared_files_unchanged(shared)


@pytest.fixture(scope="session")
def build_template(shared_dir) -> dict:
    """The whole graph built once per run on the small store; never changed, only copied."""
    return templates.build_template(shared_dir)


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


def _copy_of_data(template: dict, store, dest: Path) -> dict:
    """The finished build's data/ (extracted runs, databases, the subject lookup) copied to
    dest/data as the build of store; no outputs/ (a test building a narrower target than
    ReproduceAll, or rebuilding the outputs anyway, needs none)."""
    shutil.copytree(template["work"] / "data", dest / "data", symlinks=True)
    return {"work": dest, "settings": build_settings(store, dest), "store": store,
            "db": dest / "data" / "public" / "plr_results.duckdb", "outputs": dest / "outputs"}


@pytest.fixture
def extracted_copy(build_template, small_store, tmp_path):
    """The finished build's data/ (as `built` has it) without its outputs, of the shared small
    store (only read)."""
    return _copy_of_data(build_template, small_store, tmp_path / "build")


@pytest.fixture
def extracted_copy_of_private_store(build_template, private_store, tmp_path):
    """The finished build's data/ without its outputs, and a copy of the store it was built
    from (`store`), both the test's own."""
    return _copy_of_data(build_template, private_store, tmp_path / "build")


@pytest.fixture
def failed_build(shared_dir, tmp_path):
    """A copy of the failed build of a three-run store with a run that fails extraction
    (support.three_run_store), store and build the test's own. Its tests share one xdist_group,
    so that none waits idle while another process makes the template."""
    return copy_failed_build(failed_build_template(shared_dir), tmp_path)


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
