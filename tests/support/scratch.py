"""Where the suite's temporary folders go: a tmpfs, when the machine has one with room.

The tests' stores and builds are many small files (an MLflow file store writes a file per
metric, parameter and tag), created and deleted all through a run. On an ext4 filesystem
without a journal (this development machine's disk), creating a file checks the inodes
deleted in the last minutes one by one (ext4's recently_deleted()), so its cost grows with
the deletions before it: in a run of the suite on such a disk, perf counted ~9 % of all CPU
samples there (2026-12-04: ~85 s of ~920 s). On a tmpfs the same suite took 167 s of system
time instead of 244 s. Its folders then peaked at 7.6 GB of memory, so a tmpfs is taken only
with room for twice that, in the tmpfs and in the machine's available memory.
"""

from __future__ import annotations

import os
from pathlib import Path

import psutil

# Twice the suite's peak (7.6 GB on 2026-12-04), in the tmpfs and in available memory.
NEEDED_BYTES = 15 * 2**30
TMPFS = Path("/dev/shm")


def tmpfs_folder(candidate: Path = TMPFS, needed: int = NEEDED_BYTES) -> Path | None:
    """candidate when it is a tmpfs mount point with `needed` bytes free and as many of memory
    available; None otherwise (the system's temporary folder is used then)."""
    mounted = {part.mountpoint: part.fstype for part in psutil.disk_partitions(all=True)}
    if mounted.get(str(candidate)) != "tmpfs" or not os.access(candidate, os.W_OK):
        return None
    return candidate if room(candidate) >= needed else None


def room(folder: Path) -> int:
    """Bytes a tmpfs folder can take: its free space or the available memory, the smaller."""
    return min(psutil.disk_usage(str(folder)).free, psutil.virtual_memory().available)
