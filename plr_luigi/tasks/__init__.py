"""Luigi tasks: thin wiring of the computation modules (`luigi --module plr_luigi ReproduceAll`)."""

from plr_luigi.tasks import heartbeat as _heartbeat  # noqa: F401 -- registers the heartbeat
from plr_luigi.tasks.audit import PrivacyAudit
from plr_luigi.tasks.config import plr
from plr_luigi.tasks.extract import ExtractRun, SubjectLookup
from plr_luigi.tasks.merge import MergeToDuckDB
from plr_luigi.tasks.outputs import (
                                     AllRunsExtracted,
                                     ExtractionReport,
                                     FactorTable,
                                     ForestPlot,
                                     NumbersTex,
)
from plr_luigi.tasks.reproduce import ReproduceAll

__all__ = [
                                     "AllRunsExtracted",
                                     "ExtractRun",
                                     "ExtractionReport",
                                     "FactorTable",
                                     "ForestPlot",
                                     "MergeToDuckDB",
                                     "NumbersTex",
                                     "PrivacyAudit",
                                     "ReproduceAll",
                                     "SubjectLookup",
                                     "plr",
]
