"""SubjectLookup (private) and ExtractRun (one per classification run)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import luigi

from plr_luigi.tasks.config import plr
from plr_luigi.tasks.run_inventory import run_decisions
from plr_luigi.tasks.task_guard import guarded

# Computation modules (pandas, scipy, pyarrow) are imported inside run(): a build with nothing
# to do never loads them.


class SubjectLookup(luigi.Task):
    """Reads the source database (or, without one, the runs' subject codes); writes the private
    original -> public code lookup."""

    def output(self):
        return luigi.LocalTarget(str(plr().lookup_path()))

    def run(self):
        from plr_luigi.extraction.subjects import (
            build_lookup,
            read_labelled_subjects,
            subjects_from_codes,
        )

        config = plr()
        if config.source_db:
            subjects = read_labelled_subjects(Path(config.source_db))
        else:
            subjects = subjects_from_codes(
                code for d in run_decisions() for code in d.run.subject_codes)
        with self.output().temporary_path() as tmp:
            build_lookup(subjects).to_csv(tmp, index=False)


class ExtractRun(luigi.Task):
    """Reads one classification run (params and metrics pickle, never the model pickle);
    writes its anonymised rows of every per-run table as Parquet files in one directory."""

    run_id = luigi.Parameter(description="MLflow run id of a classification run")
    fingerprint = luigi.Parameter(
        description="inventory.run_fingerprint of the run: a run changed in the store (finished "
                    "later, renamed, deleted) or a changed table schema gets a new target")

    # At most [resources] store_reader extractions read the store at once (luigi.cfg).
    resources: ClassVar[dict[str, int]] = {"store_reader": 1}

    def requires(self):
        return SubjectLookup()

    def output(self):
        return luigi.LocalTarget(str(plr().run_dir(self.run_id, self.fingerprint)))

    def run(self):
        from plr_luigi.extraction.run_extraction import extract_run
        from plr_luigi.extraction.subjects import read_lookup
        from plr_luigi.store.mlflow_store import run_page_url

        config = plr()
        run = next((d.run for d in run_decisions() if d.run.run_id == self.run_id), None)
        url = run and run_page_url(config.tracking_uri, run)
        if url:
            self.set_tracking_url(url)
        with guarded(self, f"ExtractRun {run.run_name if run else self.run_id}") as progress:
            extract_run(run, read_lookup(self.input().path), Path(self.output().path),
                        config.scratch_dir(), progress=progress)
