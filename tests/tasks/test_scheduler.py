"""Central scheduler: real luigid, several workers, two worker processes, the visualiser."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.luigi_process import ROOT, add_plr_options, finish, start_luigi, write_luigi_cfg
from support.servers import (
    Luigid,
    assert_each_task_did_its_work_once,
    central_args,
    free_port,
    running_luigid,
    tasks_run,
)
from support.settings import DRAFT_FIGURES, plr_settings
from support.stages import ROOT_TASK, STAGES
from support.three_run_store import three_run_store

from plr_luigi.task_graph.status import walk_graph, would_run
from plr_luigi.tasks import NumbersTex, ReproduceAll

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("luigid_build")]
ALREADY_RUNNING, NOT_RUN = 10, 25  # luigi.cfg [retcode]
# What the two worker processes build: the extractions, the merge, the interpretation (whose
# ShapForConfig tasks are dynamic dependencies) and an output of the stages above them. The rest
# of ReproduceAll's graph is more outputs, scheduled alike (test_a_build_with_several_workers
# builds it all); each process blocks on the other's tasks here as it would there.
TWO_PROCESS_ROOT = NumbersTex
# The workers of the shared build (luigid_build).
BUILD_WORKERS = 3


@pytest.fixture(scope="module")
def store(shared_dir, tmp_path_factory):
    """A store of three runs, one of them explained (support.three_run_store): what these tests
    check is how the tasks of a build are scheduled, which the number of runs does not change.
    Only read; its tests share one xdist_group, so that it is copied once."""
    return three_run_store(shared_dir, tmp_path_factory.mktemp("three_runs") / "store")


def _build_cfg(store, tmp: Path) -> Path:
    """The build of store into tmp/data and tmp/outputs, its figures drafted
    (support.settings.DRAFT_FIGURES): what is scheduled and run is the same. One run an
    extraction task: luigid then lists exactly the tasks of the walked graph (a batch is an
    entry of its own, shown BATCH_RUNNING, beside the tasks it runs)."""
    cfg = add_plr_options(write_luigi_cfg(tmp / "plr.cfg", store.tracking_uri,
                                          str(store.source_db), tmp / "data", tmp / "outputs"),
                          **DRAFT_FIGURES)
    cfg.write_text(f"{cfg.read_text()}[extraction]\nbatch_size = 1\n")
    return cfg


@pytest.fixture
def build_cfg(store, tmp_path) -> Path:
    return _build_cfg(store, tmp_path)


@pytest.fixture(scope="module")
def luigid_build(store, tmp_path_factory) -> dict:
    """One build of ReproduceAll by three workers reporting to a real luigid, watched in the
    visualiser (when chromium is there) while it runs and after it: the build the tests that
    only look at one share. tmp (its folder), log, rc, luigid's tasks (done, everything),
    and the visualiser's screenshot and DOMs (dom_during, dom_after)."""
    tmp = tmp_path_factory.mktemp("luigid_build")
    cfg = _build_cfg(store, tmp)
    seen = {"tmp": tmp, "log": tmp / "build.log", "screenshot": tmp / "luigid_screenshot.png"}
    with running_luigid(tmp / "luigid") as luigid:
        page = f"{luigid.url}/static/visualiser/index.html"
        build = start_luigi(cfg, seen["log"], "ReproduceAll",
                            *central_args(luigid, BUILD_WORKERS))
        try:
            if CHROMIUM is not None:
                deadline = time.monotonic() + 120
                while not luigid.tasks("RUNNING") and time.monotonic() < deadline:
                    time.sleep(0.2)
                # One chromium both draws the page and prints its DOM, at the same moment.
                during = _chromium(tmp, page, f"--screenshot={seen['screenshot']}", "--dump-dom")
                seen["screenshot_stderr"], seen["dom_during"] = during.stderr, during.stdout
        finally:
            seen["rc"] = finish(build)
        if CHROMIUM is not None:
            seen["dom_after"] = _chromium(tmp, page, "--dump-dom").stdout
        seen["done"], seen["everything"] = luigid.tasks("DONE"), luigid.tasks()
    return seen


def _expected_graph(store, tmp_path, root=ReproduceAll) -> dict[str, str]:
    """task_id -> family of every task a build of root schedules, walked from the same
    settings as the build (before it runs: the walk lists the store, it builds nothing)."""
    with plr_settings(tracking_uri=store.tracking_uri, source_db=str(store.source_db),
                      data_dir=str(tmp_path / "data"), output_dir=str(tmp_path / "outputs")):
        graph = walk_graph(root())
    return {task_id: graph.family(task_id) for task_id in graph.tasks}


