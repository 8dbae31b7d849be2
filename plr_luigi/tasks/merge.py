"""The merge tasks: MergeToDuckDB, the single writer of the public results database, and
MergeSignals, the writer of the private signals database."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path
from typing import ClassVar

import luigi

from plr_luigi.store.run_decisions import EXTRACT, inventory_digest, run_fingerprint
from plr_luigi.store.upstream_run_decisions import IMPUTATION_EXPERIMENT
from plr_luigi.study import schema
from plr_luigi.tasks.base import RunOnceTask, guarded
from plr_luigi.tasks.extraction import (
    UPSTREAM_EXPERIMENTS,
    ExtractRun,
    ExtractUpstreamRun,
    SubjectLookup,
    run_label,
    upstream_extractions,
)
from plr_luigi.tasks.settings import plr
from plr_luigi.tasks.store_listing import run_decisions, upstream_decisions

# data/<this>: held while a merge checks and repairs the run directories it reads.
REPAIR_LOCK_NAME = ".repair.lock"


class MergeToDuckDB(RunOnceTask):
    """Reads every ExtractRun directory; writes the validated public DuckDB database with the
    extraction report and provenance. Complete while the database was built from the store's
    current runs: a new, finished or changed run makes it stale.

    Every run directory's files are checked against the SHA-256 recorded when they were written
    before any is loaded: a directory whose files differ is removed and its extraction run again
    here, so an altered file is never merged. (Not yielded as a dynamic dependency: Luigi's
    scheduler ignores, for [scheduler] stable_done_cooldown_secs, a task it has just seen done
    said to be pending again, and the merge then fails on it.)"""

    task_namespace = "database"

    # The single writer of the database, whatever the number of workers or machines.
    resources: ClassVar[dict[str, int]] = {"duckdb_writer": 1}

    def requires(self):
        # The lookup last: the cohort table's input, and not a run's extraction.
        return [*(ExtractRun(run_id=d.run.run_id, fingerprint=run_fingerprint(d.run))
                  for d in run_decisions() if d.outcome == EXTRACT), *upstream_extractions(),
                SubjectLookup()]

    def output(self):
        return luigi.LocalTarget(str(plr().database_path()))

    def complete(self):
        from plr_luigi.database.results_database import read_provenance_of

        db = Path(self.output().path)
        if not db.is_file():
            return False
        if not plr().tracking_uri:
            return True  # no store configured: the database is the source (a checkpoint)
        recorded = read_provenance_of(db).get(schema.PROV_INVENTORY_DIGEST)
        return recorded == store_inventory_digest()

    def run(self):
        from concurrent.futures import ThreadPoolExecutor

        # requires() once (self.input() calls it again): ~370 tasks and their fingerprints,
        # ~0.06 s each time at paper size.
        tasks = self.requires()
        targets = luigi.task.getpaths(tasks)
        # The cohort table groups the source database's ~1M samples by subject (0.3-0.45 s at
        # paper size) in sqlite, which releases the GIL, as DuckDB does: while the merge checks
        # the run directories and loads their tables (its rows are asked for after them).
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cohort-summary") as pool:
            cohort = pool.submit(cohort_rows, Path(targets[-1].path))
            self._merge(tasks, targets, cohort)

    def _merge(self, tasks: list, targets: list, cohort: Future) -> None:
        from plr_luigi.database.provenance import build_provenance
        from plr_luigi.database.results_database import build_database
        from plr_luigi.extraction.run_extraction import RECORD_FILE, RunRecord
        from plr_luigi.extraction.run_file import TABLES_FILE
        from plr_luigi.filesystem.atomic import atomic_paths
        from plr_luigi.report.extraction_report import extraction_report

        config = plr()
        decisions = list(run_decisions())
        repair_damaged_extractions(tasks, targets, {
            ExtractRun: (RECORD_FILE, TABLES_FILE),
            ExtractUpstreamRun: (RECORD_FILE, *parquet_files(schema.UPSTREAM_TABLES))})
        by_dir = {Path(t.path): RunRecord.read(Path(t.path))
                  for task, t in zip(tasks, targets, strict=True) if isinstance(task, ExtractRun)}
        extracted_ids = {r.run_id for r in by_dir.values() if r.outcome == EXTRACT}
        upstream_records, upstream_files = upstream_merge_inputs(tasks, targets)
        extracted = [d for d, record in by_dir.items() if record.outcome == EXTRACT]
        standard_only = {d.run.run_id for d in decisions if d.standard_pipeline_only}
        compared = [d for d in extracted if by_dir[d].run_id not in standard_only]
        provenance = build_provenance(
            config.tracking_uri, config.experiment,
            synthetic=any(d.run.synthetic for d in decisions), n_runs_seen=len(decisions),
            n_configurations=len(compared), source_db_used=bool(config.source_db),
            inventory=store_inventory_digest())
        report = extraction_report(decisions, {r.run_id: r for r in by_dir.values()})
        with guarded(self, self.task_family) as progress, \
                atomic_paths({"db": Path(self.output().path)}) as tmp:
            build_database(tmp["db"], extracted, report, provenance, progress=progress,
                           upstream_files=upstream_files,
                           upstream_report=upstream_report(upstream_records),
                           standard_pipeline_only=standard_only,
                           merged_tables={
                               schema.HYPERPARAMETERS.name: hyperparameter_rows(
                                   [d.run for d in decisions if d.run.run_id in extracted_ids]),
                               schema.COHORT_SUMMARY.name: cohort.result,
                               schema.DUPLICATE_RUNS.name: duplicate_run_rows(decisions)})


def repair_damaged_extractions(tasks: list, targets: list, read: dict[type, tuple[str, ...]]
                               ) -> None:
    """Every run directory among a merge's requirements whose files differ from their content
    when written removed, with a warning naming the run and the file, and extracted again,
    before the merge loads anything. read: per extraction task class, the files of its
    directories the merge reads, whose SHA-256 is compared (it reads them anyway); the others
    are the other merge's to check (the results merge does not read the imputation runs'
    signals, ~550 MB at paper size).

    Both merges read the imputation runs' directories, and with several workers they run at
    once: the data folder's repair lock keeps the second from removing a directory while the
    first extracts it again (it then finds it intact)."""
    from plr_luigi.extraction.run_extraction import discard_if_damaged
    from plr_luigi.filesystem.lock_files import exclusive_lock

    listed = {d.run.run_id: d.run for d in [*run_decisions(), *all_upstream_decisions()]}
    with exclusive_lock(Path(plr().data_dir) / REPAIR_LOCK_NAME):
        for task, target in zip(tasks, targets, strict=True):
            if type(task) in read and discard_if_damaged(
                    Path(target.path), f"{task.task_family} {run_label(listed, task.run_id)}",
                    read=read[type(task)]):
                task.run()


def parquet_files(tables) -> tuple[str, ...]:
    """The names of an upstream run directory's files of these tables."""
    return tuple(f"{table.name}.parquet" for table in tables)


