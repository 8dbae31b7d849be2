"""Watching a build: heartbeat lines, memory of a process tree, and guards around one task.

Lesson 2: a 6-hour extraction printed nothing and a 24-hour one hung unnoticed; lesson 1: one
grew to 13.4 GB and swapped for 21 hours. Here:
- `format_heartbeat` turns counts and timings into one readable line (rate, ETA, memory);
- `TaskGuard` runs a block under a memory limit and a stall timeout: a thread samples the
  process's resident memory every `sample_seconds` and the time since the block last reported
  progress; over either limit it interrupts the main thread with a signal (which also breaks
  a blocking system call such as `open()` of a FIFO) and the block raises MemoryLimitError
  or StallError with a message naming the task, the figure and the limit.
"""

from __future__ import annotations

import logging
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
    return psutil.Process().memory_info().rss / MB


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
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._previous_handler = None

    def progress(self, stage: str) -> None:
        self.stage = stage
        self._last_progress = time.monotonic()

    def __enter__(self) -> TaskGuard:
        if not (self.memory_limit_mb or self.stall_seconds):
            return self
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("TaskGuard must run in the main thread")
        self._previous_handler = signal.signal(self._SIGNAL, self._raise_problem)
        self._thread = threading.Thread(target=self._watch, name=f"guard-{self.name}",
                                        daemon=True)
        self._thread.start()
        return self

    def _raise_problem(self, _signum, _frame):
        if self._problem is not None:
            raise self._problem

    def _watch(self) -> None:
        process = psutil.Process()
        main = threading.main_thread().ident
        # Sample first, then wait: a task shorter than one interval is still checked.
        while True:
            rss = process.memory_info().rss / MB
            self.peak_mb = max(self.peak_mb, rss)
            idle = time.monotonic() - self._last_progress
            if self.memory_limit_mb and rss > self.memory_limit_mb:
                self._problem = MemoryLimitError(
                    f"{self.name}: resident memory {rss:.0f} MB crossed the limit of "
                    f"{self.memory_limit_mb:.0f} MB (stage: {self.stage}); stopped")
            elif self.stall_seconds and idle > self.stall_seconds:
                self._problem = StallError(
                    f"{self.name}: no progress for {idle:.0f} s (limit {self.stall_seconds:g} s, "
                    f"stuck in stage: {self.stage}); stopped")
            if self._problem is not None:
                logger.error("%s", self._problem)
                signal.pthread_kill(main, self._SIGNAL)
                return
            if self._stop.wait(self.sample_seconds):
                return

    def __exit__(self, exc_type, exc, tb):
        if self._thread is None:
            return False
        self._stop.set()
        self._thread.join()
        signal.signal(self._SIGNAL, self._previous_handler)
        if self._problem is not None and exc is not self._problem:
            # The signal arrived after the block ended (or the block swallowed it).
            raise self._problem
        return False
