"""Luigi tasks: thin wiring of the computation modules (`luigi --module plr_luigi ReproduceAll`)."""

from plr_luigi.tasks import heartbeat as _heartbeat  # noqa: F401 -- registers the heartbeat
from plr_luigi.tasks import preload  # noqa: F401 -- registers the pre-fork import
from plr_luigi.tasks.analysis import FactorTable, NumbersTex, TopPipelinesTable, VarianceTable
from plr_luigi.tasks.audit import PrivacyAudit
from plr_luigi.tasks.config import plr
from plr_luigi.tasks.database import MergeToDuckDB
from plr_luigi.tasks.extraction import ExtractRun, SubjectLookup
from plr_luigi.tasks.figures import (
    AurocHeatmap,
    CriticalDifference,
    DemoTraces,
    ForestPlot,
    PipelineCurves,
    SpecificationCurve,
    VarianceDecomposition,
)
from plr_luigi.tasks.main_figures import MetricRaincloud, PredictionInstability
from plr_luigi.tasks.report import AllRunsExtracted, ExtractionReport, ReportPage
from plr_luigi.tasks.reproduce import ReproduceAll
from plr_luigi.tasks.upstream import ExtractUpstreamRun, MergeSignals
from plr_luigi.tasks.upstream_outputs import (
    DecompositionGrid,
    OutlierDifficulty,
    OutlierDifficultySubjects,
    PreprocessingQuality,
    PreprocessingTable,
)

__all__ = [
    "AllRunsExtracted",
    "AurocHeatmap",
    "CriticalDifference",
    "DecompositionGrid",
    "DemoTraces",
    "ExtractRun",
    "ExtractUpstreamRun",
    "ExtractionReport",
    "FactorTable",
    "ForestPlot",
    "MergeSignals",
    "MergeToDuckDB",
    "MetricRaincloud",
    "NumbersTex",
    "OutlierDifficulty",
    "OutlierDifficultySubjects",
    "PipelineCurves",
    "PredictionInstability",
    "PreprocessingQuality",
    "PreprocessingTable",
    "PrivacyAudit",
    "ReportPage",
    "ReproduceAll",
    "SpecificationCurve",
    "SubjectLookup",
    "TopPipelinesTable",
    "VarianceDecomposition",
    "VarianceTable",
    "plr",
]
