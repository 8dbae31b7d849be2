"""Extracting a batch of runs in one process, one after the other, each into its own directory.

A batch is what one ExtractRun or ExtractUpstreamRun task hands over ([extraction]
batch_size). Each run keeps its own atomic directory, so a killed batch resumes with the runs
it had not finished, and a run that cannot be extracted (stall, memory limit, store error) does
not keep the others of its batch from being extracted: the batch then fails naming it, and
Luigi retries it. (Bad data is not such a failure: extract_run records it in the run's
directory.)

With several workers the batches of one kind help each other: a batch whose own runs are done
goes on with the runs of that kind no other process has extracted or is extracting, from the
end of the list (the other batches work from their start), so that the workers finish
together instead of one waiting on the last batch; a batch whose runs were all extracted so
completes at once. Each run is claimed (an flock on its folder) while it is extracted: no run
is extracted twice.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from plr_luigi.extraction.run_extraction import discard_if_damaged
from plr_luigi.filesystem.atomic import named_when_disk_full
from plr_luigi.filesystem.lock_files import folder_claim
from plr_luigi.store.mlflow_store import RunSummary

logger = logging.getLogger(__name__)

Progress = Callable[[str, int], None]


class BatchExtractionError(RuntimeError):
    """Runs of a batch that could not be extracted (not bad data, which is recorded per run)."""


@dataclasses.dataclass(frozen=True)
class BatchOutcome:
    """What a batch that ended did: of its own runs, how many it extracted (the others were
    extracted already, by an earlier attempt or a batch helping it); and how many runs of other
    batches it extracted, helping them."""
    own: int
    extracted: int
    helped: int

    def summary(self) -> str:
        """The batch's last status message in luigid."""
        text = f"extracted {self.extracted} of its {_runs(self.own)}"
        if self.extracted < self.own:
            text += f"; {_runs(self.own - self.extracted)} extracted already or by a batch " \
                    "helping it"
        return text + (f"; helped other batches with {_runs(self.helped)}" if self.helped else "")


def _runs(n: int) -> str:
    return f"{n} run" if n == 1 else f"{n} runs"


def extract_batch(todo: list[tuple[str, Path]], listed: dict[str, RunSummary],
                  extract: Callable[[RunSummary, Path, Progress], object],
                  guard: Callable[[str], contextlib.AbstractContextManager[Progress]],
                  task_name: str, on_run: Callable[[RunSummary], None] = lambda run: None,
                  helping: Sequence[tuple[str, Path]] = ()) -> BatchOutcome:
    """Extract each (run id, run directory) of todo whose directory does not exist yet, or
    whose files differ from what was written into it (removed first: discard_if_damaged), by
    extract(run, run directory, progress), which writes the directory atomically.

    guard(name) runs one run's extraction under the task's limits and yields its progress
    callback; name is `task_name run-name` (task_name: the task family luigid shows). on_run(run)
    is called before each run (the task shows its MLflow page). A single
    run's error is raised as it is; in a batch of several the others go on and one
    BatchExtractionError names every run that failed. Returns what the batch did.

    helping: (run id, run directory) of runs of other batches, in the order to help with them
    once todo is done: each one that is neither extracted nor claimed by another process is
    extracted. Whichever batch holds a run's claim answers for it: a batch passes its own run
    while a helper extracts it (never waiting on it: a run whose read hangs holds one worker,
    not two), and a run that fails while helped fails the helper's batch, named as its own
    are."""
    failures, extracted, helped = [], 0, 0
    for done, (run_id, run_dir) in enumerate(todo):
        run = listed.get(run_id)
        name = f"{task_name} {run.run_name if run else run_id}"
        with folder_claim(run_dir.parent) as ours:
            if not ours:
                logger.info("%s: being extracted by a batch helping this one", name)
                continue
            discard_if_damaged(run_dir, name)
            if run_dir.is_dir():
                continue  # extracted by an earlier attempt of this batch, or a helping one
            try:
                if run is None:
                    raise BatchExtractionError(f"{name}: the run is no longer in the store "
                                               "listing")
                on_run(run)
                with guard(name) as progress, named_when_disk_full([run_dir]):
                    extract(run, run_dir, _in_batch(progress, done, len(todo)))
                extracted += 1
            except Exception as err:  # the batch's other runs go on; raised below
                if len(todo) == 1:
                    raise
                logger.error("%s failed: %s", name, err)
                failures.append(str(err))
    for run_id, run_dir in helping:
        run = listed.get(run_id)
        if run is None or run_dir.is_dir():
            continue  # its own batch says that it left the listing
        name = f"{task_name} {run.run_name}"
        with folder_claim(run_dir.parent) as ours:
            if not ours or run_dir.is_dir():
                continue  # being extracted, or just extracted, by another process
            try:
                on_run(run)
                with guard(name) as progress, named_when_disk_full([run_dir]):
                    extract(run, run_dir, _helping(progress))
                helped += 1
            except Exception as err:  # its own batch may have passed it: this one answers
                logger.error("%s failed while helping another batch: %s", name, err)
                failures.append(str(err))
    if failures:
        tried = len(failures) + extracted + helped
        raise BatchExtractionError(f"{len(failures)} of {tried} runs of the batch could not be "
                                   "extracted (the others were): " + "; ".join(failures))
    return BatchOutcome(own=len(todo), extracted=extracted, helped=helped)


def _helping(progress: Progress) -> Progress:
    """progress(stage, percent) of a run of another batch: this batch's own are done."""
    return lambda stage, percent: progress(f"helping another batch: {stage}", 100)


def _in_batch(progress: Progress, index: int, n_runs: int) -> Progress:
    """progress(stage, percent) of the index-th of n_runs runs, as the batch's progress."""
    if n_runs == 1:
        return progress

    def report(stage: str, percent: int) -> None:
        progress(f"run {index + 1} of {n_runs}: {stage}", (100 * index + percent) // n_runs)

    return report
