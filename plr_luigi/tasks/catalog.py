"""The catalog: every output the manuscript's build publishes, in the report page's order.

The one list of outputs: the report page (ReportPage) shows it, the privacy audit
(PrivacyAudit) reads it, ReproduceAll builds it, and `plr-luigi status` walks it through
ReproduceAll's graph. An output added here is built, shown, audited and inspected."""

from __future__ import annotations

import luigi

from plr_luigi.tasks.figures import (
    COMPARED_FACTORS,
    CRITICAL_DIFFERENCE_SCOPES,
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
from plr_luigi.tasks.interpretation import FeatureVif, ShapConfigurations, ShapImportance
from plr_luigi.tasks.numbers import NumbersTex
from plr_luigi.tasks.reports import ExtractionReport
from plr_luigi.tasks.tables import (
    CohortTable,
    FactorialAnovaTable,
    FactorTable,
    HyperparametersTable,
    PreprocessingTable,
    StratosTable,
    TopPipelinesTable,
    VarianceTable,
)


def upstream_outputs() -> list[luigi.Task]:
    """The outputs built on the upstream experiments and the source database."""
    return [PreprocessingQuality(), PreprocessingTable(), OutlierDifficulty(),
            DecompositionGrid()]


def manuscript_outputs() -> list[luigi.Task]:
    """Every figure, table and number of the manuscript, and the extraction report, in the
    report's order."""
    return [
        NumbersTex(),
        MetricRaincloud(),
        LevelRaincloud(),
        PredictionInstability(),
        ShapImportance(),
        ShapConfigurations(),
        FeatureVif(),
        *(ForestPlot(factor=f) for f in COMPARED_FACTORS),
        AurocHeatmap(),
        SpecificationCurve(),
        SpecificationCurve(all_configurations=True),
        *(CriticalDifference(scope=s) for s in CRITICAL_DIFFERENCE_SCOPES),
        VarianceDecomposition(),
        CalibrationDecisionCurves(),
        ProbabilityDistributions(),
        RocRiskCoverage(),
        SelectiveClassification(),
        DemoTraces(),
        TopPipelinesTable(),
        FactorialAnovaTable(),
        *(FactorTable(factor=f) for f in COMPARED_FACTORS),
        StratosTable(),
        CohortTable(),
        HyperparametersTable(),
        VarianceTable(),
        *upstream_outputs(),
        ExtractionReport(),
    ]
