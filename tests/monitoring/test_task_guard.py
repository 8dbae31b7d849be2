"""Heartbeat formatting and the task guard (memory limit, stall timeout), on the real process."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

from plr_luigi.monitoring.task_guard import (
    MemoryLimitError,
    Progress,
    StallError,
    TaskGuard,
    format_heartbeat,
    process_rss_mb,
    tree_rss_mb,
)


def test_heartbeat_line_has_counts_rate_eta_and_memory():
    line = format_heartbeat(Progress(done=130, total=410, elapsed=240, done_at_start=10),
                            rss_mb=412.4, stage="extraction")
    # 120 new runs in 4 minutes: 30/min; 280 left: 9m20s.
    assert line == ("extraction: 130/410 runs (32%), 30.0 runs/min, ETA 9m20s, elapsed 4m00s, "
                    "RSS 412 MB")


def test_heartbeat_without_progress_yet_says_so():
    line = format_heartbeat(Progress(5, 410, 30, done_at_start=5), 100, "extraction")
    assert "rate n/a, ETA n/a" in line and "5/410 runs (1%)" in line
    assert "ETA 0s" in format_heartbeat(Progress(3, 3, 7200, 0), 1, "merge")
    assert "elapsed 2h00m" in format_heartbeat(Progress(3, 3, 7200, 0), 1, "merge")


def test_tree_memory_covers_the_process():
    own = process_rss_mb()
    assert tree_rss_mb(os.getpid()) > 0.9 * own > 10
    assert tree_rss_mb(2**22 + 12345) == 0.0  # no such process


def test_crossing_the_memory_limit_stops_the_block_and_names_figure_and_limit():
    limit = process_rss_mb() + 50
    blocks = []
    with pytest.raises(MemoryLimitError, match=r"run X: resident memory \d+ MB crossed the "
                                               rf"limit of {limit:.0f} MB \(stage: growing\)"):
        with TaskGuard("run X", memory_limit_mb=limit, stall_seconds=0) as guard:
            guard.progress("growing")
            for _ in range(400):  # up to 4 GB if nothing stopped it
                blocks.append(np.ones(10 * 2**20 // 8))
                time.sleep(0.01)
    assert len(blocks) < 100
    blocks.clear()


def test_a_block_that_stops_progressing_is_interrupted_even_in_a_blocking_call(tmp_path):
    fifo = tmp_path / "metrics.pickle"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(StallError, match=r"run Y: no progress for \d+ s \(limit 1 s, stuck in "
                                         r"stage: reading metrics pickle\)"):
        with TaskGuard("run Y", memory_limit_mb=0, stall_seconds=1) as guard:
            guard.progress("reading metrics pickle")
            open(fifo, "rb")  # blocks forever: no writer
    assert time.monotonic() - started < 30


def test_a_block_within_its_limits_is_untouched_and_its_peak_memory_is_measured():
    before = process_rss_mb()
    # A stall limit far above the block's time: under a loaded machine writing 200 MB took
    # over 5 s once, and the test is about the peak, not the stall limit.
    with TaskGuard("run Z", memory_limit_mb=before + 2000, stall_seconds=120) as guard:
        block = np.ones(200 * 2**20 // 8)  # 200 MB, every page written
        with_block = process_rss_mb()
        for i in range(5):
            guard.progress(f"step {i}")
            time.sleep(0.1)  # the guard samples every 0.1 s
        del block
    # The peak saw the process with the block, and nothing that was not there. (Measured
    # against the RSS with the block, not before it plus 200 MB: the allocator may hand the
    # block pages that an earlier test freed but the process still held.)
    assert with_block - 20 <= guard.peak_mb <= with_block + 100


def test_guards_one_after_another_share_one_watching_thread_and_each_is_watched():
    # An extraction batch guards each of its runs: a thread started and joined per run kept
    # the main thread waiting while both cores were busy. Each block is still watched: the
    # third one's stall is caught, and the fourth, after it, is watched again.
    def guard_threads() -> int:
        return sum(t.name == "plr-task-guard" for t in threading.enumerate())

    for i in range(2):
        with TaskGuard(f"run {i}", memory_limit_mb=0, stall_seconds=60):
            pass
    assert guard_threads() == 1
    with pytest.raises(StallError, match="run 2: no progress"):
        with TaskGuard("run 2", memory_limit_mb=0, stall_seconds=0.3, sample_seconds=0.05):
            time.sleep(30)
    with pytest.raises(StallError, match="run 3: no progress"):
        with TaskGuard("run 3", memory_limit_mb=0, stall_seconds=0.3, sample_seconds=0.05):
            time.sleep(30)
    assert guard_threads() == 1


def test_a_guard_within_a_guard_is_refused():
    with TaskGuard("outer", memory_limit_mb=0, stall_seconds=60):
        with pytest.raises(RuntimeError, match="'inner' entered within 'outer'"):
            with TaskGuard("inner", memory_limit_mb=0, stall_seconds=60):
                pass


def test_a_block_shorter_than_one_sample_interval_is_checked():
    # The first look is taken as the block starts, in its own thread: the watching thread may
    # not run before a short block ends (a one-run extraction over a 1 MB limit passed so once,
    # under load).
    for _ in range(20):
        with pytest.raises(MemoryLimitError, match="quick: resident memory"):
            with TaskGuard("quick", memory_limit_mb=1, stall_seconds=0, sample_seconds=60):
                pass
