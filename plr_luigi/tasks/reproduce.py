"""ReproduceAll: every output of the manuscript."""

from __future__ import annotations

import luigi

from plr_luigi.tasks.merge import MergeSignals
from plr_luigi.tasks.publication import PrivacyAudit, public_outputs
from plr_luigi.tasks.reports import AllRunsExtracted
from plr_luigi.tasks.settings import plr


class ReproduceAll(luigi.WrapperTask):
    """Requires every output task; does nothing itself."""

    def requires(self):
        # the private signals come from the store: a build from a checkpoint has none
        signals = [MergeSignals()] if plr().tracking_uri else []
        return [*public_outputs(), AllRunsExtracted(), PrivacyAudit(), *signals]
