"""ReproduceAll: every output of the manuscript."""

from __future__ import annotations

import luigi

from plr_luigi.tasks.audit import PrivacyAudit
from plr_luigi.tasks.report import AllRunsExtracted, public_outputs


class ReproduceAll(luigi.WrapperTask):
    """Requires every output task; does nothing itself."""

    def requires(self):
        return [*public_outputs(), AllRunsExtracted(), PrivacyAudit()]
