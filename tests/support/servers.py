"""Real servers for tests, on 127.0.0.1 and free ports, always stopped: luigid and an MLflow
tracking server; what `luigi` builds pointed at luigid did, from their logs."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from support.luigi_process import BIN, ROOT, luigi_env, stop

# "[pid 123] Worker Worker(salt=..., host=..., pid=...) running   extraction.ExtractRun(run_id=...)"
_RUNNING = re.compile(r"Worker Worker\(.*?\) running\s+(\S.*?)\s*$", re.MULTILINE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, proc: subprocess.Popen, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {proc.returncode}:\n"
                               f"{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


@dataclass
class Luigid:
    port: int
    proc: subprocess.Popen | None  # None: a daemon started by `make scheduler`
    state_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, method: str, **data) -> dict:
        query = urllib.parse.urlencode({"data": json.dumps(data)})
        with urllib.request.urlopen(f"{self.url}/api/{method}?{query}", timeout=10) as resp:
            return json.loads(resp.read())["response"]

    def tasks(self, status: str | None = None) -> dict[str, dict]:
        if status is not None:
            return self.api("task_list", status=status, upstream_status="")
        found: dict[str, dict] = {}
        for name in ("PENDING", "RUNNING", "DONE", "FAILED", "DISABLED"):
            found.update(self.api("task_list", status=name, upstream_status=""))
        return found


@contextlib.contextmanager
def running_luigid(tmp: Path, port: int | None = None) -> Iterator[Luigid]:
    """luigid started from the project folder (it reads luigi.cfg: [resources], [scheduler]), on
    port (a free one unless given: a restarted luigid keeps its predecessor's)."""
    port = port or free_port()
    tmp.mkdir(parents=True, exist_ok=True)
    log = tmp / "luigid.log"
    state = tmp / "luigid-state.pickle"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [str(BIN / "luigid"), "--address", "127.0.0.1", "--port", str(port),
             "--state-path", str(state)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            env=luigi_env(None), start_new_session=True)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/api/task_list", proc, 30, log)
        yield Luigid(port, proc, state)
    finally:
        stop(proc)


def start_mlflow_server(tmp: Path, port: int, backend: str | None = None,
                        artifacts: Path | None = None) -> subprocess.Popen:
    """`mlflow server` on port, with a SQLite backend (tmp/mlflow.db unless given) and served
    artifacts (in tmp/artifacts unless given); its output in tmp/mlflow-server.log."""
    tmp.mkdir(parents=True, exist_ok=True)
    # Without its job runner (MLflow's GenAI jobs: two huey consumer processes it starts over
    # a database backend, each importing MLflow and polling): ~19 s of CPU per server, none of
    # it serving the tracking API or the artifacts these tests read.
    env = {**luigi_env(None), "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    with open(tmp / "mlflow-server.log", "a") as out:
        return subprocess.Popen(
            [str(BIN / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port),
             "--backend-store-uri", backend or f"sqlite:///{tmp / 'mlflow.db'}",
             "--artifacts-destination", str(artifacts or tmp / "artifacts"), "--serve-artifacts",
             "--workers", "1"],
            cwd=tmp, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)


@contextlib.contextmanager
def running_mlflow_server(tmp: Path) -> Iterator[str]:
    """`mlflow server` with a SQLite backend and served artifacts; yields its URI."""
    port = free_port()
    log = tmp / "mlflow-server.log"
    proc = start_mlflow_server(tmp, port)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/health", proc, 120, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


@contextlib.contextmanager
def mlflow_server_of(tmp: Path, backend: str, artifacts: Path) -> Iterator[str]:
    """`mlflow server` over an existing SQLite store whose artifacts (in `artifacts`) it serves
    (stores.serve_artifacts_through_server); yields its URI."""
    port = free_port()
    proc = start_mlflow_server(tmp, port, backend, artifacts)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/health", proc, 120, tmp / "mlflow-server.log")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


def central_args(luigid: Luigid, workers: int) -> list[str]:
    """--no-lock: luigi refuses a second process with the same command line on one machine
    (exit code already_running); on several machines, or to add workers here, it is lifted."""
    return ["--scheduler-host", "127.0.0.1", "--scheduler-port", str(luigid.port),
            "--workers", str(workers), "--no-lock"]


_SKIPPED = re.compile(r"([\w.]+\([^)]*\)) is complete: not run")
# A task that yields dynamic dependencies (MergeInterpretation) is run again once they are done:
# its first run ends with this line, and only the second does its work.
_SUSPENDED = re.compile(r"Worker Worker\(.*?\) new requirements\s+(\S.*?)\s*$", re.MULTILINE)


def tasks_run(*logs: Path) -> Counter:
    """How often each task did its work, counted from the workers' logs: a task luigid handed
    out a second time that found its work done by the other process is not counted."""
    ran = Counter(m for log in logs for m in _RUNNING.findall(log.read_text()))
    ran.subtract(m for log in logs for m in _SKIPPED.findall(log.read_text()))
    ran.subtract(m for log in logs for m in _SUSPENDED.findall(log.read_text()))
    return +ran  # drops tasks whose every run was a skip (none expected)


# Families whose tasks can find themselves complete when handed out: AllRunsExtracted
# (output-less, complete as soon as the database shows no failed run) and the extraction
# batches, whose runs a batch of a worker with several task processes may have extracted
# while helping (plr_luigi.extraction.batch).
MAY_FIND_ITSELF_COMPLETE = ("report.AllRunsExtracted", "extraction.ExtractRun",
                            "extraction.ExtractUpstreamRun")


def assert_each_task_did_its_work_once(ran: Counter, done: dict[str, dict]) -> None:
    """ran: tasks_run of the build's logs; done: luigid's DONE tasks. No task did its work
    twice, and each did it once but those of MAY_FIND_ITSELF_COMPLETE, which did it at most
    once (a helped batch's runs were each extracted once, by the batch that helped)."""
    assert set(ran.values()) == {1}, ran
    done_by_family = Counter(t["name"] for t in done.values())
    ran_by_family = Counter(task.split("(")[0] for task in ran)
    for family in MAY_FIND_ITSELF_COMPLETE:
        assert ran_by_family[family] <= done_by_family[family], (family, ran)
        ran_by_family[family] = done_by_family[family]
    assert +ran_by_family == done_by_family, ran