def hyperparameter_rows(runs: list):
    """schema.HYPERPARAMETERS' rows: each run's logged hparam_* params (from the listing)."""
    import pandas as pd

    rows = [(run.run_id, name, value) for run in runs for name, value in run.hyperparameters]
    return pd.DataFrame(rows, columns=schema.HYPERPARAMETERS.column_names)


def duplicate_run_rows(decisions: list):
    """schema.DUPLICATE_RUNS' rows: every run of each configuration run more than once, with
    the AUROC it logged (from the listing) and which run each rule keeps."""
    import pandas as pd

    from plr_luigi.store.run_decisions import duplicate_runs

    rows = [(d.kept_run_id, *d.configuration, d.run.run_id, d.run.run_name, d.run.end_time,
             d.run.logged_auroc, d.run.run_id == d.kept_run_id, d.kept_highest_auroc)
            for d in duplicate_runs(decisions)]
    table = schema.DUPLICATE_RUNS
    return pd.DataFrame(rows, columns=table.column_names).astype(
        {table.end_time: "Int64", table.logged_auroc: "Float64", table.kept_later: bool,
         table.kept_highest_auroc: bool})


def cohort_rows(lookup_path: Path):
    """schema.COHORT_SUMMARY's rows from the private lookup and, where configured, the source
    database: aggregates only (plr_luigi.extraction.cohort_summary)."""
    import pandas as pd

    from plr_luigi.extraction.cohort_summary import read_source_subjects, summarise_cohort

    lookup = pd.read_csv(lookup_path, dtype={"original_code": str})
    source_db = plr().source_db
    return summarise_cohort(lookup, read_source_subjects(Path(source_db)) if source_db else None)


