"""Freed memory is reused: unpickling run after run touches the same pages again instead of
faulting in fresh ones (minor page faults, counted in a fresh interpreter each)."""

from __future__ import annotations

import subprocess
import sys

import pytest

ARRAYS, SHAPE, LOADS = 6, (507, 1981), 10  # an imputation pickle's signal blocks, 8 MB each
PAGES_PER_LOAD = ARRAYS * SHAPE[0] * SHAPE[1] * 8 // 4096

# Unpickles the same pickle LOADS times (as extraction reads one run's pickle after another)
# and prints the minor page faults that took.
PROBE = f"""
import pickle, resource, sys
import numpy as np
from plr_luigi.monitoring.heap_reuse import reuse_freed_memory
applied = reuse_freed_memory() if sys.argv[1] == "reuse" else False
rng = np.random.default_rng(0)
blob = pickle.dumps([rng.random({SHAPE}) for _ in range({ARRAYS})], protocol=5)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range({LOADS}):
    loaded = pickle.loads(blob)
    assert loaded[0].shape == {SHAPE}
    del loaded
print(applied, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> tuple[bool, int]:
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True,
                         check=True).stdout.split()
    return out[0] == "True", int(out[1])


def test_unpickling_again_reuses_the_pages_of_the_last_time():
    applied, with_reuse = _faults("reuse")
    if not applied:
        pytest.skip("the C library has no mallopt (not glibc): nothing to tune")
    _, without = _faults("plain")
    assert without > LOADS // 2 * PAGES_PER_LOAD  # glibc's defaults: fresh pages each time
    assert with_reuse <= PAGES_PER_LOAD  # at most the first load's pages, then the same ones
