"""ReproduceAll: every output of the manuscript."""

from __future__ import annotations

import luigi

from plr_luigi.tasks.audit import PrivacyAudit
from plr_luigi.tasks.config import plr
from plr_luigi.tasks.report import AllRunsExtracted, public_outputs
from plr_luigi.tasks.upstream import MergeSignals


class ReproduceAll(luigi.WrapperTask):
    """Requires every output task; does nothing itself."""

    def requires(self):
        # the private signals come from the store: a build from a checkpoint has none
        signals = [MergeSignals()] if plr().tracking_uri else []
        return [*public_outputs(), AllRunsExtracted(), PrivacyAudit(), *signals]
