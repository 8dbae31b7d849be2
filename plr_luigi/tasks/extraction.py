"""The extraction tasks: SubjectLookup (private), ExtractRun (one per classification run) and
ExtractUpstreamRun (one per outlier-detection or imputation run), both run in batches, and
OutlierDifficultySubjects (private, from the source database)."""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

import luigi
from luigi.worker import TaskProcess

from plr_luigi.filesystem.atomic import atomic_paths
from plr_luigi.filesystem.manifest import stat_problem
from plr_luigi.store.run_decisions import EXTRACT, run_fingerprint
from plr_luigi.store.upstream_run_decisions import IMPUTATION_EXPERIMENT, UPSTREAM_PARSERS
from plr_luigi.tasks.base import RunOnceTask, guarded, tell_scheduler
from plr_luigi.tasks.settings import ExtractionSettings, plr
from plr_luigi.tasks.store_listing import run_decisions, upstream_decisions

logger = logging.getLogger(__name__)

# Computation modules (pandas, pyarrow) are imported inside run(): a build with nothing
# to do never loads them.

# Luigi joins the parameters of a batch of extraction tasks with this (run ids and
# fingerprints are hex strings: it cannot occur in them).
BATCH_SEPARATOR = ","
UPSTREAM_EXPERIMENTS = tuple(UPSTREAM_PARSERS)


def batch_members(run_ids: str, fingerprints: str) -> list[tuple[str, str]]:
    """(run id, fingerprint) of each run of an extraction task: one, or a batch."""
    ids, prints = run_ids.split(BATCH_SEPARATOR), fingerprints.split(BATCH_SEPARATOR)
    if len(ids) != len(prints):
        raise ValueError(f"{len(ids)} run ids but {len(prints)} fingerprints")
    return list(zip(ids, prints, strict=True))


def helping_order(own: list[tuple[str, str]], kind: list[tuple[str, Path]]
                  ) -> list[tuple[str, Path]]:
    """The runs of one kind (run id, directory; in the listing's order) a batch helps with once
    its own are done: with several workers, the others, last first (plr_luigi.extraction.batch:
    each batch works from its start, so helpers meet the batch they help near its end);
    none where this task runs alone in the build's process (one worker), which takes every batch
    in turn anyway."""
    if not isinstance(multiprocessing.current_process(), TaskProcess):
        return []
    mine = {run_id for run_id, _ in own}
    return [(run_id, run_dir) for run_id, run_dir in reversed(kind) if run_id not in mine]


def left_to_extract(run_dirs: Iterable[Path]) -> int:
    """How many of the runs' directories do not exist yet: what the batches of a build share
    out (a rebuild after a few new runs splits those, not the whole store, over the cores)."""
    return sum(not run_dir.is_dir() for run_dir in run_dirs)


def one_or_list(targets: list[luigi.LocalTarget]):
    """A task of one run has one target; a batch, the list of its runs' targets."""
    return targets[0] if len(targets) == 1 else targets


class SubjectLookup(RunOnceTask):
    """Reads the source database (or, without one, the runs' subject codes); writes the private
    original -> public code lookup. Complete while the lookup maps every subject of its
    source: a subject that appears later (a new run's, the source database's) is added to it
    with the next code of its class, and no subject already coded is coded again
    (subjects.extend_lookup).

    A lookup is made anew only where no run was extracted with an earlier one: the codes of a
    new lookup can differ from the old one's, and the runs extracted with it would keep codes
    that no longer map back. Those runs are removed with the lookup by `plr-luigi invalidate
    extraction.SubjectLookup --downstream`."""

    task_namespace = "extraction"

    def output(self):
        return luigi.LocalTarget(str(plr().lookup_path()))

    def complete(self):
        from plr_luigi.extraction.subject_sources import mapped_codes

        path = Path(self.output().path)
        if not path.is_file():
            return False
        source_db = Path(plr().source_db) if plr().source_db else None
        if source_db is not None and (not source_db.is_file() or
                                      source_db.stat().st_mtime_ns <= path.stat().st_mtime_ns):
            # Written after the source database last changed: it maps its subjects. Reading
            # them (a scan of every sample) at each build would cost a build with nothing to
            # do ~0.1 s on the demo store, more on the study's. A missing source database is
            # named by the tasks that read it.
            return True
        return _subject_codes_of_source() <= mapped_codes(path)

    def run(self):
        import pandas as pd

        from plr_luigi.extraction.subjects import (
            build_lookup,
            extend_lookup,
            read_labelled_subjects,
            subjects_from_codes,
        )

        config = plr()
        if config.source_db:
            subjects = read_labelled_subjects(Path(config.source_db))
        else:
            subjects = subjects_from_codes(_subject_codes_of_source())
        path = Path(self.output().path)
        if path.is_file():
            lookup = extend_lookup(pd.read_csv(path, dtype=str), subjects)
        else:
            _refuse_to_code_extracted_runs_again()
            lookup = build_lookup(subjects)
        with atomic_paths({"lookup": path}) as tmp:  # replaces the lookup it extends
            lookup.to_csv(tmp["lookup"], index=False)


