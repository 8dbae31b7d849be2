"""The run decisions of the configured store (what to extract, skip or report as failed),
listed once per process; listing takes the data folder's build lock."""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import signal
import threading
from functools import lru_cache
from pathlib import Path

import luigi.worker

from plr_luigi.filesystem.lock_files import hold_build_lock
from plr_luigi.store.run_decisions import RunDecision, decide_runs
from plr_luigi.store.run_list_cache import cached_run_list
from plr_luigi.store.transient import call_with_backoff
from plr_luigi.store.upstream_run_decisions import UPSTREAM_PARSERS
from plr_luigi.study.configs import standard_pipeline_configurations
from plr_luigi.study.factors import load_factor_registry
from plr_luigi.tasks.extraction_modules import load_extraction_modules
from plr_luigi.tasks.settings import StoreRetrySettings, plr
from plr_luigi.tasks.termination import end_build_on_sigterm

logger = logging.getLogger(__name__)


def luigi_worker_threads() -> list[threading.Thread]:
    """The keep-alive threads of this process's Luigi workers: they end when the build does."""
    return [t for t in threading.enumerate() if isinstance(t, luigi.worker.KeepAliveThread)]


@lru_cache(maxsize=8)
def _decisions(tracking_uri: str, experiment: str, cache: Path,
               keep_subject_codes: bool) -> tuple[RunDecision, ...]:
    _list_ahead(tracking_uri, {experiment: cache, **{
        e: plr().run_list_cache_path(e) for e in UPSTREAM_PARSERS}})
    retry = StoreRetrySettings()
    runs = call_with_backoff(lambda: cached_run_list(tracking_uri, experiment, cache),
                             f"listing the runs of {experiment} in {tracking_uri}",
                             retry.attempts, retry.first_delay_seconds)
    if not keep_subject_codes:
        # With a source database the lookup never needs the runs' original codes (~200 per
        # run): held for the whole build they made its memory grow with the runs.
        runs = [dataclasses.replace(run, subject_codes=frozenset()) for run in runs]
    return tuple(decide_runs(runs, load_factor_registry(), standard_pipeline_configurations()))


def hold_this_builds_lock() -> None:
    """Take the data folder's build lock for this build (plr_luigi.filesystem.lock_files), waiting
    while another build holds it, and from then on answer SIGTERM by ending the build cleanly
    (plr_luigi.tasks.termination); a no-op outside a build and once held."""
    workers = luigi_worker_threads()
    hold_build_lock(Path(plr().data_dir), workers)
    if workers:
        end_build_on_sigterm()


def run_decisions() -> tuple[RunDecision, ...]:
    """What to do with each run of the configured experiment: listed once per process, since
    Luigi asks requires() and complete() repeatedly. The first call takes the data folder's
    build lock (plr_luigi.filesystem.lock_files): a concurrent build waits here."""
    config = plr()
    if not config.tracking_uri:
        raise RuntimeError("no MLflow store is configured ([plr] tracking_uri is empty) and "
                           "the results database does not exist: nothing to build it from")
    hold_this_builds_lock()
    return _decisions(config.tracking_uri, config.experiment, config.run_list_cache_path(),
                      keep_subject_codes=not config.source_db)


def _list_ahead(tracking_uri: str, caches: dict[str, Path]) -> None:
    """A build's first look at a file store that changed since its run lists were cached
    (caches: experiment -> cache file): a child process lists the experiments and writes their
    caches while this process loads the extraction's libraries, which it needs next whenever
    the change brings runs to extract (nearly always: runs are added or finish); the listings
    then read the caches. One core did both, one after the other: ~0.4 s and ~0.8 s of each
    build that extracts (BENCHMARKS.md §2).
    Not for a SQLite store or a tracking server: listing those imports mlflow, which the
    forked extraction tasks would then each import again."""
    from plr_luigi.store.mlflow_store import StoreError, file_store_root
    from plr_luigi.store.run_list_cache import stale_run_lists

    if not luigi_worker_threads() or multiprocessing.current_process().daemon:
        # not a build (status, invalidate: it may have nothing to extract), or a process that
        # may not have children (a pool's worker)
        return
    try:
        if file_store_root(tracking_uri) is None:
            return
    except StoreError:
        return  # the listing below says what is wrong with the store
    stale = stale_run_lists(tracking_uri, caches)
    if not stale:
        return
    child = multiprocessing.get_context("fork").Process(
        target=_write_run_lists, name="plr-list-store", daemon=True,
        args=(tracking_uri, {e: caches[e] for e in stale}))
    child.start()
    try:
        load_extraction_modules()
        child.join()
    finally:
        # Interrupted (SIGTERM): the child must not outlive the build, whose lock descriptor
        # it inherited. A no-op once it has ended.
        child.terminate()
        child.join()


def _write_run_lists(tracking_uri: str, caches: dict[str, Path]) -> None:
    """The child of _list_ahead: each experiment's run list into its cache."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the build's handler: just end
    for experiment, cache in caches.items():
        try:
            cached_run_list(tracking_uri, experiment, cache)
        except Exception:  # the build's own listing of it, next, reports the error
            continue


def clear_run_decisions_cache() -> None:
    """Forget the decisions listed so far: the next run_decisions() lists the store again."""
    _decisions.cache_clear()
    _upstream.cache_clear()


@lru_cache(maxsize=8)
def _upstream(tracking_uri: str, experiment: str, cache: Path) -> tuple[RunDecision, ...]:
    from plr_luigi.store.mlflow_store import StoreError
    from plr_luigi.store.upstream_run_decisions import decide_upstream_runs

    try:
        runs = cached_run_list(tracking_uri, experiment, cache)
    except StoreError as err:
        # a store without the upstream experiments: the outputs built on them say so
        logger.warning("upstream experiment %s not read: %s", experiment, err)
        return ()
    return tuple(decide_upstream_runs(runs, experiment))


def upstream_decisions(experiment: str) -> tuple[RunDecision, ...]:
    """What to do with each run of an upstream experiment (PLR_OutlierDetection,
    PLR_Imputation), listed once per process after the classification runs (and their lock)."""
    config = plr()
    run_decisions()
    return _upstream(config.tracking_uri, experiment, config.run_list_cache_path(experiment))
