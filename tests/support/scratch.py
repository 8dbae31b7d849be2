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

# Twice the suite's peak (7.6 GB on 2026-12-04), in the tmpfs and in available memory.
NEEDED_BYTES = 15 * 2**30
TMPFS = Path("/dev/shm")


def tmpfs_folder(candidate: Path = TMPFS, mounts: Path = Path("/proc/mounts"),
                 meminfo: Path = Path("/proc/meminfo"), needed: int = NEEDED_BYTES) -> Path | None:
    """candidate when it is a tmpfs mount point with `needed` bytes free and as many of memory
    available; None otherwise (the system's temporary folder is used then)."""
    try:
        mounted = {fields[1]: fields[2] for fields in
                   (line.split() for line in mounts.read_text().splitlines()) if len(fields) > 2}
        memory = {line.split(":")[0]: line.split()[1:] for line in meminfo.read_text().splitlines()}
        free = os.statvfs(candidate)
    except OSError:
        return None
    if mounted.get(str(candidate)) != "tmpfs" or not os.access(candidate, os.W_OK):
        return None
    available_memory = int(memory.get("MemAvailable", ["0"])[0]) * 1024  # meminfo says kB
    free_bytes = free.f_bavail * free.f_frsize
    return candidate if min(free_bytes, available_memory) >= needed else None
