"""plr_luigi: the PLR glaucoma-screening study's MLflow store -> results database -> manuscript.

Run everything with `luigi --module plr_luigi ReproduceAll` (add `--local-scheduler` without a
luigid). Importing the package registers the tasks; computation modules never import luigi.
"""

import os

# OpenBLAS's idle threads spin for 2^28 cycles (~0.1 s) after each parallel call before they
# sleep (OpenBLAS README, OPENBLAS_THREAD_TIMEOUT; 4, its minimum: 2^4). On the analysis' small
# matrices that spinning was most of their CPU (the decomposition's SVDs: 16.8 s of CPU ->
# 8.0 s) and it takes a core from a parallel worker. The thread count, so every result, is
# unchanged. OpenBLAS reads it when it loads: numpy's and scipy's load after this line unless
# they were imported before plr_luigi; a value set in the environment wins.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

from plr_luigi.tasks import *  # noqa: F403 -- registers the tasks for `luigi --module`