def _subject_codes_of_source() -> frozenset[str]:
    """The original codes the lookup must map: the source database's labelled subjects, or
    without one every code in the runs' params."""
    from plr_luigi.extraction.subject_sources import labelled_codes

    config = plr()
    if config.source_db:
        return labelled_codes(Path(config.source_db))
    return frozenset(code for d in run_decisions() for code in d.run.subject_codes)


def _refuse_to_code_extracted_runs_again() -> None:
    """Classification and imputation runs carry public codes; outlier-detection runs none."""
    config = plr()
    folders = [config.runs_dir(), config.upstream_dir() / IMPUTATION_EXPERIMENT]
    extracted = [run for folder in folders for run in folder.glob("*/*")
                 if run.is_dir() and not run.name.startswith(".")]
    if extracted:
        raise RuntimeError(
            f"the subject lookup is missing, but {len(extracted)} runs were extracted with one "
            f"(under {config.data_dir}): a new lookup could code their subjects differently. "
            "Remove them with it (`plr-luigi invalidate extraction.SubjectLookup "
            "--downstream`), or restore the lookup file")


class RunFolderTask(RunOnceTask):
    """A task whose targets are run directories, each with the manifest of its files
    (plr_luigi.filesystem.manifest). Complete while every directory exists and each file has
    the size and time recorded when it was written: a file truncated or rewritten since makes the
    task incomplete, and its run() removes that directory and extracts the run again
    (discard_if_damaged). Stat calls only: cheap for every run of a large store."""

    def complete(self):
        return all(stat_problem(Path(t.path)) is None for t in luigi.task.flatten(self.output()))


class ExtractRun(RunFolderTask):
    """Reads one classification run (params and metrics pickle, never the model pickle);
    writes its anonymised rows of every per-run table in one directory.

    The scheduler hands out ExtractRun tasks in batches ([extraction] batch_size): one task
    whose parameters list several runs, extracted one after the other in one process
    (plr_luigi.extraction.batch), so that a worker process and a scheduling round serve many
    runs. With several workers a batch whose runs are done helps with other batches' runs.
    """

    task_namespace = "extraction"

    run_id = luigi.Parameter(description="MLflow run id of a classification run",
                             batch_method=BATCH_SEPARATOR.join)
    fingerprint = luigi.Parameter(
        description="run_decisions.run_fingerprint of the run: a run changed in the store "
                    "(finished later, renamed, deleted) or a changed table schema gets a new "
                    "target",
        batch_method=BATCH_SEPARATOR.join)

    # At most [resources] store_reader extraction batches read the store at once (luigi.cfg).
    resources: ClassVar[dict[str, int]] = {"store_reader": 1}

    @property
    def max_batch_size(self) -> int:  # read by Luigi's worker when it registers the batcher
        return ExtractionSettings().runs_per_task(left_to_extract(
            run_dir for _, run_dir in classification_run_dirs()))

    def runs(self) -> list[tuple[str, str]]:
        """(run id, fingerprint) of each run this task extracts: one, or a batch."""
        return batch_members(self.run_id, self.fingerprint)

    def requires(self):
        return SubjectLookup()

    def output(self):
        return one_or_list([luigi.LocalTarget(str(plr().run_dir(run_id, fingerprint)))
                            for run_id, fingerprint in self.runs()])

    def run(self):
        from plr_luigi.extraction.batch import extract_batch
        from plr_luigi.extraction.run_extraction import extract_run
        from plr_luigi.extraction.subjects import read_lookup
        from plr_luigi.store.mlflow_store import run_page_url

        config = plr()
        listed = {d.run.run_id: d.run for d in run_decisions()}
        lookup, scratch_dir = read_lookup(self.input().path), config.scratch_dir()

        def show_run_page(run) -> None:
            url = run_page_url(config.tracking_uri, run)
            if url:
                tell_scheduler(self, lambda: self.set_tracking_url(url))

        outcome = extract_batch(
            [(run_id, config.run_dir(run_id, fingerprint)) for run_id, fingerprint in self.runs()],
            listed, lambda run, run_dir, progress: extract_run(run, lookup, run_dir, scratch_dir,
                                                               progress=progress),
            guard=lambda name: guarded(self, name), task_name=self.task_family,
            on_run=show_run_page, helping=helping_order(self.runs(), classification_run_dirs()))
        # Also a batch whose runs a helping batch took, which has shown nothing else in luigid.
        tell_scheduler(self, lambda: self.set_status_message(outcome.summary()))


def upstream_run_dir(experiment: str, run_id: str, fingerprint: str) -> Path:
    """PRIVATE: an imputation run's directory holds per-subject signals."""
    return plr().upstream_dir() / experiment / run_id / fingerprint


def classification_run_dirs() -> list[tuple[str, Path]]:
    """(run id, directory) of every classification run the build extracts, in the listing's
    order."""
    config = plr()
    return [(d.run.run_id, config.run_dir(d.run.run_id, run_fingerprint(d.run)))
            for d in run_decisions() if d.outcome == EXTRACT]


