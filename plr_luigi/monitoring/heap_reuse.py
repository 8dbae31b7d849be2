"""Keep freed memory for the next run instead of handing it back to the kernel.

glibc's malloc serves blocks above its mmap threshold with fresh mappings and unmaps them when
they are freed, and gives the top of its heap back once more than the trim threshold is free.
Extraction unpickles one run after another (a 24 MB metrics pickle, a 55 MB imputation
pickle at paper size), so every run touched every page afresh: 3.5 million page faults and
15 s of kernel time in a 35 s build of 200 runs (BENCHMARKS.md). With the thresholds raised,
a run's buffers reuse the pages of the run before it: 0.16 million faults. What is kept is
about one run's worth, not growing with the number of runs. A forked task process inherits
the settings.
"""

from __future__ import annotations

import ctypes
import functools
import logging

logger = logging.getLogger(__name__)

# mallopt parameters (malloc.h)
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
# The largest mmap threshold glibc accepts on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX): blocks up
# to 32 MB come from the heap and are reused.
MMAP_THRESHOLD = 32 * 2**20
# Free memory the heap keeps at its top before trimming: a few runs' buffers.
TRIM_THRESHOLD = 256 * 2**20
# Grown by at least this much at a time: fewer brk calls while a pickle is read.
TOP_PAD = 64 * 2**20


@functools.cache  # once per process: it is asked for every extraction task discovered
def reuse_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds for this process (and its future forks);
    False where the C library has no mallopt (not glibc)."""
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)  # the process's own C library
    if mallopt is None:
        logger.debug("no mallopt: freed memory is returned as the C library does")
        return False
    return all(mallopt(param, value) == 1 for param, value in (
        (M_MMAP_THRESHOLD, MMAP_THRESHOLD), (M_TRIM_THRESHOLD, TRIM_THRESHOLD),
        (M_TOP_PAD, TOP_PAD)))
