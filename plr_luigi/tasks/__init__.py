"""Luigi tasks: thin wiring of the computation modules (`luigi --module plr_luigi ReproduceAll`).

By kind: settings (the luigi.cfg sections), store_listing (the store's runs, listed once per
process), base and output_base (the base classes), extraction, merge, figures, tables, numbers,
interpretation (SHAP and VIF), reports (of the extraction), catalog (every output),
publication (report page, privacy audit), supplement (the supplement's PDF), hooks (heartbeat,
pre-fork import) and reproduce (ReproduceAll)."""

from plr_luigi.tasks import hooks  # noqa: F401 -- registers the heartbeat and pre-fork import
from plr_luigi.tasks.extraction import (
    ExtractRun,
    ExtractUpstreamRun,
    OutlierDifficultySubjects,
    SubjectLookup,
)
from plr_luigi.tasks.figures import (
    AurocHeatmap,
    CalibrationDecisionCurves,
    CriticalDifference,
    DecompositionGrid,
    DemoTraces,
    ForestPlot,
    LevelRaincloud,
    MetricRaincloud,
    OutlierDifficulty,
    PredictionInstability,
    PreprocessingQuality,
    ProbabilityDistributions,
    RocRiskCoverage,
    SelectiveClassification,
    SpecificationCurve,
    VarianceDecomposition,
)
from plr_luigi.tasks.interpretation import (
    FeatureVif,
    MergeInterpretation,
    ShapConfigurations,
    ShapForConfig,
    ShapImportance,
)
from plr_luigi.tasks.merge import MergeSignals, MergeToDuckDB
from plr_luigi.tasks.numbers import NumbersTex
from plr_luigi.tasks.publication import PrivacyAudit, ReportPage
from plr_luigi.tasks.reports import AllRunsExtracted, ExtractionReport
from plr_luigi.tasks.reproduce import ReproduceAll
from plr_luigi.tasks.settings import plr
from plr_luigi.tasks.supplement import Supplement
from plr_luigi.tasks.tables import (
    FactorTable,
    PreprocessingTable,
    TopPipelinesTable,
    VarianceTable,
)

__all__ = [
    "AllRunsExtracted",
    "AurocHeatmap",
    "CalibrationDecisionCurves",
    "CriticalDifference",
    "DecompositionGrid",
    "DemoTraces",
    "ExtractRun",
    "ExtractUpstreamRun",
    "ExtractionReport",
    "FactorTable",
    "FeatureVif",
    "ForestPlot",
    "LevelRaincloud",
    "MergeInterpretation",
    "MergeSignals",
    "MergeToDuckDB",
    "MetricRaincloud",
    "NumbersTex",
    "OutlierDifficulty",
    "OutlierDifficultySubjects",
    "PredictionInstability",
    "PreprocessingQuality",
    "PreprocessingTable",
    "PrivacyAudit",
    "ProbabilityDistributions",
    "ReportPage",
    "ReproduceAll",
    "RocRiskCoverage",
    "SelectiveClassification",
    "ShapConfigurations",
    "ShapForConfig",
    "ShapImportance",
    "SpecificationCurve",
    "SubjectLookup",
    "Supplement",
    "TopPipelinesTable",
    "VarianceDecomposition",
    "VarianceTable",
    "plr",
]
