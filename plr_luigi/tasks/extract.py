"""SubjectLookup (private) and ExtractRun (one per classification run)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import luigi

from plr_luigi.tasks.config import plr, run_decisions

# Computation modules (pandas, scipy, pyarrow) are imported inside run(): a build with nothing
# to do never loads them.


class SubjectLookup(luigi.Task):
    """Reads the source database (or, without one, the runs' subject codes); writes the private
    original -> public code lookup."""

    def output(self):
        return luigi.LocalTarget(str(plr().lookup_path()))

    def run(self):
        from plr_luigi.subjects import build_lookup, read_labelled_subjects, subjects_from_codes

        config = plr()
        if config.source_db:
            subjects = read_labelled_subjects(Path(config.source_db))
        else:
            subjects = subjects_from_codes(
                code for d in run_decisions() for code in d.run.subject_codes)
        with self.output().temporary_path() as tmp:
            build_lookup(subjects).to_csv(tmp, index=False)


def read_lookup(path: str) -> dict[str, str]:
    import pandas as pd

    from plr_luigi.subjects import ORIGINAL_CODE, PUBLIC_CODE

    frame = pd.read_csv(path, dtype=str)
    return dict(zip(frame[ORIGINAL_CODE], frame[PUBLIC_CODE], strict=True))


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
        from plr_luigi.run_extraction import extract_run

        config = plr()
        extract_run(config.tracking_uri, self.run_id, read_lookup(self.input().path),
                    Path(self.output().path), config.scratch_dir(),
                    report=self.set_status_message)
