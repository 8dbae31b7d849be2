"""SubjectLookup (private) and ExtractRun (one per classification run, run in batches)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import ClassVar

import luigi

from plr_luigi.store.inventory import EXTRACT
from plr_luigi.tasks.config import extraction, plr
from plr_luigi.tasks.run_inventory import run_decisions
from plr_luigi.tasks.run_once import RunOnceTask
from plr_luigi.tasks.task_guard import guarded

logger = logging.getLogger(__name__)

# Computation modules (pandas, scipy, pyarrow) are imported inside run(): a build with nothing
# to do never loads them.

# Luigi joins the parameters of a batch of ExtractRun tasks with this (run ids and
# fingerprints are hex strings: it cannot occur in them).
BATCH_SEPARATOR = ","


class SubjectLookup(RunOnceTask):
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


class BatchExtractionError(RuntimeError):
    """Runs of a batch that could not be extracted (not bad data, which is recorded per run)."""


class ExtractRun(RunOnceTask):
    """Reads one classification run (params and metrics pickle, never the model pickle);
    writes its anonymised rows of every per-run table in one directory.

    The scheduler hands out ExtractRun tasks in batches ([extraction] batch_size): one task
    whose parameters list several runs, extracted one after the other in one process, so that
    a worker process and a scheduling round serve many runs. Each run still has its own
    atomic directory: a killed batch resumes with the runs it had not finished, and a run that
    cannot be extracted (stall, memory limit, store error) does not keep the others of its
    batch from being extracted; the batch then fails naming it, and Luigi retries it.
    """

    run_id = luigi.Parameter(description="MLflow run id of a classification run",
                             batch_method=BATCH_SEPARATOR.join)
    fingerprint = luigi.Parameter(
        description="inventory.run_fingerprint of the run: a run changed in the store (finished "
                    "later, renamed, deleted) or a changed table schema gets a new target",
        batch_method=BATCH_SEPARATOR.join)

    # At most [resources] store_reader extraction batches read the store at once (luigi.cfg).
    resources: ClassVar[dict[str, int]] = {"store_reader": 1}

    @property
    def max_batch_size(self) -> int:  # read by Luigi's worker when it registers the batcher
        n_runs = sum(d.outcome == EXTRACT for d in run_decisions())
        return extraction().runs_per_task(n_runs)

    def runs(self) -> list[tuple[str, str]]:
        """(run id, fingerprint) of each run this task extracts: one, or a batch."""
        run_ids = self.run_id.split(BATCH_SEPARATOR)
        fingerprints = self.fingerprint.split(BATCH_SEPARATOR)
        if len(run_ids) != len(fingerprints):
            raise ValueError(f"{len(run_ids)} run ids but {len(fingerprints)} fingerprints")
        return list(zip(run_ids, fingerprints, strict=True))

    def requires(self):
        return SubjectLookup()

    def output(self):
        targets = [luigi.LocalTarget(str(plr().run_dir(run_id, fingerprint)))
                   for run_id, fingerprint in self.runs()]
        return targets[0] if len(targets) == 1 else targets

    def run(self):
        from plr_luigi.extraction.run_extraction import extract_run
        from plr_luigi.extraction.subjects import read_lookup
        from plr_luigi.store.mlflow_store import run_page_url

        config = plr()
        listed = {d.run.run_id: d.run for d in run_decisions()}
        lookup = read_lookup(self.input().path)
        todo = [(run_id, Path(plr().run_dir(run_id, fingerprint)))
                for run_id, fingerprint in self.runs()]
        failures = []
        for done, (run_id, run_dir) in enumerate(todo):
            if run_dir.is_dir():
                continue  # extracted by an earlier attempt of this batch
            run = listed.get(run_id)
            name = f"ExtractRun {run.run_name if run else run_id}"
            try:
                if run is None:
                    raise BatchExtractionError(f"{name}: the run is no longer in the store listing")
                url = run_page_url(config.tracking_uri, run)
                if url:
                    self.set_tracking_url(url)
                with guarded(self, name) as progress:
                    extract_run(run, lookup, run_dir, config.scratch_dir(),
                                progress=_in_batch(progress, done, len(todo)))
            except Exception as err:  # the batch's other runs go on; raised below
                if len(todo) == 1:
                    raise
                logger.error("%s failed: %s", name, err)
                failures.append(str(err))
        if failures:
            raise BatchExtractionError(f"{len(failures)} of {len(todo)} runs of the batch could "
                                       "not be extracted (the others were): "
                                       + "; ".join(failures))


def _in_batch(progress, index: int, n_runs: int):
    """progress(stage, percent) of the index-th of n_runs runs, as the batch's progress."""
    if n_runs == 1:
        return progress

    def report(stage: str, percent: int) -> None:
        progress(f"run {index + 1} of {n_runs}: {stage}", (100 * index + percent) // n_runs)

    return report
