"""Luigi tasks: thin wiring of the computation modules (`luigi --module plr_luigi ReproduceAll`)."""

from plr_luigi.tasks import preload  # noqa: F401 -- registers the pre-fork import
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
                                     "ReproduceAll",
                                     "SubjectLookup",
                                     "plr",
]
