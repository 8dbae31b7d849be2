"""MergeToDuckDB: the single writer of the public results database."""

from __future__ import annotations

from pathlib import Path

import luigi

from plr_luigi.inventory import EXTRACT
from plr_luigi.tasks.config import plr, run_decisions
from plr_luigi.tasks.extract import ExtractRun


class MergeToDuckDB(luigi.Task):
    """Reads every ExtractRun directory; writes the validated public DuckDB database with the
    extraction report and provenance."""

    def requires(self):
        return [ExtractRun(run_id=d.run.run_id) for d in run_decisions() if d.outcome == EXTRACT]

    def output(self):
        return luigi.LocalTarget(str(plr().database_path()))

    def run(self):
        from plr_luigi.database import build_database
        from plr_luigi.provenance import build_provenance
        from plr_luigi.report import extraction_report
        from plr_luigi.run_extraction import RunRecord

        config = plr()
        decisions = list(run_decisions())
        records = {r.run_id: r for r in (RunRecord.read(Path(t.path)) for t in self.input())}
        extracted = [Path(t.path) for t in self.input()
                     if records[Path(t.path).name].outcome == EXTRACT]
        self.set_status_message(f"loading {len(extracted)} runs into DuckDB")
        provenance = build_provenance(
            config.tracking_uri, config.experiment,
            synthetic=any(d.run.synthetic for d in decisions), n_runs_seen=len(decisions),
            n_configurations=len(extracted), source_db_used=bool(config.source_db))
        with self.output().temporary_path() as tmp:
            build_database(Path(tmp), extracted, extraction_report(decisions, records), provenance)
