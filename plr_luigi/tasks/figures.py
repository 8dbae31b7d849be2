"""Figure tasks: each reads the results database and writes one figure (PNG, PDF, JSON).

Computation lives in plr_luigi.database.queries, plr_luigi.analysis and plr_luigi.figures;
matplotlib, scipy and statsmodels are imported inside run(), so a build with nothing to do
never loads them.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import luigi

from plr_luigi.database.provenance import is_synthetic
from plr_luigi.database.results_database import read_provenance_of
from plr_luigi.study.factors import FACTORS
from plr_luigi.study.unavailable import require_rows, unavailable_status
from plr_luigi.tasks.config import plr
from plr_luigi.tasks.database import MergeToDuckDB
from plr_luigi.tasks.extraction import SubjectLookup
from plr_luigi.tasks.output_base import (
    FIGURE_EXTENSIONS,
    DatabaseOutput,
    FigureOutput,
    figure_data,
    save_figure,
    subset_for,
    subset_label,
    write_text,
)

logger = logging.getLogger(__name__)

COMPARED_FACTORS = ("outlier_method", "imputation_method", "classifier")
CURVE_KINDS = ("calibration", "decision_curve", "roc", "risk_coverage",
               "selective_classification", "probability_distributions")
DEMO_TRACES = "demo_traces"
TOP_PIPELINES = "top_pipelines"


def _use_agg() -> None:
    import matplotlib

    matplotlib.use("Agg")


class ForestPlot(FigureOutput):
    """Reads essential metrics and bootstrap AUROCs; writes the forest plot of one factor."""

    factor = luigi.ChoiceParameter(choices=FACTORS, description="factor compared")

    def figure_name(self) -> str:
        return f"forest_{self.factor}"

    def run(self):
        _use_agg()
        from plr_luigi.database import queries
        from plr_luigi.figures.forest import plot_forest

        subset = subset_for(self.factor)
        with self.database() as (con, provenance):
            frame = require_rows(queries.factor_comparison(con, self.factor, subset),
                                 f"configuration with {subset_label(subset)}")
        fig = plot_forest(frame, self.factor, subset_label(subset), is_synthetic(provenance))
        save_figure(fig, figure_data(self.figure_name(), "queries.factor_comparison", provenance,
                                     frame.to_dict(orient="records"), factor=self.factor,
                                     subset=subset), self.output())


class AurocHeatmap(FigureOutput):
    """Reads essential metrics; writes the outlier x imputation heatmap of mean AUROC."""

    def figure_name(self) -> str:
        return "heatmap_outlier_imputation"

    def run(self):
        _use_agg()
        from plr_luigi.database import queries
        from plr_luigi.figures.heatmap import plot_heatmap
        from plr_luigi.study.configs import load_figure_config

        subset = load_figure_config()["comparison_subset"]
        with self.database() as (con, provenance):
            cells = require_rows(queries.heatmap_cells(con, "outlier_method",
                                                       "imputation_method", subset),
                                 f"configuration with {subset_label(subset)}")
        fig = plot_heatmap(cells, "outlier_method", "imputation_method", subset_label(subset),
                           is_synthetic(provenance))
        save_figure(fig, figure_data(self.figure_name(), "queries.heatmap_cells", provenance,
                                     cells.to_dict(orient="records"), subset=subset),
                    self.output())


class SpecificationCurve(FigureOutput):
    """Reads essential metrics; writes every configuration ranked by AUROC with its levels."""

    def figure_name(self) -> str:
        return "specification_curve"

    def run(self):
        _use_agg()
        from plr_luigi.database import queries
        from plr_luigi.figures.specification import plot_specification_curve

        with self.database() as (con, provenance):
            configs = require_rows(queries.configurations(con), "configuration")
        fig = plot_specification_curve(configs, is_synthetic(provenance))
        save_figure(fig, figure_data(self.figure_name(), "queries.configurations", provenance,
                                     configs.to_dict(orient="records"), subset={}),
                    self.output())


class CriticalDifference(FigureOutput):
    """Reads bootstrap AUROCs; writes the critical-difference diagram of the best pipelines or
    of the levels of one factor (Friedman test, iterations as blocks; Nemenyi CD)."""

    scope = luigi.ChoiceParameter(choices=(TOP_PIPELINES, *COMPARED_FACTORS),
                                  description="the best pipelines, or a factor's levels")

    def figure_name(self) -> str:
        return f"critical_difference_{self.scope}"

    def run(self):
        _use_agg()
        from plr_luigi.analysis import statistical_inputs
        from plr_luigi.analysis.statistics import friedman_nemenyi
        from plr_luigi.figures.critical_difference import plot_critical_difference
        from plr_luigi.study.configs import load_figure_config

        settings = load_figure_config()["critical_difference"]
        with self.database() as (con, provenance):
            spec = (statistical_inputs.top_pipeline_blocks(con, settings["top_n"])
                    if self.scope == TOP_PIPELINES else
                    statistical_inputs.factor_level_blocks(con, self.scope, subset_for(self.scope)))
        result = friedman_nemenyi(spec.blocks, alpha=settings["alpha"])
        fig = plot_critical_difference(result, spec.labels, spec.colours, spec.title,
                                       is_synthetic(provenance))
        save_figure(fig, figure_data(self.figure_name(), spec.query, provenance, result,
                                     scope=self.scope, subset=spec.subset, labels=spec.labels),
                    self.output())


class VarianceDecomposition(FigureOutput):
    """Reads essential metrics and bootstrap AUROCs; writes the share of AUROC variance each
    factor explains (eta squared, partial eta squared, bootstrap CIs)."""

    def figure_name(self) -> str:
        return "variance_decomposition"

    def run(self):
        _use_agg()
        from plr_luigi.analysis.statistical_inputs import variance_table
        from plr_luigi.figures.variance import plot_variance_decomposition

        with self.database() as (con, provenance):
            frame = variance_table(con)
        fig = plot_variance_decomposition(frame, is_synthetic(provenance))
        save_figure(fig, figure_data(self.figure_name(), "analysis.variance_table", provenance,
                                     frame.to_dict(orient="records"), subset={}),
                    self.output())


class PipelineCurves(FigureOutput):
    """Reads one detail table for the standard pipelines (configs/pipelines.yaml); writes their
    curves of one kind. A standard pipeline missing from the database is logged, named on the
    figure and in its JSON, never substituted."""

    kind = luigi.ChoiceParameter(choices=CURVE_KINDS, description="which curves")

    def figure_name(self) -> str:
        return self.kind

    def run(self):
        _use_agg()
        from plr_luigi.database import queries
        from plr_luigi.figures.pipeline_curves import CURVES, plot_pipeline_curves
        from plr_luigi.study.configs import load_standard_pipelines

        pipelines = load_standard_pipelines()
        curve = CURVES[self.kind]
        with self.database() as (con, provenance):
            rows, found, missing = queries.standard_pipeline_rows(con, curve.table,
                                                                  curve.order_by, pipelines)
        if missing:
            logger.warning("%s: standard pipelines not in the database: %s", self.kind, missing)
        fig = plot_pipeline_curves(self.kind, rows, missing, subset_label(
            queries.shared_levels(pipelines)), is_synthetic(provenance))
        save_figure(fig, figure_data(self.figure_name(), "queries.standard_pipeline_rows",
                                     provenance, rows.to_dict(orient="records"),
                                     table=curve.table.name,
                                     pipelines=found.to_dict(orient="records"),
                                     missing_pipelines=missing), self.output())


class DemoTraces(DatabaseOutput):
    """Reads the PRIVATE source database and subject lookup, and the results database's
    provenance; writes the light protocol and the demo subjects' traces under public codes.
    Without a source database it writes only a status JSON saying the figure is unavailable
    and why: nothing stands in for the missing traces."""

    def requires(self):
        if not plr().source_db:  # the lookup would need the MLflow store, which need not exist
            return {"database": MergeToDuckDB()}
        return {"database": MergeToDuckDB(), "lookup": SubjectLookup()}

    def output(self):
        if not plr().source_db:
            return {"status": luigi.LocalTarget(
                str(plr().output_path("figures", f"{DEMO_TRACES}.unavailable.json")))}
        stem = plr().output_path("figures", DEMO_TRACES)
        return {ext: luigi.LocalTarget(f"{stem}.{ext}") for ext in FIGURE_EXTENSIONS}

    def run(self):
        from plr_luigi.extraction import demo_subjects

        if not plr().source_db:
            reason = "no subject source database is configured ([plr] source_db)"
            logger.warning("%s: figure unavailable: %s", DEMO_TRACES, reason)
            write_text(self.output()["status"],
                        json.dumps(unavailable_status(reason), indent=1))
            return
        _use_agg()
        import pandas as pd

        from plr_luigi.figures.traces import plot_demo_traces
        from plr_luigi.study.configs import load_figure_config

        rule = load_figure_config()["demo_subjects"]
        subjects, traces, light = demo_subjects.load_demo_subjects(
            Path(plr().source_db), pd.read_csv(self.input()["lookup"].path),
            rule["lowest"], rule["highest"])
        provenance = read_provenance_of(self.database_path())
        fig = plot_demo_traces(subjects, traces, light, is_synthetic(provenance))
        data = {"subjects": subjects.to_dict(orient="records"), "light": light.to_dict("list"),
                "traces": {code: rows.drop(columns="subject_code").to_dict("list")
                           for code, rows in traces.groupby("subject_code")}}
        save_figure(fig, figure_data(DEMO_TRACES, "demo_subjects.load_demo_subjects (private "
                                     "source database)", provenance, data, rule=rule),
                    self.output())
