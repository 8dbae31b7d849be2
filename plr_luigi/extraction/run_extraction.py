"""Extracting one run end to end: metrics pickle, tables, one file of them on disk.

The result is a directory per run holding the file of its tables (run_file.py),
`record.json` and the manifest of both (plr_luigi.filesystem.manifest: each file's size, time
and SHA-256), built under a temporary name and renamed into place, so a directory that exists
was complete when written; one whose files no longer match their manifest (truncated or altered
on disk) is removed and the run extracted again, never merged (discard_if_damaged). A run
whose data is bad (missing or corrupt pickle, unknown subject, malformed arrays) still gets a
directory: its record says `failed` and why, and the merge lists it in the extraction report
while every other run goes on. Errors of the store itself (unreachable server) are raised, so
that Luigi retries the task.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from plr_luigi.extraction.prediction_instability import MalformedPredictionsError
from plr_luigi.extraction.run_file import tables_file, write_tables
from plr_luigi.extraction.run_tables import MalformedRunError, RunIdentity, extract_tables
from plr_luigi.extraction.subjects import UnknownSubjectError
from plr_luigi.filesystem.atomic import remove_atomically, remove_stale_temporaries
from plr_luigi.filesystem.manifest import (
    content_problem,
    refresh_times,
    stat_problem,
    write_manifest,
)
from plr_luigi.monitoring.task_guard import process_rss_mb
from plr_luigi.store.mlflow_store import (
    MissingArtifactError,
    RunSummary,
    local_artifact,
    metrics_artifact_path,
)
from plr_luigi.store.run_decisions import EXTRACT, FAILED
from plr_luigi.store.safe_pickle import CorruptPickleError, UnsafePickleError, load_pickle
from plr_luigi.study import schema
from plr_luigi.study.factors import load_factor_registry, parse_run_name

logger = logging.getLogger(__name__)

RECORD_FILE = "record.json"
# Bad data in one run: recorded as that run's failure, never retried.
RUN_DATA_ERRORS = (MissingArtifactError, CorruptPickleError, UnsafePickleError,
                   MalformedRunError, UnknownSubjectError, MalformedPredictionsError)


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    run_name: str
    outcome: str  # EXTRACT (= extracted) or FAILED
    reason: str
    seconds: float  # this run's own extraction, in a batch too
    rss_growth_mb: float  # schema.EXTRACTION_REPORT's rss_growth_mb
    rows: dict[str, int]

    @classmethod
    def read(cls, run_dir: Path) -> RunRecord:
        return cls(**json.loads((run_dir / RECORD_FILE).read_text(encoding="utf-8")))


def rss_growth_mb(rss_before_mb: float) -> float:
    """How much the process's resident memory grew since rss_before_mb (never negative)."""
    return round(max(0.0, process_rss_mb() - rss_before_mb), 1)


def _ignore_progress(stage: str, percent: int) -> None:
    logger.debug("%s (%d%%)", stage, percent)


def extract_run(run: RunSummary, subject_lookup: dict[str, str], run_dir: Path,
                scratch_dir: Path,
                progress: Callable[[str, int], None] = _ignore_progress) -> RunRecord:
    """Extract the run into run_dir (atomically); returns what happened. The run's metadata is
    the store listing's (read once per build, not again per run). progress(stage, percent) is
    called as it goes (Luigi's status message and the stall guard)."""
    started, rss_before = time.monotonic(), process_rss_mb()
    run_id = run.run_id
    progress(f"{run.run_name}: reading metrics pickle", 10)
    rows: dict[str, int] = {}
    tmp_dir = fresh_temporary_dir(run_dir)
    try:
        try:
            factors = parse_run_name(run.run_name, load_factor_registry())
            with local_artifact(run, metrics_artifact_path(run.run_name), scratch_dir) as path:
                pickled = load_pickle(path)
            progress(f"{run.run_name}: computing metrics", 50)
            tables = extract_tables(pickled, RunIdentity(run.run_id, run.run_name, factors,
                                                         run.prevalence), subject_lookup)
            del pickled  # the pickle is the largest object: free it before writing
            progress(f"{run.run_name}: writing its tables", 80)
            write_tables(tables_file(tmp_dir), tables)
            rows = {name: len(columns[schema.CONFIG_ID.name]) for name, columns in tables.items()}
            outcome, reason = EXTRACT, ""
        except RUN_DATA_ERRORS as err:
            logger.error("run %s (%s) failed: %s", run.run_name, run_id, err)
            tables_file(tmp_dir).unlink(missing_ok=True)
            outcome, reason, rows = FAILED, str(err), {}
        record = RunRecord(run_id, run.run_name, outcome, reason,
                           round(time.monotonic() - started, 6),  # a failed read takes < 1 ms
                           rss_growth_mb(rss_before), rows)
        return publish_run_dir(tmp_dir, run_dir, record)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


def fresh_temporary_dir(run_dir: Path) -> Path:
    """An empty directory beside run_dir, this process's, to fill before publish_run_dir;
    temporaries that killed extractions left there are removed first."""
    tmp_dir = run_dir.with_name(f".{run_dir.name}.tmp-{os.getpid()}")
    if run_dir.parent.is_dir():
        remove_stale_temporaries(run_dir.parent)
    shutil.rmtree(tmp_dir, ignore_errors=True)
    tmp_dir.mkdir(parents=True)
    return tmp_dir


def publish_run_dir(tmp_dir: Path, run_dir: Path, record: RunRecord) -> RunRecord:
    """Write the run's record and the manifest of every file into tmp_dir and rename it to
    run_dir: the directory appears complete or not at all. Returns the record that stands
    (another build's, when it extracted the same run meanwhile)."""
    (tmp_dir / RECORD_FILE).write_text(json.dumps(record.__dict__, indent=1), encoding="utf-8")
    write_manifest(tmp_dir)
    try:
        os.replace(tmp_dir, run_dir)
    except OSError:
        if not (run_dir / RECORD_FILE).is_file():
            raise
        logger.info("run %s was extracted concurrently; keeping that result", record.run_id)
        return RunRecord.read(run_dir)
    return record


def discard_if_damaged(run_dir: Path, what: str, read: Collection[str] | None = None) -> bool:
    """Remove run_dir, atomically, when a file of it is no longer as it was written (logging a
    warning that names `what`, the run, and the file); returns whether it was removed, so that
    the run is extracted again.

    read: the names of the files the caller reads (a merge: it reads them anyway), whose
    SHA-256 is compared whatever their sizes and times; the files it does not read are left to
    the reader that does. None: sizes and times only
    (plr_luigi.filesystem.manifest.stat_problem). Either way a directory whose sizes or times
    differ has every file hashed: one whose content is intact (copied without its times) keeps
    its files and has their new times recorded."""
    if not run_dir.is_dir():
        return False
    moved = stat_problem(run_dir) is not None
    if not moved and read is None:
        return False
    problem = content_problem(run_dir, None if moved else read)
    if problem is None:
        if moved:
            refresh_times(run_dir)
            logger.info("%s: the files of %s have new times but the content they were written "
                        "with; kept", what, run_dir)
        return False
    logger.warning("%s: %s in %s; its directory is removed and the run extracted again",
                   what, problem, run_dir)
    remove_atomically(run_dir)
    return True
