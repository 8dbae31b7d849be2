"""plr_luigi: the PLR glaucoma-screening study's MLflow store -> results database -> manuscript.

Run everything with `luigi --module plr_luigi ReproduceAll` (add `--local-scheduler` without a
luigid). Importing the package registers the tasks; computation modules never import luigi.
"""

from plr_luigi.tasks import *  # noqa: F403 -- registers the tasks for `luigi --module`
