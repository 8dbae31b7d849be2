"""Generate a synthetic MLflow store shaped like the study's real one.

    PYTHONPATH=. python -c "from pathlib import Path; from plr_luigi.synth import generate_store; \
print(generate_store(Path('data/synthetic'), size='demo'))"

Runs are built in worker processes (numerics and pickling dominate) and logged in order by
this process, so the result does not depend on the number of workers: every run draws from
its own random stream keyed by the seed and its name.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import pickle
import shutil
import tempfile
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from plr_luigi.synth import writer
from plr_luigi.synth.artifacts import build_run_payload, in_bag_mask
from plr_luigi.synth.cohort import Cohort, make_cohort
from plr_luigi.synth.design import (
    RunSpec,
    build_run_list,
    count_extracted_runs,
    count_valid_configurations,
    quirk_runs,
)
from plr_luigi.synth.pupil_traces import write_source_db
from plr_luigi.synth.registry import load_levels
from plr_luigi.synth.sizes import SIZES
from plr_luigi.synth.upstream_design import SHARED_IMPUTATION_PICKLES
from plr_luigi.synth.upstream_runs import UpstreamLinks, log_upstream

logger = logging.getLogger(__name__)

SOURCE_DB_NAME = "subjects.sqlite"
UPSTREAM_LINKS_NAME = "upstream_links.json"
MAX_WORKERS = 2


@dataclass(frozen=True)
class SynthSummary:
    tracking_uri: str
    experiment_name: str
    source_db: Path
    n_runs_logged: int  # classification runs, quirks included
    # runs extraction should keep: FINISHED, not deleted, valid levels, duplicates once
    n_valid_configurations: int
    # runs extraction should extract: those and the standard pipelines of an invalid level
    n_extracted_runs: int
    quirks: dict[str, list[str]]  # quirk kind -> run names
    # PLR_OutlierDetection / PLR_Imputation -> their runs' names, in logging order
    upstream_runs: dict[str, list[str]] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class _BuildContext:
    cohort: Cohort
    in_bag: np.ndarray
    seed: int
    n_boot: int
    model_bytes: int
    scratch: Path
    model_iterations: int | None


_context: _BuildContext | None = None


def _init_worker(context: _BuildContext) -> None:
    global _context
    _context = context


# params, metrics and (local pickle, artifact folder) pairs of one built run
BuiltRun = tuple[dict[str, str], dict[str, float], list[tuple[Path, str]]]


def _build_run(index: int, run: RunSpec) -> BuiltRun:
    """Build one run and write its pickles to scratch; returns params, metrics and files."""
    ctx = _context
    payload = build_run_payload(run, ctx.cohort, ctx.in_bag, ctx.seed, ctx.n_boot, ctx.model_bytes,
                                ctx.model_iterations)
    files = []
    for folder, (file_name, obj) in payload.pickles.items():
        local = ctx.scratch / str(index) / folder / file_name
        local.parent.mkdir(parents=True, exist_ok=True)
        with open(local, "wb") as fh:
            if isinstance(obj, bytes):  # pickled already (a model pickle in the study's shape)
                fh.write(obj)
            else:
                pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
        files.append((local, folder))
    return payload.params, payload.metrics, files


def _artifact_root(out_dir: Path, tracking_uri: str) -> Path | None:
    # A SQLite store would otherwise put artifacts under the caller's working directory;
    # a file store keeps them inside mlruns and a server decides for itself.
    return out_dir / "mlartifacts" if tracking_uri.startswith("sqlite:") else None


def _log_upstream_experiments(client, artifact_root: Path | None, cohort: Cohort, seed: int,
                              size: str, scratch: Path, levels) -> UpstreamLinks:
    """PLR_OutlierDetection, PLR_Imputation and PLR_Featurization, with their runs."""
    upstream_scratch = scratch / "upstream"
    upstream_scratch.mkdir()
    links = log_upstream(client, artifact_root, cohort, seed, size, upstream_scratch,
                         SHARED_IMPUTATION_PICKLES.get(size))
    writer.log_upstream_experiments(client, artifact_root, {
        "featurization_method": levels.featurization_valid})
    return links


def generate_store(out_dir: Path, size: str = "demo", seed: int = 42,
                   tracking_uri: str | None = None, n_runs: int | None = None,
                   n_bootstrap: int | None = None,
                   model_pickle_bytes: int | None = None,
                   runs: list[RunSpec] | None = None,
                   model_iterations: int | None = None,
                   onto_upstream: bool = False) -> SynthSummary:
    """Write the synthetic store (out_dir/mlruns, or `tracking_uri`) and out_dir/subjects.sqlite.
    `runs` (design.run_spec) replaces the standard run list: a store of any shape, for tests.
    `model_iterations`: trees per CatBoost model (default configs/models.yaml's, small).
    out_dir/upstream_links.json records the upstream runs the classification runs link to.
    `onto_upstream`: out_dir already holds a store generated with runs=[] at the same size and
    seed (a copy of one): its upstream experiments and subjects database are kept and only the
    classification runs are generated, into its empty classification experiment. Tests that
    generate many small stores share their upstream experiments (~600 MB at demo size) so."""
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose one of {sorted(SIZES)}")
    spec = SIZES[size]
    n_runs = spec.n_runs_target if n_runs is None else n_runs
    n_boot = spec.n_bootstrap if n_bootstrap is None else n_bootstrap
    model_bytes = spec.model_pickle_bytes if model_pickle_bytes is None else model_pickle_bytes
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    if tracking_uri is None:
        tracking_uri = str(out_dir / "mlruns")
        # checked before anything is written; other stores are checked per experiment
        if (not onto_upstream and Path(tracking_uri).exists()
                and any(Path(tracking_uri).iterdir())):
            raise ValueError(f"experiment store {tracking_uri} already exists; "
                             "generate into an empty folder")
    started = time.perf_counter()

    levels = load_levels()
    runs = build_run_list(levels, n_runs, seed) if runs is None else runs
    cohort = make_cohort(seed, spec.n_subjects)
    kept_links = UpstreamLinks.from_json((out_dir / UPSTREAM_LINKS_NAME).read_text(
        encoding="utf-8"), size, seed) if onto_upstream else None

    scratch = Path(tempfile.mkdtemp(prefix=".synth-", dir=out_dir))
    in_bag = in_bag_mask(seed, len(cohort.train_codes), n_boot)
    context = _BuildContext(cohort, in_bag, seed, n_boot, model_bytes, scratch, model_iterations)
    workers = max(1, min(MAX_WORKERS, os.cpu_count() or 1))
    # Forked before MLflow is touched here, and bounded to a few runs ahead so that scratch
    # never holds more than a handful of runs' pickles.
    executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                   initializer=_init_worker, initargs=(context,))
    pending: deque[Future] = deque()
    upcoming = iter(enumerate(runs))

    def submit_next() -> None:
        item = next(upcoming, None)
        if item is not None:
            pending.append(executor.submit(_build_run, *item))

    try:
        # written by a worker while this process logs runs
        source_db_future = None if kept_links is not None else executor.submit(
            write_source_db, cohort, out_dir / SOURCE_DB_NAME, seed)
        for _ in range(2 * workers):
            submit_next()
        client = writer.open_client(tracking_uri)
        artifact_root = _artifact_root(out_dir, tracking_uri)
        if kept_links is not None:
            links = kept_links
            exp_id = writer.empty_experiment(client, writer.CLASSIFICATION_EXPERIMENT)
        else:
            links = _log_upstream_experiments(client, artifact_root, cohort, seed, size,
                                              scratch, levels)
            (out_dir / UPSTREAM_LINKS_NAME).write_text(links.to_json(size, seed),
                                                       encoding="utf-8")
            exp_id = writer.create_experiment(client, writer.CLASSIFICATION_EXPERIMENT,
                                              artifact_root)
        for run in runs:
            params, metrics, files = pending.popleft().result()
            submit_next()
            params.update(links.classification_params(run.outlier, run.imputation))
            writer.log_classification_run(client, exp_id, run.name, params, metrics, files,
                                          run.status, run.deleted)
            for local, _ in files:
                local.unlink()
        source_db = (source_db_future.result() if source_db_future is not None
                     else out_dir / SOURCE_DB_NAME)
    finally:
        executor.shutdown(cancel_futures=True)
        shutil.rmtree(scratch, ignore_errors=True)

    summary = SynthSummary(tracking_uri, writer.CLASSIFICATION_EXPERIMENT, source_db, len(runs),
                           count_valid_configurations(runs, levels),
                           count_extracted_runs(runs, levels), quirk_runs(runs),
                           {e: [r.name for r in rs] for e, rs in links.runs.items()})
    logger.info("synthetic store: %d runs (%d valid configurations, %d bootstrap) in %.1f s -> %s",
                len(runs), summary.n_valid_configurations, n_boot, time.perf_counter() - started,
                tracking_uri)
    return summary