def _explained_configurations(tmp_path) -> int:
    """How many ShapForConfig tasks the build ran: MergeInterpretation yields them as dynamic
    dependencies (picked from the results database), which a walk before the build cannot
    see; one per configuration of the interpretation database's report."""
    import duckdb

    from plr_luigi.study import schema

    path = tmp_path / "data" / "public" / "plr_interpretation.duckdb"
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(f"SELECT count(*) FROM {schema.SHAP_REPORT.name}").fetchone()[0]


def _names(tasks: dict[str, dict]) -> set[str]:
    return {task["name"] for task in tasks.values()}


def test_a_build_with_several_workers_reports_to_luigid(store, luigid_build):
    tmp_path, log = luigid_build["tmp"], luigid_build["log"]
    assert luigid_build["rc"] == 0, log.read_text()[-3000:]
    done, everything = luigid_build["done"], luigid_build["everything"]

    expected = _expected_graph(store, tmp_path)
    explained = _explained_configurations(tmp_path)
    assert explained > 0
    assert len(done) == len(everything) == len(expected) + explained
    assert {t["name"] for t in done.values()} == {*expected.values(),
                                                  "interpretation.ShapForConfig"}
    assert_each_task_did_its_work_once(tasks_run(log), done)
    # luigid names each task by its family, stage first: what its visualiser groups them by.
    assert {name.partition(".")[0] for name in _names(done) if "." in name} == STAGES
    assert {name for name in _names(done) if "." not in name} == {ROOT_TASK}
    # Progress shows in luigid: every extraction and the merge left a status message.
    by_family: dict[str, list[dict]] = {}
    for task in done.values():
        by_family.setdefault(task["name"], []).append(task)
    assert all(t["status_message"] for t in by_family["extraction.ExtractRun"])
    assert "RSS" in by_family["database.MergeToDuckDB"][0]["status_message"]
    for task in done.values():
        if task.get("progress_percentage") is not None:
            assert 0 <= task["progress_percentage"] <= 100
    # The shared resources luigi.cfg declares are what the scheduler enforced.
    assert by_family["database.MergeToDuckDB"][0]["resources"] == {"duckdb_writer": 1}
    assert all(t["resources"] == {"store_reader": 1} for t in by_family["extraction.ExtractRun"])


def test_two_worker_processes_share_one_luigid_and_run_each_task_once(
        store, build_cfg, tmp_path):
    with running_luigid(tmp_path / "luigid") as luigid:
        logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
        procs = [start_luigi(build_cfg, log, TWO_PROCESS_ROOT.get_task_family(),
                             *central_args(luigid, 2)) for log in logs]
        codes = [finish(proc) for proc in procs]
        done = luigid.tasks("DONE")

    # Each process's exit code tells its own view: 10 (already_running) when the other one ran
    # some of its tasks, 25 (not_run) when the scheduler gave a task to the other; never a
    # failure. The graph as a whole is complete.
    assert set(codes) <= {0, ALREADY_RUNNING, NOT_RUN}, [log.read_text()[-2000:] for log in logs]
    with plr_settings(tracking_uri=store.tracking_uri, source_db=str(store.source_db),
                      data_dir=str(tmp_path / "data"), output_dir=str(tmp_path / "outputs")):
        assert would_run(walk_graph(TWO_PROCESS_ROOT())) == []

    assert len(done) == (len(_expected_graph(store, tmp_path, TWO_PROCESS_ROOT))
                         + _explained_configurations(tmp_path))
    assert_each_task_did_its_work_once(tasks_run(*logs), done)
    # Which process does which task depends on timing (the data folder's build lock can hold
    # the second one until the work is done): what matters is that each task did its work once.
    # On disk: one directory per extracted run, each written once (no concurrent extraction).
    records = list((tmp_path / "data" / "interim" / "runs").glob("*/*/record.json"))
    assert len(records) == store.n_extracted_runs
    assert "extracted concurrently" not in "".join(log.read_text() for log in logs)
    assert (tmp_path / "data" / "public" / "plr_results.duckdb").is_file()


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
_ROW = re.compile(r'<tr role="row"[^>]*><td><span class="status-icon[^"]*"><i[^>]*></i></span>'
                  r"\s*(\w+)</td><td>([\w.]+)</td>")
# The sidebar's task families, in one folder per namespace (the part before the first dot; the
# folder shown open has class "sidebar-folder expanded"); not the page's mustache template.
_FOLDER = re.compile(r'class="sidebar-folder[^"]*"[^>]*>([^<{]+)</a>\s*<ul[^>]*>(.*?)</ul>',
                     re.DOTALL)
_FOLDER_TASK = re.compile(r'data-task="([^"]+)"')
_BOX_TEXT = re.compile(r'class="info-box-text"[^>]*>([^<]+)<')
_BOX_NUMBER = re.compile(r'class="info-box-number"[^>]*>(\d+)<')