def all_upstream_decisions() -> list:
    return [d for e in UPSTREAM_EXPERIMENTS for d in upstream_decisions(e)]


# The last listings digested and their digest (store_inventory_digest).
_last_digest: tuple[tuple, str] = ((), "")


def store_inventory_digest() -> str:
    """inventory_digest of the store's runs as listed (classification and upstream): what a
    results database built now records. Digested once per listing (run_decisions and
    upstream_decisions return the same tuples until the store is listed again): Luigi asks
    MergeToDuckDB.complete() for every output that requires it, ~260 times a build."""
    global _last_digest
    listings = (run_decisions(), *(upstream_decisions(e) for e in UPSTREAM_EXPERIMENTS))
    digested, digest = _last_digest
    if [id(listing) for listing in digested] != [id(listing) for listing in listings]:
        digest = inventory_digest([d for listing in listings for d in listing])
        _last_digest = (listings, digest)
    return digest


def upstream_report(records: dict):
    """The upstream_extraction_report rows: every upstream run, with its experiment."""
    import pandas as pd

    from plr_luigi.report.extraction_report import extraction_report

    frames = [extraction_report(list(upstream_decisions(e)), records).assign(experiment=e)
              for e in UPSTREAM_EXPERIMENTS]
    return pd.concat(frames, ignore_index=True)[schema.UPSTREAM_EXTRACTION_REPORT.column_names]


def upstream_merge_inputs(tasks: list, targets: list) -> tuple[dict, dict[str, list[Path]]]:
    """The records of the upstream runs among the merge's requirements, and per public table
    the Parquet files to load."""
    from plr_luigi.extraction.run_extraction import RunRecord

    records, files = {}, {t.name: [] for t in schema.UPSTREAM_TABLES}
    for task, target in zip(tasks, targets, strict=True):
        if not isinstance(task, ExtractUpstreamRun):
            continue
        record = RunRecord.read(Path(target.path))
        records[record.run_id] = record
        for name in files:
            if record.rows.get(name):
                files[name].append(Path(target.path) / f"{name}.parquet")
    return records, files


class MergeSignals(RunOnceTask):
    """Reads every imputation run's signal files; writes the PRIVATE signals database
    (data/private/plr_signals.duckdb: reconstructed_signals, signal_time). The files are
    checked against their SHA-256 first, as MergeToDuckDB checks its inputs."""

    task_namespace = "database"

    resources: ClassVar[dict[str, int]] = {"signals_writer": 1}

    def requires(self):
        return [t for t in upstream_extractions() if t.experiment == IMPUTATION_EXPERIMENT]

    def output(self):
        return luigi.LocalTarget(str(plr().signals_database_path()))

    def inventory(self) -> str:
        return inventory_digest(list(upstream_decisions(IMPUTATION_EXPERIMENT)))

    def complete(self):
        """Complete while built from the store's current imputation runs."""
        from plr_luigi.database.signals_database import signals_inventory

        return signals_inventory(Path(self.output().path)) == self.inventory()

    def run(self):
        from plr_luigi.database.signals_database import build_signals_database
        from plr_luigi.filesystem.atomic import atomic_paths

        tasks, targets = self.requires(), self.input()
        repair_damaged_extractions(tasks, targets,
                                   {ExtractUpstreamRun: parquet_files(schema.SIGNAL_TABLES)})
        run_dirs = [Path(t.path) for t in targets]
        with guarded(self, self.task_family) as progress, \
                atomic_paths({"db": Path(self.output().path)}) as tmp:
            build_signals_database(tmp["db"], run_dirs, self.inventory(), progress=progress)
