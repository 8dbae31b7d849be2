"""extract_batch's helping: once its own runs are done a batch extracts other batches' runs
that no process has extracted or is extracting, and no run is ever extracted twice (each is
claimed, an flock on its folder, while it is extracted). Real processes hold the claims."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import time
from pathlib import Path

import pytest

from plr_luigi.extraction.batch import BatchExtractionError, extract_batch
from plr_luigi.filesystem.lock_files import folder_claim
from plr_luigi.filesystem.manifest import write_manifest
from plr_luigi.store.mlflow_store import RunSummary


def _listed(run_ids) -> dict[str, RunSummary]:
    return {run_id: RunSummary(run_id=run_id, run_name=f"name-{run_id}", status="FINISHED",
                               lifecycle_stage="active", start_time=0, end_time=0,
                               artifact_uri="", synthetic=True, prevalence=None)
            for run_id in run_ids}


def _write_run_dir(run_dir: Path) -> None:
    """A complete run directory: a file and its manifest."""
    run_dir.mkdir(parents=True)
    (run_dir / "record.json").write_text("{}")
    write_manifest(run_dir)


@contextlib.contextmanager
def _no_guard(_name):
    yield lambda stage, percent: None


def _run_dir(root: Path, run_id: str) -> Path:
    return root / run_id / "fingerprint"


def _extractor(root: Path, fail: set[str] = frozenset(), seconds: float = 0.0):
    """extract(run, run_dir, progress): writes the run's directory and one marker file per
    call, named after the extracting process, into the run's folder."""

    def extract(run, run_dir: Path, progress) -> None:
        (run_dir.parent / f"extracted-by-{os.getpid()}-{time.monotonic_ns()}").touch()
        if run.run_id in fail:
            raise OSError(f"store unreachable for {run.run_id}")
        time.sleep(seconds)
        _write_run_dir(run_dir)

    return extract


def _extractions(root: Path, run_id: str) -> list[Path]:
    return sorted((root / run_id).glob("extracted-by-*"))


def test_a_batch_helps_with_other_runs_once_its_own_are_done(tmp_path, caplog):
    own, others = ["a1", "a2"], ["b3", "b2", "b1"]
    _write_run_dir(_run_dir(tmp_path, "b2"))  # extracted already: left alone
    done = []

    def extract(run, run_dir, progress):
        done.append(run.run_id)
        _extractor(tmp_path, fail={"b1"})(run, run_dir, progress)

    # A helped run that cannot be extracted fails the helper's batch, named: its own batch may
    # have passed it while this one held it.
    with caplog.at_level(logging.ERROR), \
            pytest.raises(BatchExtractionError, match=r"1 of 4 runs of the batch could not be "
                                                      r"extracted.*store unreachable for b1"):
        extract_batch([(r, _run_dir(tmp_path, r)) for r in own], _listed(own + others), extract,
                      _no_guard, "extraction.ExtractRun",
                      helping=[(r, _run_dir(tmp_path, r)) for r in others])
    assert done == ["a1", "a2", "b3", "b1"]  # its own first, then the helped runs in order
    assert not _run_dir(tmp_path, "b1").exists() and _run_dir(tmp_path, "b3").is_dir()
    assert "extraction.ExtractRun name-b1 failed while helping another batch" in caplog.text


def test_an_own_run_failing_still_fails_the_batch_after_it_helped(tmp_path):
    own, others = ["a1", "a2"], ["b1"]
    with pytest.raises(BatchExtractionError, match="1 of 3 runs of the batch could not"):
        extract_batch([(r, _run_dir(tmp_path, r)) for r in own], _listed(own + others),
                      _extractor(tmp_path, fail={"a2"}), _no_guard, "extraction.ExtractRun",
                      helping=[(r, _run_dir(tmp_path, r)) for r in others])
    assert _run_dir(tmp_path, "b1").is_dir()


def test_a_batch_says_what_it_did(tmp_path):
    own, others = ["a1", "a2", "a3"], ["b1", "b2"]
    _write_run_dir(_run_dir(tmp_path, "a2"))  # extracted by an earlier attempt
    outcome = extract_batch([(r, _run_dir(tmp_path, r)) for r in own], _listed(own + others),
                            _extractor(tmp_path), _no_guard, "x",
                            helping=[(r, _run_dir(tmp_path, r)) for r in others])
    assert (outcome.own, outcome.extracted, outcome.helped) == (3, 2, 2)
    assert outcome.summary() == ("extracted 2 of its 3 runs; 1 run extracted already or by a "
                                 "batch helping it; helped other batches with 2 runs")


def _hold_claim(folder: Path, ready, release, run_dir: Path) -> None:
    with folder_claim(folder) as ours:
        assert ours  # nobody else claims it
        ready.set()
        release.wait(30)
        _write_run_dir(run_dir)  # the holder extracted it


def test_a_claimed_run_is_passed_by_helpers_and_by_its_own_batch(tmp_path):
    """A run another process is extracting (here: holding it until released, as a read that
    hangs would) is that process's to answer for: neither a helper nor the run's own batch
    waits on it, so one stuck run holds one worker, not two."""
    context = multiprocessing.get_context("fork")
    ready, release = context.Event(), context.Event()
    claimed = _run_dir(tmp_path, "b1")
    holder = context.Process(target=_hold_claim, args=(claimed.parent, ready, release, claimed))
    holder.start()
    try:
        assert ready.wait(30)
        started = time.monotonic()
        extract_batch([], _listed(["b1"]), _extractor(tmp_path), _no_guard, "x",
                      helping=[("b1", claimed)])
        outcome = extract_batch([("b1", claimed)], _listed(["b1"]), _extractor(tmp_path),
                                _no_guard, "x")
        assert time.monotonic() - started < 5  # the holder holds it for up to 30 s
        # What luigid shows for it: it did nothing, and why.
        assert outcome.summary() == "extracted 0 of its 1 run; 1 run extracted already or by " \
                                    "a batch helping it"
        assert _extractions(tmp_path, "b1") == [] and not claimed.exists()
        release.set()
        holder.join(30)
        assert holder.exitcode == 0 and claimed.is_dir()  # the holder answered for it
    finally:
        release.set()
        holder.join(30)


def _batch(root: Path, own: list[str], helping: list[str], every: list[str],
           seconds: float) -> None:
    extract_batch([(r, _run_dir(root, r)) for r in own], _listed(every),
                  _extractor(root, seconds=seconds), _no_guard, "x",
                  helping=[(r, _run_dir(root, r)) for r in helping])


def test_batches_helping_each_other_extract_every_run_exactly_once(tmp_path):
    """Four batches of a kind in four processes, each helping with every other run from the
    end, as the tasks order them; the last batch slow (0.3 s a run, the others 0.01 s): every
    run extracted, none twice, and the slow batch's last run by another."""
    runs = [f"r{k:02d}" for k in range(24)]
    batches = [runs[k:k + 6] for k in range(0, 24, 6)]
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_batch, args=(
        tmp_path, own, [r for r in reversed(runs) if r not in own], runs,
        0.3 if own is batches[-1] else 0.01)) for own in batches]
    for process in reversed(processes):  # the slow one first
        process.start()
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    assert all(_run_dir(tmp_path, r).is_dir() for r in runs)
    assert {r: len(_extractions(tmp_path, r)) for r in runs} == {r: 1 for r in runs}
    # The slow batch's last run (1.5 s into its own list) was extracted by a helper.
    assert _extractions(tmp_path, runs[-1])[0].name.split("-")[2] != str(processes[-1].pid)
