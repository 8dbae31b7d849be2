"""Watching a build: heartbeat lines, memory of a process tree, and guards around one task.

Lesson 2: a 6-hour extraction printed nothing and a 24-hour one hung unnoticed; lesson 1: one
grew to 13.4 GB and swapped for 21 hours. Here:
- `format_heartbeat` turns counts and timings into one readable line (rate, ETA, memory);
- `TaskGuard` runs a block under a memory limit and a stall timeout: a thread samples the
  process's resident memory every `sample_seconds` and the time since the block last reported
  progress; over either limit it interrupts the main thread with a signal (which also breaks
  a blocking system call such as `open()` of a FIFO) and the block raises MemoryLimitError
  or StallError with a message naming the task, the figure and the limit.

One watching thread serves every guard of a process, one block after another (an extraction
batch guards each of its runs). A thread started and joined per block cost a two-worker
paper-size build ~0.5 s of its ~10: `Thread.start()` and `join()` each wait for the new
thread to be scheduled, and with both cores busy with the two workers' tasks the main thread
sat idle meanwhile, twice per run (BENCHMARKS.md §2).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from dataclasses import dataclass

import psutil

logger = logging.getLogger(__name__)

MB = 2**20


class MemoryLimitError(RuntimeError):
    """The task's resident memory crossed its configured limit."""


class StallError(RuntimeError):
    """The task reported no progress for longer than its stall timeout."""


def tree_rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process and all its descendants, in MB (0 for a vanished one)."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            continue  # ended between listing and sampling
    return total / MB


def process_rss_mb() -> float:
    return _SELF.memory_info().rss / MB


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    elapsed: float  # seconds since the heartbeat started
    done_at_start: int  # finished before this build started (resumed runs): not in the rate

    @property
    def rate_per_min(self) -> float | None:
        new = self.done - self.done_at_start
        return new / self.elapsed * 60 if new > 0 and self.elapsed > 0 else None

    @property
    def eta_seconds(self) -> float | None:
        rate = self.rate_per_min
        if self.done >= self.total:
            return 0.0
        return (self.total - self.done) / rate * 60 if rate else None


def format_heartbeat(progress: Progress, rss_mb: float, stage: str) -> str:
    """One heartbeat line, e.g. `extraction: 120/410 runs (29%), 31.2 runs/min, ETA 9m18s,
    elapsed 3m51s, RSS 412 MB`."""
    percent = 100 * progress.done / progress.total if progress.total else 100.0
    rate = progress.rate_per_min
    eta = progress.eta_seconds
    return (f"{stage}: {progress.done}/{progress.total} runs ({percent:.0f}%), "
            f"{f'{rate:.1f} runs/min' if rate else 'rate n/a'}, "
            f"ETA {_duration(eta) if eta is not None else 'n/a'}, "
            f"elapsed {_duration(progress.elapsed)}, RSS {rss_mb:.0f} MB")