def upstream_run_dirs(experiment: str) -> list[tuple[str, Path]]:
    """(run id, directory) of every run of an upstream experiment the build extracts, in the
    listing's order."""
    return [(d.run.run_id, upstream_run_dir(experiment, d.run.run_id, run_fingerprint(d.run)))
            for d in upstream_decisions(experiment) if d.outcome == EXTRACT]


def run_label(listed: dict, run_id: str) -> str:
    """`run <name> (<id>)` of a listed run, `run <id>` of another."""
    run = listed.get(run_id)
    return f"run {run.run_name} ({run_id})" if run else f"run {run_id}"


class ExtractUpstreamRun(RunFolderTask):
    """Reads one outlier-detection or imputation run (metrics; an imputation run's pickle);
    writes its public quality rows and, for imputation, its anonymised reconstructed signals
    as Parquet files in one private directory.

    Handed out in batches of one experiment, as ExtractRun is (and, with several workers,
    helping the experiment's other batches): with several workers Luigi forks a process per
    task, and a fresh process pays for every page it touches (one fork per run cost 1.5x the
    CPU of the same runs in the scheduling process; BENCHMARKS.md)."""

    task_namespace = "extraction"

    experiment = luigi.ChoiceParameter(choices=UPSTREAM_EXPERIMENTS,
                                       description="the run's upstream experiment (a batch "
                                                   "holds runs of one experiment)")
    run_id = luigi.Parameter(description="MLflow run id", batch_method=BATCH_SEPARATOR.join)
    fingerprint = luigi.Parameter(description="run_decisions.run_fingerprint of the run",
                                  batch_method=BATCH_SEPARATOR.join)

    resources: ClassVar[dict[str, int]] = {"store_reader": 1}

    @property
    def max_batch_size(self) -> int:  # read by Luigi's worker when it registers the batcher
        return ExtractionSettings().runs_per_task(left_to_extract(
            run_dir for e in UPSTREAM_EXPERIMENTS for _, run_dir in upstream_run_dirs(e)))

    def runs(self) -> list[tuple[str, str]]:
        """(run id, fingerprint) of each run this task extracts: one, or a batch."""
        return batch_members(self.run_id, self.fingerprint)

    def requires(self):
        # Outlier-detection runs hold no subject codes: with several workers their batches
        # start while the lookup is made.
        return SubjectLookup() if self.experiment == IMPUTATION_EXPERIMENT else []

    def output(self):
        return one_or_list([luigi.LocalTarget(str(upstream_run_dir(self.experiment, run_id,
                                                                   fingerprint)))
                            for run_id, fingerprint in self.runs()])

    def run(self):
        import pandas as pd

        from plr_luigi.extraction.batch import extract_batch
        from plr_luigi.extraction.upstream_extraction import extract_upstream_run

        config = plr()
        lookup = (pd.read_csv(self.input().path, dtype={"original_code": str})
                  if self.experiment == IMPUTATION_EXPERIMENT else None)
        scratch_dir = config.scratch_dir()
        listed = {d.run.run_id: d.run for d in upstream_decisions(self.experiment)}
        outcome = extract_batch(
            [(run_id, upstream_run_dir(self.experiment, run_id, fingerprint))
             for run_id, fingerprint in self.runs()], listed,
            lambda run, run_dir, progress: extract_upstream_run(
                config.tracking_uri, self.experiment, run.run_id, lookup, run_dir, scratch_dir,
                progress=progress),
            guard=lambda name: guarded(self, name),
            task_name=f"{self.task_family} {self.experiment}",
            helping=helping_order(self.runs(), upstream_run_dirs(self.experiment)))
        tell_scheduler(self, lambda: self.set_status_message(outcome.summary()))


def upstream_extractions() -> list[ExtractUpstreamRun]:
    """One task per upstream run to extract (MergeToDuckDB requires them)."""
    return [ExtractUpstreamRun(experiment=e, run_id=d.run.run_id,
                               fingerprint=run_fingerprint(d.run))
            for e in UPSTREAM_EXPERIMENTS for d in upstream_decisions(e) if d.outcome == EXTRACT]


class OutlierDifficultySubjects(RunOnceTask):
    """Reads the PRIVATE source database and subject lookup; writes the per-subject easy/hard
    outlier counts under public codes (PRIVATE: data/private/outlier_difficulty_subjects.csv)."""

    task_namespace = "extraction"

    def requires(self):
        return SubjectLookup()

    def output(self):
        return luigi.LocalTarget(str(Path(plr().data_dir) / "private"
                                     / "outlier_difficulty_subjects.csv"))

    def run(self):
        import pandas as pd

        from plr_luigi.extraction.outlier_difficulty import per_subject_difficulty

        lookup = pd.read_csv(self.input().path, dtype={"original_code": str})
        subjects = per_subject_difficulty(Path(plr().source_db), lookup)
        with self.output().temporary_path() as tmp:
            subjects.to_csv(tmp, index=False)
