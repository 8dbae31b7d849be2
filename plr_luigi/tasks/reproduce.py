"""ReproduceAll: every output of the manuscript."""

from __future__ import annotations

import luigi

from plr_luigi.tasks.merge import MergeSignals
from plr_luigi.tasks.publication import PrivacyAudit, public_outputs
from plr_luigi.tasks.reports import AllRunsExtracted
from plr_luigi.tasks.settings import plr
from plr_luigi.tasks.store_listing import run_decisions


class ReproduceAll(luigi.WrapperTask):
    """Requires every output task; does nothing itself."""

    def requires(self):
        # the private signals come from the store: a build from a checkpoint has none
        signals = [MergeSignals()] if plr().tracking_uri else []
        if signals:
            # The store is listed here first: a store that cannot be listed (missing, empty,
            # unreachable after [store_retry]) then fails the planning of the root itself, and
            # no task is left pending. Failing in a task below, it left every task above it
            # pending for good, and the worker kept alive for retries idled
            # max_keep_alive_idle_duration (30 s) before it exited 35.
            run_decisions()
        return [*public_outputs(), AllRunsExtracted(), PrivacyAudit(), *signals]