class TaskGuard:
    """`with TaskGuard(name, memory_limit_mb, stall_seconds) as guard:` ... `guard.progress(s)`.

    Must be entered in the main thread (where Luigi runs a task's run(), in the scheduling
    process or in its child): only the main thread can be interrupted. A limit of 0 is off.
    The first guard of a process installs the signal handler that interrupts the block, for
    good: a signal sent just before a block ended must find it, not the default action (which
    ends the process).
    """

    _SIGNAL = signal.SIGUSR2

    def __init__(self, name: str, memory_limit_mb: float, stall_seconds: float,
                 sample_seconds: float = 0.1):
        self.name = name
        self.memory_limit_mb = memory_limit_mb
        self.stall_seconds = stall_seconds
        self.sample_seconds = sample_seconds
        self.stage = "starting"
        self.peak_mb = 0.0
        self._last_progress = time.monotonic()
        self._problem: Exception | None = None
        self._watched = False

    def progress(self, stage: str) -> None:
        self.stage = stage
        self._last_progress = time.monotonic()

    def __enter__(self) -> TaskGuard:
        if not (self.memory_limit_mb or self.stall_seconds):
            return self
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("TaskGuard must run in the main thread")
        _WATCHER.watch(self)
        self._watched = True
        return self

    def sample(self) -> Exception | None:
        """The watcher's look at the block: its memory and time since progress; the problem
        it found, if any."""
        rss = _SELF.memory_info().rss / MB
        self.peak_mb = max(self.peak_mb, rss)
        idle = time.monotonic() - self._last_progress
        if self.memory_limit_mb and rss > self.memory_limit_mb:
            return MemoryLimitError(
                f"{self.name}: resident memory {rss:.0f} MB crossed the limit of "
                f"{self.memory_limit_mb:.0f} MB (stage: {self.stage}); stopped")
        if self.stall_seconds and idle > self.stall_seconds:
            return StallError(
                f"{self.name}: no progress for {idle:.0f} s (limit {self.stall_seconds:g} s, "
                f"stuck in stage: {self.stage}); stopped")
        return None

    def __exit__(self, exc_type, exc, tb):
        if not self._watched:
            return False
        _WATCHER.unwatch(self)
        if self._problem is not None and exc is not self._problem:
            # The signal arrived after the block ended (or the block swallowed it).
            raise self._problem
        return False


class _Watcher:
    """The thread that samples the guarded block of its process, and the signal handler by
    which it interrupts the block. `current` is the main thread's own view of its block (the
    handler runs in the main thread); `_guard`, under the condition, the watching thread's."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._guard: TaskGuard | None = None
        self._thread: threading.Thread | None = None
        self.current: TaskGuard | None = None

    def watch(self, guard: TaskGuard) -> None:
        if self.current is not None:
            # One block at a time: an inner block's end would leave the outer one unwatched.
            raise RuntimeError(f"TaskGuard {guard.name!r} entered within {self.current.name!r}")
        if signal.getsignal(TaskGuard._SIGNAL) != self._interrupt:
            signal.signal(TaskGuard._SIGNAL, self._interrupt)
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="plr-task-guard",
                                            daemon=True)
            self._thread.start()
        # Sampled first, here: a block shorter than one interval is checked too (the watching
        # thread may not run before such a block ends).
        problem = guard.sample()
        if problem is not None:
            logger.error("%s", problem)
            guard._problem = problem
            raise problem
        self.current = guard
        with self._condition:
            self._guard = guard
            self._condition.notify()

    def unwatch(self, guard: TaskGuard) -> None:
        with self._condition:
            if self._guard is guard:
                self._guard = None
        self.current = None

    def _interrupt(self, _signum, _frame) -> None:
        guard = self.current
        if guard is not None and guard._problem is not None:
            raise guard._problem

    def _watch(self) -> None:
        main = threading.main_thread().ident
        while True:
            with self._condition:
                while self._guard is None:
                    self._condition.wait()
                guard = self._guard
            # Sampled outside the lock: the main thread never waits on a sample.
            problem = guard.sample()
            with self._condition:
                if self._guard is not guard:
                    continue  # the block ended meanwhile, within its limits
                if problem is not None:
                    guard._problem, self._guard = problem, None
                    logger.error("%s", problem)
                    signal.pthread_kill(main, TaskGuard._SIGNAL)
                else:
                    self._condition.wait(guard.sample_seconds)


# The process's own psutil handle (sampled ten times a second; a new one reads /proc each time).
_SELF = psutil.Process()
_WATCHER = _Watcher()


def _after_fork_in_child() -> None:
    """A fork has no watching thread (and may have been forked while it held its lock): the
    child starts its own at its first guard, with the handler it inherits."""
    global _SELF
    _SELF = psutil.Process()
    _WATCHER.__init__()


os.register_at_fork(after_in_child=_after_fork_in_child)
