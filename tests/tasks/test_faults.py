"""Faults survived (issue 20, docs/operations.md#faults-survived): luigid or the tracking server
killed mid-extraction, a full disk, SIGTERM to a build, an interim run file damaged on disk.
Each build stops cleanly or repairs itself, and the next build ends with the database of the
template build (an uninterrupted build of the same store), nothing lost.

Where the fault is about extraction or the merge, the build is `database.MergeToDuckDB` of the
small store (not ReproduceAll): the faults hit the part they are about, and each test stays
under half a minute."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import luigi
import pytest
from support.events import task_events
from support.faults import (
    assert_same_database,
    copy_extractions,
    fill,
    run_dirs,
    runs_extracted,
    small_filesystem,
    store_description,
    template_database,
    temporaries,
    wait_for,
    wait_until_gone,
)
from support.luigi_process import finish, run_luigi, start_luigi, stop, write_luigi_cfg
from support.servers import (
    central_args,
    free_port,
    running_luigid,
    start_mlflow_server,
    wait_for_http,
)
from support.settings import luigi_config, plr_settings
from support.stores import serve_artifacts_through_server

from plr_luigi.filesystem.atomic import NoSpaceLeftError
from plr_luigi.filesystem.manifest import content_problem, stat_problem
from plr_luigi.study import schema
from plr_luigi.tasks import ForestPlot, MergeSignals, MergeToDuckDB

pytestmark = pytest.mark.slow
MERGE = "database.MergeToDuckDB"
TASK_FAILED, UNHANDLED_EXCEPTION = 30, 40  # luigi.cfg [retcode]
# Runs left to extract when a fault hits a build (in batches, two at a time).
MISSING = 12


def _cfg(store, work: Path, build_template: dict, tracking_uri: str | None = None) -> Path:
    """The luigi.cfg of a build of store into work where all but MISSING runs were extracted
    (support.faults.copy_extractions)."""
    copy_extractions(build_template["work"], work / "data", MISSING)
    return write_luigi_cfg(work / "plr.cfg", tracking_uri or store.tracking_uri,
                           str(store.source_db), work / "data", work / "outputs")


def _database(work: Path) -> Path:
    return work / "data" / "public" / "plr_results.duckdb"


def _some_extracted(store, work: Path):
    """Whether the build has extracted a first run and has runs left to extract."""
    total = store.n_extracted_runs
    return lambda: total - MISSING < len(run_dirs(work / "data")) < total


def _hold_one_run(store, build_template: dict) -> Callable[[], None]:
    """The metrics pickle of one run the build has left to extract (a private store's) replaced
    by a FIFO, as on a hung mount: that run's extraction blocks in open() until the fault hits,
    so the fault lands mid-extraction however fast the machine extracts the others (without
    it, a loaded machine could finish them all between the poll and the fault). Returns what
    puts the pickle back, for the next build."""
    run_id = sorted(build_template["work"].glob("data/interim/runs/*/*"))[0].parent.name
    [pickle] = Path(store.tracking_uri).glob(f"*/{run_id}/artifacts/metrics/metrics_*.pickle")
    original = pickle.read_bytes()
    pickle.unlink()  # a hard link shared with the template store: that copy is untouched
    os.mkfifo(pickle)

    def release() -> None:
        pickle.unlink()
        pickle.write_bytes(original)

    return release


def test_luigid_killed_mid_extraction_stops_the_workers_and_the_next_build_completes(
        private_store, build_template, tmp_path):
    cfg = _cfg(private_store, tmp_path, build_template)
    release = _hold_one_run(private_store, build_template)
    # Each request to luigid is tried 3 times 1 s apart (luigi.cfg: 5 s, ~20 s to stop).
    cfg.write_text(cfg.read_text().replace("[core]\n", "[core]\nrpc_retry_wait = 1\n"))
    with running_luigid(tmp_path / "luigid") as luigid:
        build = start_luigi(cfg, tmp_path / "log1", MERGE, *central_args(luigid, 2))
        wait_for(_some_extracted(private_store, tmp_path), build, "a first extracted run")
        os.killpg(luigid.proc.pid, signal.SIGKILL)
        luigid.proc.wait(10)
        # The workers give up on luigid after [core] rpc_retry_attempts x rpc_retry_wait, end
        # their task processes and exit: none is left behind, nothing partial is.
        seconds = wait_until_gone(build, timeout=60)
    log1 = (tmp_path / "log1").read_text()
    assert build.returncode == UNHANDLED_EXCEPTION, log1[-3000:]
    assert "when connecting to remote scheduler" in log1
    print(f"the build ended {seconds:.1f} s after luigid")
    assert seconds < 20, f"the build ended {seconds:.1f} s after luigid"
    assert temporaries(tmp_path / "data") == [] and not _database(tmp_path).exists()
    done = len(run_dirs(tmp_path / "data"))

    release()
    with running_luigid(tmp_path / "luigid-again", port=luigid.port) as again:
        rc = finish(start_luigi(cfg, tmp_path / "log2", MERGE, *central_args(again, 2)))
    log2 = (tmp_path / "log2").read_text()
    assert rc == 0, log2[-3000:]
    assert runs_extracted(log2) == private_store.n_extracted_runs - done
    assert_same_database(_database(tmp_path), template_database(build_template))


def test_tracking_server_killed_mid_extraction_runs_retry_and_the_next_build_completes(
        private_store, build_template, tmp_path):
    artifacts = serve_artifacts_through_server(private_store)  # each pickle read over HTTP
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    def serve():
        server = start_mlflow_server(tmp_path / "server", port, private_store.tracking_uri,
                                     artifacts=artifacts)
        wait_for_http(f"{url}/health", server, 120, tmp_path / "server" / "mlflow-server.log")
        return server

    cfg = _cfg(private_store, tmp_path, build_template, tracking_uri=url)
    server = serve()
    try:
        build = start_luigi(cfg, tmp_path / "log1", MERGE, "--local-scheduler", "--workers", "2")
        wait_for(_some_extracted(private_store, tmp_path), build, "a first extracted run")
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)
        down = time.monotonic()
        server = serve()
        print(f"tracking server down for {time.monotonic() - down:.1f} s")
        rc1 = finish(build)
        rc2 = run_luigi(cfg, MERGE, "--local-scheduler").returncode
    finally:
        stop(server)
    log1 = (tmp_path / "log1").read_text()
    print(f"the build during the outage exited {rc1}")
    # Requests in flight met the dead server: MLflow retried them, or the task failed as the
    # store's error and Luigi retried it. Never recorded as the run's bad data: the extraction
    # report (each run's outcome and reason) is the template's.
    assert rc1 in (0, TASK_FAILED), log1[-3000:]
    assert rc2 == 0
    db = _database(tmp_path)
    assert store_description(db) == url
    assert_same_database(db, template_database(build_template), schema.PROV_STORE)


def _make_stale(db: Path) -> None:
    """Give db another inventory digest (as if built from an earlier store): a build rebuilds
    it."""
    with duckdb.connect(str(db)) as con:
        con.execute(f"UPDATE {schema.PROVENANCE.name} SET value = 'earlier' WHERE key = ?",
                    [schema.PROV_INVENTORY_DIGEST])


def _failures_of(tasks: list, settings: dict) -> list:
    """Build tasks in process, once (no retry: the fault would only repeat); the (task,
    exception) of each failure."""
    with plr_settings(**settings), luigi_config("worker", keep_alive="false"), \
            task_events(luigi.Event.FAILURE) as failures:
        luigi.build(tasks, local_scheduler=True)
    return failures


# Room for the previous database and part of a new one: DuckDB runs out of space while it
# writes the rows (into its write-ahead log), or while the final checkpoint writes them into the
# file. A failed checkpoint on close is silent: the database was renamed into place without
# its tables (their rows in a `.wal` left beside it) until the explicit CHECKPOINT of
# results_database.new_database.
@pytest.mark.parametrize(("room", "where"), [(1 / 3, ".wal"), (1.1, "checkpoint")])
def test_a_full_disk_keeps_the_previous_database_and_names_it(built_copy, tmp_path, room, where):
    db = built_copy["db"]
    aside = tmp_path / "public-aside"
    shutil.move(db.parent, aside)
    _make_stale(aside / db.name)
    previous = (aside / db.name).read_bytes()
    with small_filesystem(db.parent, int(len(previous) * (1 + room))):
        shutil.copy2(aside / db.name, db)
        failures = _failures_of([MergeToDuckDB()], built_copy["settings"])
        assert [type(error) for _, error in failures] == [NoSpaceLeftError]
        assert where in str(failures[0][1].__cause__)
        message = str(failures[0][1])
        assert f"no space left on the device of {db}" in message
        assert "MB free of" in message
        assert db.read_bytes() == previous
        assert os.listdir(db.parent) == [db.name]  # no partial database


def test_a_full_disk_keeps_the_previous_figure_and_names_it(built_copy, tmp_path):
    figures = built_copy["outputs"] / "figures"
    task = ForestPlot(factor="outlier_method")
    with plr_settings(**built_copy["settings"]):
        files = {ext: Path(t.path) for ext, t in task.output().items()}
        task.stamp_path().unlink()  # stale: rebuilt
    aside = tmp_path / "figures-aside"
    shutil.move(figures, aside)
    previous = {ext: (aside / path.name).read_bytes() for ext, path in files.items()}
    with small_filesystem(figures, 4 * sum(map(len, previous.values()))):
        for path in files.values():
            shutil.copy2(aside / path.name, path)
        fill(figures, leave_bytes=len(previous["png"]) // 2)
        failures = _failures_of([task], built_copy["settings"])
        assert [type(error) for _, error in failures] == [NoSpaceLeftError]
        assert f"no space left on the device of {files['png']}" in str(failures[0][1])
        assert {ext: path.read_bytes() for ext, path in files.items()} == previous
        assert temporaries(figures) == []
    with plr_settings(**built_copy["settings"]):
        assert not task.stamp_path().exists()  # stale still: the next build draws it


def _blocked_on_the_held_run(store, build_template: dict, work: Path):
    """A two-worker build of store into work that has extracted every run but the held one
    (_hold_one_run), whose read blocks: a fault then lands while a task runs, at a moment the
    test knows. Returns the build's luigi.cfg, its process and what releases the held run."""
    cfg = _cfg(store, work, build_template)
    # One run a task: the held run blocks no other run of its batch.
    cfg.write_text(f"{cfg.read_text()}[extraction]\nbatch_size = 1\n")
    release = _hold_one_run(store, build_template)
    build = start_luigi(cfg, work / "log1", MERGE, "--local-scheduler", "--workers", "2")
    total = store.n_extracted_runs
    wait_for(lambda: len(run_dirs(work / "data")) == total - 1, build,
             "every run extracted but the held one")
    return cfg, build, release


def test_sigterm_stops_a_build_at_once_and_the_next_build_resumes(
        private_store, build_template, tmp_path):
    # (A SIGTERM landing while the scheduling process forks is test_termination's: its
    # exception is raised inside an at-fork callback.)
    cfg, build, release = _blocked_on_the_held_run(private_store, build_template, tmp_path)
    os.kill(build.pid, signal.SIGTERM)  # `kill PID`: the luigi process only
    seconds = wait_until_gone(build, timeout=30)
    log1 = (tmp_path / "log1").read_text()
    assert build.returncode == -signal.SIGTERM, log1[-3000:]
    print(f"the build and its task processes ended {seconds:.1f} s after SIGTERM")
    assert seconds < 10, f"the build and its task processes took {seconds:.1f} s to end"
    assert "SIGTERM: stopping the build" in log1
    # Every task process it forked ended with it, each removing its temporaries.
    done = len(run_dirs(tmp_path / "data"))
    assert private_store.n_extracted_runs - MISSING < done < private_store.n_extracted_runs
    assert temporaries(tmp_path / "data") == [] and not _database(tmp_path).exists()

    release()
    resumed = run_luigi(cfg, MERGE, "--local-scheduler", "--workers", "2")
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    assert runs_extracted(resumed.stdout + resumed.stderr) == \
        private_store.n_extracted_runs - done
    assert_same_database(_database(tmp_path), template_database(build_template))


def test_the_task_processes_end_with_a_build_killed_by_sigkill(
        private_store, build_template, tmp_path):
    """kill -9 of the luigi process alone (an OOM kill, a crash): no Luigi code runs to end
    its task processes, and one blocked on a run whose read hangs went on holding the data
    folder's build lock. Each ends with the build (plr_luigi.tasks.termination: the kernel
    sends it SIGTERM when the build's main thread ends), its temporaries removed, and the next
    build resumes. (Also what ends a task process Luigi was forking when a SIGTERM came.)"""
    cfg, build, release = _blocked_on_the_held_run(private_store, build_template, tmp_path)
    os.kill(build.pid, signal.SIGKILL)  # the luigi process only
    seconds = wait_until_gone(build, timeout=30)
    print(f"the task processes ended {seconds:.1f} s after the build's SIGKILL")
    assert seconds < 10, f"the task processes took {seconds:.1f} s to end"
    assert build.returncode == -signal.SIGKILL
    assert len(run_dirs(tmp_path / "data")) == private_store.n_extracted_runs - 1
    assert temporaries(tmp_path / "data") == [] and not _database(tmp_path).exists()

    release()
    resumed = run_luigi(cfg, MERGE, "--local-scheduler", "--workers", "2")
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    assert runs_extracted(resumed.stdout + resumed.stderr) == 1
    assert_same_database(_database(tmp_path), template_database(build_template))


def _rewrite_keeping_size_and_time(path: Path) -> None:
    """Halve the Brier score of an Arrow run file in place, as a disk or a hand could: same
    size, same modification time, still a valid file of valid values (the merge's validation
    would pass it)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    status = path.stat()
    table = pa.ipc.open_file(pa.BufferReader(path.read_bytes())).read_all()
    essential = table.column(schema.ESSENTIAL.name).combine_chunks()
    rows = essential.flatten()
    changed = pc.multiply(rows.field("brier"), 0.5)
    rows = pa.StructArray.from_arrays(
        [changed if name == "brier" else rows.field(name) for name in rows.type.names],
        names=rows.type.names)
    column = pa.ListArray.from_arrays(essential.offsets, rows)
    table = table.set_column(table.schema.get_field_index(schema.ESSENTIAL.name),
                             table.schema.field(schema.ESSENTIAL.name), column)
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    assert path.stat().st_size == status.st_size
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))


def test_a_damaged_interim_run_file_is_extracted_again_never_merged(
        built_copy, build_template, recorder, caplog):
    data = built_copy["work"] / "data"
    extracted = sorted(d for d in run_dirs(data)
                       if json.loads((d / "record.json").read_text())["outcome"] == "extract")
    truncated, altered = extracted[0] / "tables.arrow", extracted[1] / "tables.arrow"
    half = truncated.stat().st_size // 2
    with open(truncated, "r+b") as fh:
        fh.truncate(half)
    _rewrite_keeping_size_and_time(altered)
    # The cheap check of complete() sees the truncation; only the digest sees the other.
    assert stat_problem(truncated.parent) is not None
    assert stat_problem(altered.parent) is None and content_problem(altered.parent) is not None
    built_copy["db"].unlink()

    with plr_settings(**built_copy["settings"]), caplog.at_level(logging.WARNING):
        ran = recorder.build([MergeToDuckDB()])
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    for path, problem in ((truncated, f"has {half} bytes"), (altered, "differs from its content")):
        run_id = path.parent.parent.name
        assert [w for w in warnings if run_id in w and f"tables.arrow {problem}" in w], warnings
        assert content_problem(path.parent) is None  # extracted again
    # The truncated run's extraction was scheduled (complete() was False); the altered one was
    # extracted again by the merge, before it loaded anything.
    assert ran == ["database.MergeToDuckDB", "extraction.ExtractRun"]
    assert temporaries(data) == []
    assert_same_database(built_copy["db"], template_database(build_template))


def _flip_a_byte_keeping_size_and_time(path: Path) -> None:
    """One byte of the file changed in place, as a failing disk could: same size, same time."""
    status = path.stat()
    with open(path, "r+b") as fh:
        fh.seek(status.st_size // 2)
        byte = fh.read(1)
        fh.seek(status.st_size // 2)
        fh.write(bytes([byte[0] ^ 0xFF]))
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))


def _signal_rows(db: Path) -> dict[str, list]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {table.name: con.execute(f"SELECT * FROM {table.name} ORDER BY ALL").fetchall()
                for table in schema.SIGNAL_TABLES}


def test_a_damaged_signal_file_is_extracted_again_never_merged_into_the_signals(
        built_copy, build_template, recorder, caplog):
    """The private signals database's merge checks the imputation runs' signal files as the
    results database's checks the files it reads: a signal file altered on disk (its size and
    time kept) is found by its digest, its run extracted again, and the database built from
    the intact file."""
    data = built_copy["work"] / "data"
    signals_db = data / "private" / "plr_signals.duckdb"
    [damaged, *_] = sorted((data / "private" / "upstream").glob(
        "PLR_Imputation/*/*/reconstructed_signals.parquet"))
    _flip_a_byte_keeping_size_and_time(damaged)
    assert stat_problem(damaged.parent) is None and content_problem(damaged.parent) is not None
    signals_db.unlink()
    built_copy["db"].unlink()

    with plr_settings(**built_copy["settings"]):
        # The results database's merge does not read the signals: it neither hashes them nor
        # extracts their run again.
        assert recorder.build([MergeToDuckDB()]) == ["database.MergeToDuckDB"]
    assert content_problem(damaged.parent) is not None
    with plr_settings(**built_copy["settings"]), caplog.at_level(logging.WARNING):
        ran = recorder.build([MergeSignals()])
    assert ran == ["database.MergeSignals"]
    run_id = damaged.parent.parent.name
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [w for w in warnings if run_id in w and "reconstructed_signals.parquet differs" in w
            ], warnings
    assert content_problem(damaged.parent) is None  # extracted again
    assert temporaries(data) == []
    assert _signal_rows(signals_db) == _signal_rows(
        build_template["work"] / "data" / "private" / "plr_signals.duckdb")