def _chromium(tmp: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    profile = tmp / f"chromium-profile-{time.monotonic_ns()}"
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", "--virtual-time-budget=5000",
         "--window-size=1400,1000", *args, url],
        capture_output=True, text=True, timeout=90, cwd=tmp)


def _visualiser(dom: str) -> tuple[dict[str, int], list, dict[str, list[str]]]:
    """The rendered visualiser (its DOM, as chromium dumped it): its status counts, the task
    rows of the first page and the sidebar's folders (folder -> its task families)."""
    counts = dict(zip(_BOX_TEXT.findall(dom), map(int, _BOX_NUMBER.findall(dom)), strict=True))
    folders = {name.strip(): _FOLDER_TASK.findall(body) for name, body in _FOLDER.findall(dom)}
    return counts, _ROW.findall(dom), folders


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium (make test-deps installs it as root)")
def test_the_visualiser_shows_our_tasks_during_and_after_a_build(store, luigid_build):
    tmp_path, screenshot = luigid_build["tmp"], luigid_build["screenshot"]
    assert luigid_build["rc"] == 0, luigid_build["log"].read_text()[-3000:]
    assert screenshot.is_file() and screenshot.stat().st_size > 10_000, \
        luigid_build["screenshot_stderr"][-2000:]
    during, rows_during, _ = _visualiser(luigid_build["dom_during"])
    after, rows_after, folders = _visualiser(luigid_build["dom_after"])

    expected = _expected_graph(store, tmp_path)
    n = len(expected) + _explained_configurations(tmp_path)
    # During the build luigid may not know the dynamic ShapForConfig tasks yet, and the page
    # asks luigid for each status's tasks in turn (luigi.js: one task_list request per status):
    # a worker's task that moves on between two of those requests (done, and its next one
    # started) is counted twice or not at all, by up to two moves per worker.
    moved = 2 * BUILD_WORKERS
    shown = sum(during[k] for k in ("Pending Tasks", "Running Tasks", "Done Tasks"))
    assert len(expected) - moved <= shown <= n + moved, (during, len(expected), n)
    assert rows_during and {family for _, family in rows_during} <= {*expected.values(),
                                                                     "interpretation.ShapForConfig"}
    assert {status for status, _ in rows_during} <= {"PENDING", "RUNNING", "DONE"}
    assert after["Done Tasks"] == n and after["Failed Tasks"] == 0, after
    assert {status for status, _ in rows_after} == {"DONE"}
    # first page: 10 rows, extraction tasks among them (ExtractUpstreamRun sorts first)
    assert {"extraction.ExtractRun", "extraction.ExtractUpstreamRun"} & \
        {family for _, family in rows_after}
    # The sidebar groups the families by stage; only the root, without one, is in "Others".
    assert sorted(folders) == sorted([*STAGES, "Others"]), folders
    assert folders["Others"] == [ROOT_TASK]
    assert {(stage, family.partition(".")[0]) for stage in STAGES for family in folders[stage]} \
        == {(stage, stage) for stage in STAGES}
    assert sorted(f for families in folders.values() for f in families) == \
        sorted({*expected.values(), "interpretation.ShapForConfig"})


def _make(*args: str) -> subprocess.CompletedProcess:
    # -o install: use this venv as it is (never reinstall from a test).
    return subprocess.run(["make", "-s", "-o", "install", f"VENV={sys.prefix}", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_make_scheduler_keeps_its_state_across_a_stop_and_a_start(tmp_path):
    port, folder = free_port(), tmp_path / "luigid"
    flags = (f"SCHEDULER_PORT={port}", f"LUIGID_DIR={folder}")
    luigid = Luigid(port, None, folder / "state.pickle")
    probe = {"task_id": "StateProbe__1", "status": "DONE", "worker": "test", "family": "StateProbe"}
    try:
        started = _make("scheduler", *flags)
        assert started.returncode == 0, started.stderr
        assert (folder / "luigid.pid").is_file() and (folder / "log").is_dir()
        luigid.api("add_task", **probe)
        stopped = _make("scheduler-stop", *flags)
        assert stopped.returncode == 0 and "state in" in stopped.stdout, stopped.stderr
        assert luigid.state_path.stat().st_size > 0 and not (folder / "luigid.pid").exists()
        with pytest.raises(OSError):
            luigid.api("task_list")
        assert _make("scheduler", *flags).returncode == 0
        assert "StateProbe__1" in luigid.tasks("DONE")  # the saved state was reloaded
    finally:
        _make("scheduler-stop", *flags)
        pid = folder / "luigid.pid"
        if pid.is_file():  # scheduler-stop failed: do not leave a daemon behind
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid.read_text()), signal.SIGKILL)
