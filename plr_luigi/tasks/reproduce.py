"""ReproduceAll: every output of the manuscript."""

from __future__ import annotations

import luigi

from plr_luigi.tasks.audit import PrivacyAudit
from plr_luigi.tasks.outputs import AllRunsExtracted
from plr_luigi.tasks.report import ReportPage, manuscript_outputs


class ReproduceAll(luigi.WrapperTask):
    """Requires every output task; does nothing itself."""

    def requires(self):
        return [*manuscript_outputs(), ReportPage(), AllRunsExtracted(),
                PrivacyAudit()]
