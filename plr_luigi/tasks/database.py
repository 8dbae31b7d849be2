"""MergeToDuckDB: the single writer of the public results database."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import luigi

from plr_luigi.store.inventory import EXTRACT, inventory_digest, run_fingerprint
from plr_luigi.study import schema
from plr_luigi.tasks.config import plr
from plr_luigi.tasks.extraction import ExtractRun
from plr_luigi.tasks.run_inventory import run_decisions
from plr_luigi.tasks.run_once import RunOnceTask
from plr_luigi.tasks.task_guard import guarded
from plr_luigi.tasks.upstream import (
    all_upstream_decisions,
    upstream_extractions,
    upstream_merge_inputs,
    upstream_report,
)


class MergeToDuckDB(RunOnceTask):
    """Reads every ExtractRun directory; writes the validated public DuckDB database with the
    extraction report and provenance. Complete while the database was built from the store's
    current runs: a new, finished or changed run makes it stale."""

    # The single writer of the database, whatever the number of workers or machines.
    resources: ClassVar[dict[str, int]] = {"duckdb_writer": 1}

    def requires(self):
        return [*(ExtractRun(run_id=d.run.run_id, fingerprint=run_fingerprint(d.run))
                  for d in run_decisions() if d.outcome == EXTRACT), *upstream_extractions()]

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
        return recorded == inventory_digest([*run_decisions(), *all_upstream_decisions()])

    def run(self):
        from plr_luigi.build.atomic import atomic_paths
        from plr_luigi.database.provenance import build_provenance
        from plr_luigi.database.results_database import build_database
        from plr_luigi.extraction.run_extraction import RunRecord
        from plr_luigi.report.extraction_report import extraction_report

        config = plr()
        decisions = list(run_decisions())
        tasks, targets = self.requires(), self.input()
        by_dir = {Path(t.path): RunRecord.read(Path(t.path))
                  for task, t in zip(tasks, targets, strict=True) if isinstance(task, ExtractRun)}
        upstream_records, upstream_files = upstream_merge_inputs(tasks, targets)
        extracted = [d for d, record in by_dir.items() if record.outcome == EXTRACT]
        provenance = build_provenance(
            config.tracking_uri, config.experiment,
            synthetic=any(d.run.synthetic for d in decisions), n_runs_seen=len(decisions),
            n_configurations=len(extracted), source_db_used=bool(config.source_db),
            inventory=inventory_digest([*decisions, *all_upstream_decisions()]))
        report = extraction_report(decisions, {r.run_id: r for r in by_dir.values()})
        with guarded(self, "MergeToDuckDB") as progress, \
                atomic_paths({"db": Path(self.output().path)}) as tmp:
            build_database(tmp["db"], extracted, report, provenance, progress=progress,
                           upstream_files=upstream_files,
                           upstream_report=upstream_report(upstream_records))
