"""ReproduceAll: every output of the manuscript."""

from __future__ import annotations

import luigi

from plr_luigi.tasks.audit import PrivacyAudit
from plr_luigi.tasks.outputs import (
    AllRunsExtracted,
    ExtractionReport,
    FactorTable,
    ForestPlot,
    NumbersTex,
)


class ReproduceAll(luigi.WrapperTask):
    """Requires every output task; does nothing itself."""

    def requires(self):
        return [
            NumbersTex(),
            ForestPlot(factor="outlier_method"),
            FactorTable(factor="classifier"),
            ExtractionReport(),
            AllRunsExtracted(),
            PrivacyAudit(),
        ]
