"""Stores of any shape, and what every build of one must satisfy (issue 12): used by the
degenerate-store tests (tests/tasks/test_store_shapes.py) and the property-based ones
(tests/tasks/test_store_properties.py)."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import luigi

from support.events import task_events
from support.settings import DRAFT_FIGURES, luigi_config, plr_settings
from support.stores import copy_store, load_summary, made_once, save_summary

FAILURE_TASKS = {"report.AllRunsExtracted"}  # the one task that fails on purpose (runs failed)


def store_of_runs(shared_dir: Path, dest: Path, runs: list, seed: int, **kw):
    """A store of these classification runs (synth RunSpec) in dest, generate_store's `kw`:
    generated onto a copy of the upstream experiments and subjects database of this seed, which
    are the same whatever the runs and are made once per test run (a copy shares their large
    artifacts, support.stores.copy_store). Returns the store's synth summary."""
    from plr_luigi.synth import generate_store

    def make(folder: Path) -> None:
        save_summary(generate_store(folder / "store", seed=seed, runs=[]), folder / "summary.json")

    upstream = load_summary(made_once(shared_dir / f"upstream_seed{seed}", make) / "summary.json")
    copy_store(upstream, dest)
    return generate_store(dest, seed=seed, runs=runs, onto_upstream=True, **kw)


@dataclass
class BuildOutcome:
    failed: dict[str, str]  # task id -> the exception it raised
    exit_code: int  # what `luigi ... ReproduceAll` would return ([retcode] of luigi.cfg)


def build_store(tracking_uri: str, source_db: str, work: Path) -> BuildOutcome:
    """ReproduceAll in process, every failure recorded with the exception that caused it."""
    from plr_luigi.tasks import ReproduceAll

    # A run's failure stays: waiting for AllRunsExtracted's retry would only idle 30 s.
    with luigi_config("worker", keep_alive="false"), \
            plr_settings(tracking_uri=tracking_uri, source_db=source_db,
                         data_dir=str(work / "data"), output_dir=str(work / "outputs"),
                         **DRAFT_FIGURES), \
            task_events(luigi.Event.FAILURE) as failures:
        result = luigi.build([ReproduceAll()], local_scheduler=True, detailed_summary=True)
    failed = {task.task_id: f"{type(error).__name__}: {error}" for task, error in failures}
    # luigi's exit code of this summary ([retcode] in luigi.cfg): 30 when a task failed.
    codes = {luigi.LuigiStatusCode.SUCCESS: 0, luigi.LuigiStatusCode.FAILED: 30}
    assert result.status in codes, result.summary_text
    return BuildOutcome(failed, codes[result.status])


def check_build(outcome: BuildOutcome, settings: dict[str, str]) -> dict[str, str]:
    """Every invariant of a build on a store of any shape; returns output name -> reason of
    the outputs recorded unavailable."""
    from plr_luigi.database.results_database import validate
    from plr_luigi.study import schema
    from plr_luigi.tasks import PrivacyAudit, ReproduceAll
    from plr_luigi.tasks.catalog import manuscript_outputs

    db = Path(settings["data_dir"]) / "public" / "plr_results.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        assert validate(con) == []
        failed_runs = dict(con.execute(f"SELECT run_name, reason FROM "
                                       f"{schema.EXTRACTION_REPORT.name} "
                                       "WHERE outcome = 'failed'").fetchall())
    # No exception escapes a task but the deliberate one, which fails exactly when runs did.
    assert {t.split("(")[0].split("_")[0] for t in outcome.failed} <= FAILURE_TASKS, \
        outcome.failed
    assert bool(outcome.failed) == bool(failed_runs), (outcome.failed, failed_runs)
    assert outcome.exit_code in (0, 30)
    if failed_runs:
        message = next(iter(outcome.failed.values()))
        assert all(name in message for name in failed_runs), message
    unavailable: dict[str, str] = {}
    # Nothing changes while this checks, so each task's completeness is asked once (it costs
    # ~10 ms: each output asks the database and its requirements in turn).
    complete = functools.cache(lambda task: task.complete())
    with plr_settings(**settings, **DRAFT_FIGURES):  # as build_store drew them
        for task in manuscript_outputs():
            files = task.published_files()
            if isinstance(files, dict) and "status" in files:
                status = json.loads(files["status"].read_text(encoding="utf-8"))
                assert status["status"] == "unavailable" and status["reason"], status
                unavailable[files["status"].name] = status["reason"]
                stem = files["status"].name.removesuffix(".unavailable.json")
                assert not list(files["status"].parent.glob(f"{stem}.png"))
                continue
            for path in (files.values() if isinstance(files, dict) else [files]):
                assert path.is_file() and path.stat().st_size > 0, path
                if path.suffix == ".tex" and "% unavailable: " in path.read_text():
                    unavailable[path.name] = path.read_text().split("% unavailable: ")[1]
                    # Its JSON twin gives the same reason, for readers that never parse LaTeX.
                    reason = json.loads(path.with_suffix(".json").read_text())["unavailable"]
                    assert " ".join(reason.split()) in unavailable[path.name], reason
            assert complete(task), task
        # The audit ran over every public file, the report page and the numbers too.
        audit = json.loads(Path(PrivacyAudit().output().path).read_text(encoding="utf-8"))
        outputs = Path(settings["output_dir"])
        public = {str(p.relative_to(outputs)) for p in outputs.rglob("*") if p.is_file()}
        assert public - {"privacy_audit.json"} <= set(audit["clean"])
        assert complete(PrivacyAudit())
        assert all(complete(t) for t in luigi.task.flatten(ReproduceAll().requires())
                   if t.task_family not in FAILURE_TASKS)
    return unavailable
