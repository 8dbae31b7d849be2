"""ExtractUpstreamRun (one per outlier-detection or imputation run) and MergeSignals (the
private database of reconstructed signals)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import ClassVar

import luigi

from plr_luigi.store.inventory import EXTRACT, inventory_digest, run_fingerprint
from plr_luigi.store.upstream_inventory import IMPUTATION_EXPERIMENT, UPSTREAM_PARSERS
from plr_luigi.study import schema
from plr_luigi.tasks.config import plr
from plr_luigi.tasks.extraction import SubjectLookup
from plr_luigi.tasks.run_inventory import upstream_decisions
from plr_luigi.tasks.run_once import RunOnceTask
from plr_luigi.tasks.task_guard import guarded

logger = logging.getLogger(__name__)

UPSTREAM_EXPERIMENTS = tuple(UPSTREAM_PARSERS)


def upstream_run_dir(experiment: str, run_id: str, fingerprint: str) -> Path:
    """PRIVATE: an imputation run's directory holds per-subject signals."""
    return Path(plr().data_dir) / "private" / "upstream" / experiment / run_id / fingerprint


class ExtractUpstreamRun(RunOnceTask):
    """Reads one outlier-detection or imputation run (metrics; an imputation run's pickle);
    writes its public quality rows and, for imputation, its anonymised reconstructed signals
    as Parquet files in one private directory."""

    experiment = luigi.ChoiceParameter(choices=UPSTREAM_EXPERIMENTS,
                                       description="the run's upstream experiment")
    run_id = luigi.Parameter(description="MLflow run id")
    fingerprint = luigi.Parameter(description="inventory.run_fingerprint of the run")

    resources: ClassVar[dict[str, int]] = {"store_reader": 1}

    def requires(self):
        return SubjectLookup()

    def output(self):
        return luigi.LocalTarget(str(upstream_run_dir(self.experiment, self.run_id,
                                                      self.fingerprint)))

    def run(self):
        import pandas as pd

        from plr_luigi.extraction.upstream_extraction import extract_upstream_run

        config = plr()
        lookup = (pd.read_csv(self.input().path, dtype={"original_code": str})
                  if self.experiment == IMPUTATION_EXPERIMENT else None)
        with guarded(self, f"ExtractUpstreamRun {self.experiment} {self.run_id}") as progress:
            extract_upstream_run(config.tracking_uri, self.experiment, self.run_id, lookup,
                                 Path(self.output().path), config.scratch_dir(),
                                 progress=progress)


def upstream_extractions() -> list[ExtractUpstreamRun]:
    """One task per upstream run to extract (MergeToDuckDB requires them)."""
    return [ExtractUpstreamRun(experiment=e, run_id=d.run.run_id,
                               fingerprint=run_fingerprint(d.run))
            for e in UPSTREAM_EXPERIMENTS for d in upstream_decisions(e) if d.outcome == EXTRACT]


def all_upstream_decisions() -> list:
    return [d for e in UPSTREAM_EXPERIMENTS for d in upstream_decisions(e)]


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
    (data/private/plr_signals.duckdb: reconstructed_signals, signal_time)."""

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
        from plr_luigi.build.atomic import atomic_paths
        from plr_luigi.database.signals_database import build_signals_database

        run_dirs = [Path(t.path) for t in self.input()]
        with guarded(self, "MergeSignals") as progress, \
                atomic_paths({"db": Path(self.output().path)}) as tmp:
            build_signals_database(tmp["db"], run_dirs, self.inventory(), progress=progress)
