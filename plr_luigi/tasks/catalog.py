"""The catalog: every output the manuscript's build publishes, in the report page's order.

The one list of outputs: the report page (ReportPage) shows it, the privacy audit
(PrivacyAudit) reads it, ReproduceAll builds it, and `plr-luigi status` walks it through
ReproduceAll's graph. An output added here is built, shown, audited and inspected."""

from __future__ import annotations

import luigi

from plr_luigi.tasks.figures import (
    COMPARED_FACTORS,
    CURVE_KINDS,
    TOP_PIPELINES,
    AurocHeatmap,
    CriticalDifference,
    DecompositionGrid,
    DemoTraces,
    ForestPlot,
    MetricRaincloud,
    OutlierDifficulty,
    PipelineCurves,
    PredictionInstability,
    PreprocessingQuality,
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
        PredictionInstability(),
        ShapImportance(),
        ShapConfigurations(),
        FeatureVif(),
        *(ForestPlot(factor=f) for f in COMPARED_FACTORS),
        AurocHeatmap(),
        SpecificationCurve(),
        *(CriticalDifference(scope=s) for s in (TOP_PIPELINES, *COMPARED_FACTORS)),
        VarianceDecomposition(),
        *(PipelineCurves(kind=k) for k in CURVE_KINDS),
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
