"""Real kills and concurrent builds: a build resumes where it was killed, never trusts a
partial file, and two builds at once leave the same database as one uninterrupted build."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from support.faults import runs_extracted
from support.luigi_process import start_luigi, write_luigi_cfg

from plr_luigi.study import schema

pytestmark = pytest.mark.slow
# Provenance rows that differ between any two builds.
VOLATILE = (schema.PROV_CREATED_AT, schema.PROV_CODE_VERSION)


def _cfg(store, work: Path) -> Path:
    cfg = write_luigi_cfg(work / "plr.cfg", store.tracking_uri, str(store.source_db),
                          work / "data", work / "outputs")
    # Lines 0.2 s apart: extracting half the small store's runs with two workers takes ~1.5 s
    # (a 1-s interval once saw the extraction end before its first line).
    with cfg.open("a") as fh:
        fh.write("[heartbeat]\ninterval = 0.2\n")
    return cfg


def _start(cfg: Path, log: Path, target: str, *args: str) -> subprocess.Popen:
    # Own process group: the kill takes luigi and any task process it forked.
    return start_luigi(cfg, log, target, "--local-scheduler", *args)


def _build(cfg: Path, log: Path, target: str, *args: str) -> int:
    return _start(cfg, log, target, *args).wait(timeout=600)


def _kill_when(proc: subprocess.Popen, condition, what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, f"the build ended before {what}"
        assert time.monotonic() < deadline, f"no {what} within {timeout} s"
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)


def _run_dirs(work: Path) -> list[Path]:
    return [p for p in (work / "data" / "interim" / "runs").glob("*/*") if p.is_dir()
            and not p.name.startswith(".")]


def _temporaries(folder: Path) -> list[Path]:
    return list(folder.glob(".*.tmp-*")) if folder.is_dir() else []


def _tables(db: Path) -> dict[str, pd.DataFrame]:
    """Every table, rows in a fixed order, without what differs between any two builds."""
    with duckdb.connect(str(db), read_only=True) as con:
        frames = {t.name: con.execute(f"SELECT * FROM {t.name}").df() for t in schema.ALL_TABLES}
    frames[schema.PROVENANCE.name] = frames[schema.PROVENANCE.name].query("key not in @VOLATILE")
    for table in (schema.EXTRACTION_REPORT, schema.UPSTREAM_EXTRACTION_REPORT):
        report = frames[table.name]
        timings = ["seconds", "rss_growth_mb"]
        report[timings] = report[timings].notna()  # timings vary
    return {name: frame.sort_values(list(frame.columns)).reset_index(drop=True)
            for name, frame in frames.items()}


def _assert_same_database(db: Path, reference: Path) -> None:
    built, expected = _tables(db), _tables(reference)
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(built[name], frame, obj=name)


@pytest.fixture
def reference(build_template) -> Path:
    """The database of an uninterrupted build of the same store."""
    return build_template["work"] / "data" / "public" / "plr_results.duckdb"


def _unextracted(extracted_copy: dict, n_runs: int) -> tuple[Path, Path]:
    """A finished build's data of the small store with its database and the folders of
    n_runs extracted runs removed: a build of it extracts those runs and merges them with
    the others (the work a kill interrupts), and needs no output built first. Returns the
    folder and its luigi config."""
    work = extracted_copy["work"]
    (work / "data" / "public" / "plr_results.duckdb").unlink()
    runs = sorted((work / "data" / "interim" / "runs").iterdir())
    for run in runs[:n_runs]:
        shutil.rmtree(run)
    store = extracted_copy["store"]
    assert len(_run_dirs(work)) == store.n_extracted_runs - n_runs
    return work, _cfg(store, work)


def test_kills_during_extraction_merge_and_figures_resume_without_redoing_work(
        extracted_copy, reference):
    work, cfg = _unextracted(extracted_copy, 12)
    total = extracted_copy["store"].n_extracted_runs
    kept = total - 12
    db = work / "data" / "public" / "plr_results.duckdb"
    # The database first, then one figure (every figure is written by the same base class).
    merge, figure = ["database.MergeToDuckDB"], ["figures.ForestPlot", "--factor",
                                                 "outlier_method"]

    # 1. Killed during extraction: some runs are done, not all.
    _kill_when(_start(cfg, work / "log1", *merge),
               lambda: kept < len(_run_dirs(work)) < total, "first extracted run")
    done = {p: p.stat().st_mtime_ns for p in _run_dirs(work)}
    assert kept < len(done) < total and not db.exists()

    # 2. Resumed, then killed while the database is written: only the unfinished runs were
    #    extracted, and no database is taken as complete.
    _kill_when(_start(cfg, work / "log2", *merge), lambda: _temporaries(db.parent),
               "temporary database")
    assert runs_extracted((work / "log2").read_text()) == total - len(done)
    assert {p: p.stat().st_mtime_ns for p in done} == done  # finished runs untouched
    assert len(_run_dirs(work)) == total and not db.exists()

    # 3. Resumed, then killed while the forest plot is written: no partial figure file.
    figures = work / "outputs" / "figures"
    _kill_when(_start(cfg, work / "log3", *figure), lambda: _temporaries(figures),
               "temporary figure")
    assert "running   extraction.ExtractRun(" not in (work / "log3").read_text()
    assert db.is_file()
    # Every figure file in place is whole (the killed one is absent or an earlier whole one).
    from PIL import Image

    for path in figures.glob("*.json"):
        json.loads(path.read_text())
    for path in figures.glob("*.png"):
        Image.open(path).verify()

    # 4. Finished: the same database as an uninterrupted build, no temporary file left.
    assert _build(cfg, work / "log4", *figure) == 0, (work / "log4").read_text()[-3000:]
    log4 = (work / "log4").read_text()
    assert "running   extraction.ExtractRun(" not in log4
    assert "running   database.MergeToDuckDB(" not in log4
    _assert_same_database(db, reference)
    names = {p.name for p in figures.iterdir()}
    assert {f"forest_outlier_method.{ext}" for ext in ("json", "pdf", "png")} <= names
    assert not [n for n in names if n.startswith(".")]
    leftovers = [p for p in work.rglob(".*.tmp-*")]
    assert leftovers == []


def test_two_builds_at_once_finish_with_the_database_of_one(extracted_copy, reference):
    n_runs = extracted_copy["store"].n_extracted_runs // 2
    work, cfg = _unextracted(extracted_copy, n_runs)
    # A heartbeat line every 0.02 s: extracting half the small store's runs takes ~0.2 s, as
    # long as the module's interval, and a build that ended its extraction before its first line
    # failed this test (1 in 3 runs).
    cfg.write_text(cfg.read_text().replace("[heartbeat]\ninterval = 0.2\n",
                                           "[heartbeat]\ninterval = 0.02\n"))
    assert "interval = 0.02" in cfg.read_text()
    # Different command lines, so Luigi's own pid lock lets both run. One figure after the
    # database: the build goes on after the merge, so the heartbeat sees the database written
    # (a build that ends with the merge can end before its next look).
    figure = ("figures.ForestPlot", "--factor", "outlier_method")
    first = _start(cfg, work / "log1", *figure)
    second = _start(cfg, work / "log2", *figure, "--workers", "2")
    assert first.wait(timeout=600) == 0, (work / "log1").read_text()[-3000:]
    assert second.wait(timeout=600) == 0, (work / "log2").read_text()[-3000:]
    logs = (work / "log1").read_text() + (work / "log2").read_text()
    assert "is using" in logs and "waiting for it to finish" in logs
    # The build that did the work said so while it ran, and when the database was written.
    assert re.search(r"heartbeat: extraction: \d+/\d+ runs \(\d+%\), .* RSS \d+ MB", logs)
    assert re.search(r"heartbeat: merge: (\d+)/\1 runs .*; database written", logs)
    # Each run was extracted once, by one of the builds.
    assert runs_extracted(logs) == n_runs
    _assert_same_database(work / "data" / "public" / "plr_results.duckdb", reference)
