"""What the fault tests (tests/tasks/test_faults.py) share: a small filesystem to fill, waiting for
a build to reach the moment of a fault, what a build left on disk, the database compared with
the template build's."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench.compare_databases import compare
from plr_luigi.study import schema


@contextlib.contextmanager
def small_filesystem(folder: Path, size_bytes: int) -> Iterator[Path]:
    """A tmpfs of size_bytes mounted on folder (made empty) for the block; the test is skipped,
    with the reason, where one cannot be mounted (not root, mount refused in a container)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root")
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_bytes}", "tmpfs",
                              str(folder)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs on {folder}: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=True)


def fill(folder: Path, leave_bytes: int) -> None:
    """Fill folder's filesystem until about leave_bytes are free."""
    import shutil

    free = shutil.disk_usage(folder).free - leave_bytes
    if free > 0:
        (folder / "filler").write_bytes(b"\0" * free)


def copy_extractions(template_work: Path, data: Path, missing: int) -> int:
    """The template build's extractions copied into data, but for `missing` classification runs:
    the subject lookup, the run lists, the upstream runs' folders (not the signals database) and
    the other runs' folders, so that a build extracts those runs only, the part a fault hits
    (extracting the upstream runs' imputation pickles takes most of a build of the small store
    from scratch). Returns how many classification runs were copied."""
    import shutil

    template = template_work / "data"
    shutil.copytree(template / "private", data / "private",
                    ignore=shutil.ignore_patterns("plr_signals.duckdb"))
    runs = sorted(template.glob("interim/runs/*/*"))
    for run in runs[missing:]:
        shutil.copytree(run, data / run.relative_to(template))
    return len(runs[missing:])


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen, what: str,
             timeout: float = 120) -> None:
    """Poll until condition() holds while proc (a build) runs: the moment to inject a fault."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, f"the build ended before {what}"
        assert time.monotonic() < deadline, f"no {what} within {timeout} s"
        time.sleep(0.005)


def wait_until_gone(proc: subprocess.Popen, timeout: float) -> float:
    """Seconds until proc and every process of its group (the task processes it forked) have
    ended; fails after timeout."""
    started = time.monotonic()
    proc.wait(timeout)
    while True:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return time.monotonic() - started
        assert time.monotonic() - started < timeout, \
            f"processes of the build's group still run {timeout} s later"
        time.sleep(0.05)


def run_dirs(data: Path) -> list[Path]:
    """The run directories under data/interim/runs (temporaries aside)."""
    return [p for p in (data / "interim" / "runs").glob("*/*")
            if p.is_dir() and not p.name.startswith(".")]


def temporaries(root: Path) -> list[Path]:
    """Every `.<name>.tmp-<pid>` file or folder under root: a partial write."""
    return sorted(root.rglob(".*.tmp-*"))


_EXTRACT_RUN = re.compile(r"running\s+extraction\.ExtractRun\(run_id=([0-9a-f,]+),")


def runs_extracted(log: str) -> int:
    """How many classification runs the build's ExtractRun tasks (batches) set out to extract."""
    return sum(len(ids.split(",")) for ids in _EXTRACT_RUN.findall(log))


def assert_same_database(db: Path, reference: Path, *ignored_provenance: str) -> None:
    """db holds the values of reference, table by table (bench.compare_databases: build times
    and durations aside; also the provenance keys given)."""
    assert db.is_file(), f"no database at {db}"
    assert compare(reference, db, frozenset(ignored_provenance)) == []


def template_database(build_template: dict) -> Path:
    return build_template["work"] / "data" / "public" / "plr_results.duckdb"


def store_description(db: Path) -> str:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f"SELECT value FROM {schema.PROVENANCE.name} WHERE key = ?",
                           [schema.PROV_STORE]).fetchone()[0]
