"""Figure tasks: each reads the results database (and, for three, private data) and writes one
figure (PNG, PDF, JSON), or its unavailable status with the reason (FigureOutput).

Computation lives in plr_luigi.database.queries, plr_luigi.analysis and plr_luigi.figures;
matplotlib, scipy and statsmodels are imported inside run(), so a build with nothing to do
never loads them.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import luigi

from plr_luigi.database.provenance import is_synthetic, store_level
from plr_luigi.database.results_database import read_provenance_of
from plr_luigi.study import schema
from plr_luigi.study.factors import FACTORS
from plr_luigi.study.unavailable import DataUnavailableError, require_rows
from plr_luigi.tasks.extraction import OutlierDifficultySubjects, SubjectLookup
from plr_luigi.tasks.merge import MergeSignals, MergeToDuckDB
from plr_luigi.tasks.output_base import (
    FigureOutput,
    configs_digest,
    figure_data,
    save_figure,
    subset_for,
    subset_label,
)
from plr_luigi.tasks.settings import plr

logger = logging.getLogger(__name__)

COMPARED_FACTORS = ("outlier_method", "imputation_method", "classifier")
TOP_PIPELINES = "top_pipelines"
# S3 (a), (b), (c), then the extended diagrams (analysis.statistical_inputs.BLOCK_DESIGNS).
CRITICAL_DIFFERENCE_SCOPES = ("outlier_method", "imputation_method", "outlier_category",
                              "classifier", TOP_PIPELINES)
NO_SOURCE_DB = "no subject source database is configured ([plr] source_db)"


def _use_agg() -> None:
    import matplotlib

    matplotlib.use("Agg")

class ForestPlot(FigureOutput):
    """Reads essential metrics and bootstrap AUROCs; writes the forest plot of one factor:
    per level the mean AUROC of its configurations, the envelope of their CIs (Fig 2) and,
    in the JSON, the bootstrap CI of the level mean."""

    factor = luigi.ChoiceParameter(choices=FACTORS, description="factor compared")

    def figure_name(self) -> str:
        return f"forest_{self.factor}"

    def run(self):
        _use_agg()
        from plr_luigi.database import queries
        from plr_luigi.figures.forest import ENVELOPE_NOTE, plot_forest
        from plr_luigi.study.configs import load_standard_pipelines

        subset = subset_for(self.factor)
        ground_truth = {"ground_truth": load_standard_pipelines()["ground_truth"]}
        with self.database() as (con, provenance):
            frame = require_rows(queries.factor_comparison(con, self.factor, subset),
                                 f"configuration with {subset_label(subset)}")
            found, _ = queries.find_pipelines(con, ground_truth)
        reference = float(found["auroc"].iloc[0]) if len(found) else None
        fig = plot_forest(frame, self.factor, subset_label(subset), reference,
                          is_synthetic(provenance))
        save_figure(fig, figure_data(
            self.figure_name(), "queries.factor_comparison", provenance,
            frame.to_dict(orient="records"), factor=self.factor, subset=subset,
            whiskers=ENVELOPE_NOTE, reference_line={"ground_truth_auroc": reference},
            sound_interval="mean_ci_lo / mean_ci_hi: 95 % bootstrap CI of the level mean "
                           "(over the paired bootstrap iterations)"), self.output())


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
    """Reads essential metrics; writes the specification curve: S8, the CatBoost + handcrafted
    configurations ranked by AUROC with CIs, coloured by pipeline type, the ground truth's line
    (`all_configurations`: the extended curve of every configuration)."""

    all_configurations = luigi.BoolParameter(
        default=False, description="every configuration (extended) instead of S8's population")

    def figure_name(self) -> str:
        return "specification_curve_all" if self.all_configurations else "specification_curve"

    def run(self):
        _use_agg()
        from plr_luigi.database import queries
        from plr_luigi.figures.specification import plot_specification_curve
        from plr_luigi.study.configs import load_standard_pipelines

        subset = {} if self.all_configurations else subset_for("")
        ground_truth = {"ground_truth": load_standard_pipelines()["ground_truth"]}
        with self.database() as (con, provenance):
            configs = require_rows(queries.configurations(con, subset=subset),
                                   f"configuration with {subset_label(subset)}")
            found, _ = queries.find_pipelines(con, ground_truth)
        reference = float(found["auroc"].iloc[0]) if len(found) else None
        fig = plot_specification_curve(configs, subset_label(subset), reference,
                                       is_synthetic(provenance))
        save_figure(fig, figure_data(self.figure_name(), "queries.configurations", provenance,
                                     configs.to_dict(orient="records"), subset=subset,
                                     reference_line={"ground_truth_auroc": reference}),
                    self.output())


class CriticalDifference(FigureOutput):
    """Reads essential metrics (and, for the top pipelines, bootstrap AUROCs); writes a
    critical-difference diagram (Friedman test, Nemenyi CD): S3 (a) outlier methods over
    imputation blocks, (b) imputation methods over outlier blocks, (c) pipeline types over
    imputation blocks (CatBoost + handcrafted, the study's completeness rule); extended: the
    classifiers, and the best configurations over bootstrap iterations."""

    scope = luigi.ChoiceParameter(choices=CRITICAL_DIFFERENCE_SCOPES,
                                  description="the best pipelines, or whose levels")

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
                    statistical_inputs.factor_level_blocks(con, self.scope, settings))
        result = friedman_nemenyi(spec.blocks, alpha=settings["alpha"])
        fig = plot_critical_difference(result, spec.labels, spec.colours, spec.title,
                                       is_synthetic(provenance), spec.block_name)
        blocks = {str(block): row.to_dict() for block, row in spec.blocks.iterrows()}
        save_figure(fig, figure_data(self.figure_name(), spec.query, provenance, result,
                                     scope=self.scope, subset=spec.subset, labels=spec.labels,
                                     block_rule=spec.block_rule, dropped=spec.dropped,
                                     blocks=blocks if self.scope != TOP_PIPELINES else
                                     f"{len(spec.blocks)} bootstrap iterations"),
                    self.output())


class VarianceDecomposition(FigureOutput):
    """Reads essential metrics; writes Fig 6: eta squared of AUROC from type I sums of squares,
    A CatBoost + handcrafted (outlier, imputation), B handcrafted (classifier, outlier,
    imputation); the order-averaged shares beside them."""

    def figure_name(self) -> str:
        return "variance_decomposition"

    def run(self):
        _use_agg()
        from plr_luigi.analysis.statistical_inputs import variance_panels
        from plr_luigi.figures.variance import plot_variance_decomposition
        from plr_luigi.study.configs import load_figure_config

        with self.database() as (con, provenance):
            panels = variance_panels(con, load_figure_config()["variance_panels"])
        fig = plot_variance_decomposition(panels, is_synthetic(provenance))
        data = {name: {**panel, "rows": panel["rows"].to_dict(orient="records")}
                for name, panel in panels.items()}
        save_figure(fig, figure_data(
            self.figure_name(), "queries.configuration_metrics -> statsmodels ols + "
            "anova_lm(typ=1)", provenance, data,
            published="eta_sq: type I (sequential) sums of squares, factors in the formula's "
                      "order",
            order_free="eta_sq_order_averaged: each factor's type I share averaged over every "
                       "order of entry (type I shares depend on the order)"), self.output())


def _standard_pipeline_rows(con, table, order_by: tuple[str, ...]):
    """(pipelines, rows, found, missing): the standard pipelines of configs/pipelines.yaml and
    the rows of one detail table of those in the database; a missing one is logged and named,
    never substituted."""
    from plr_luigi.database import queries
    from plr_luigi.study.configs import load_standard_pipelines

    pipelines = load_standard_pipelines()
    rows, found, missing = queries.standard_pipeline_rows(con, table, order_by, pipelines)
    if missing:
        logger.warning("%s: standard pipelines not in the database: %s", table.name, missing)
    if rows.empty:
        raise DataUnavailableError("none of the standard pipelines is in the database")
    return pipelines, rows, found, missing


def _ground_truth(pipelines: dict[str, dict], shown) -> str | None:
    """The ground-truth standard pipeline (category ground_truth) if shown."""
    return next((n for n, spec in pipelines.items()
                 if spec["category"] == "ground_truth" and n in shown), None)


def _pipeline_fields(found, missing: list[str]) -> dict:
    return {"pipelines": found.to_dict(orient="records"), "missing_pipelines": missing}


class CalibrationDecisionCurves(FigureOutput):
    """Reads the standard pipelines' test predictions; writes Fig 1: calibration (bins, LOESS
    with its band, the ground truth's STRATOS box) and decision curves (1-30 %)."""

    def figure_name(self) -> str:
        return "calibration_dca"

    def run(self):
        _use_agg()
        from plr_luigi.analysis import pipeline_performance as perf
        from plr_luigi.figures.calibration_dca import (
            calibration_dca_caption,
            plot_calibration_dca,
        )
        from plr_luigi.figures.pipeline_style import subject_counts
        from plr_luigi.study import schema

        with self.database() as (con, provenance):
            pipelines, rows, found, missing = _standard_pipeline_rows(
                con, schema.PREDICTIONS, ("subject_code",))
        data = perf.per_pipeline(rows, pipelines, perf.calibration_dca_panels)
        box = _ground_truth(pipelines, data)
        prevalence = data[box or next(iter(data))]["summary"]["prevalence"]
        fig = plot_calibration_dca(data, pipelines, missing, box, prevalence, perf.DCA_MARKERS,
                                   is_synthetic(provenance))
        caption = calibration_dca_caption(pipelines, box, data, subject_counts(rows),
                                          missing)
        save_figure(fig, figure_data(
            self.figure_name(), "queries.standard_pipeline_rows(predictions) -> "
            "analysis.pipeline_performance.calibration_dca_panels", provenance, data,
            caption=caption, box_pipeline=box, prevalence=prevalence,
            dca_markers=list(perf.DCA_MARKERS), loess_span=perf.LOESS_SPAN,
            band_resamples=perf.N_BAND_BOOTSTRAP, band_seed=perf.BAND_SEED,
            **_pipeline_fields(found, missing)), self.output())


class ProbabilityDistributions(FigureOutput):
    """Reads the standard pipelines' test predictions; writes Fig 4: the ground truth's class
    densities with rug, means and discrimination slope (A), four pipelines' densities (B)."""

    def figure_name(self) -> str:
        return "probability_distributions"

    def run(self):
        _use_agg()
        from plr_luigi.analysis import pipeline_performance as perf
        from plr_luigi.figures.pipeline_style import subject_counts
        from plr_luigi.figures.probability_distributions import (
            distributions_caption,
            plot_probability_distributions,
        )
        from plr_luigi.study import schema
        from plr_luigi.study.manuscript import item_of_output

        with self.database() as (con, provenance):
            pipelines, rows, found, missing = _standard_pipeline_rows(
                con, schema.PREDICTIONS, ("subject_code",))
        data = perf.per_pipeline(rows, pipelines, perf.distribution_panel)
        panel_a = _ground_truth(pipelines, data)
        panel_b = [n for n in (item_of_output(self.figure_name()).pipelines or pipelines)
                   if n in data]
        fig = plot_probability_distributions(data, pipelines, panel_a, panel_b, missing,
                                             is_synthetic(provenance))
        caption = distributions_caption(data, pipelines, panel_a, panel_b,
                                        subject_counts(rows), missing)
        save_figure(fig, figure_data(
            self.figure_name(), "queries.standard_pipeline_rows(predictions) -> "
            "analysis.pipeline_performance.distribution_panel", provenance, data,
            caption=caption, panel_a=panel_a, panel_b=panel_b,
            discrimination_slope={n: d["discrimination_slope"] for n, d in data.items()},
            **_pipeline_fields(found, missing)), self.output())


class RocRiskCoverage(FigureOutput):
    """Reads the standard pipelines' test predictions; writes S1: ROC of the mean predictions
    with a 200x subject-bootstrap band, and risk-coverage (|p - 0.5| order, error rate, AURC)."""

    def figure_name(self) -> str:
        return "roc_risk_coverage"

    def run(self):
        _use_agg()
        from plr_luigi.analysis import pipeline_performance as perf
        from plr_luigi.figures.pipeline_style import subject_counts
        from plr_luigi.figures.roc_risk_coverage import (
            plot_roc_risk_coverage,
            roc_risk_coverage_caption,
        )
        from plr_luigi.study import schema

        with self.database() as (con, provenance):
            pipelines, rows, found, missing = _standard_pipeline_rows(
                con, schema.PREDICTIONS, ("subject_code",))
        data = perf.per_pipeline(rows, pipelines, perf.roc_risk_coverage_panels)
        fig = plot_roc_risk_coverage(data, pipelines, missing, is_synthetic(provenance))
        caption = roc_risk_coverage_caption(pipelines, subject_counts(rows), missing)
        save_figure(fig, figure_data(
            self.figure_name(), "queries.standard_pipeline_rows(predictions) -> "
            "analysis.pipeline_performance.roc_risk_coverage_panels", provenance, data,
            caption=caption, auroc={n: d["roc"]["auroc"] for n, d in data.items()},
            aurc={n: d["aurc"] for n, d in data.items()}, band_seed=perf.BAND_SEED,
            **_pipeline_fields(found, missing)), self.output())


class SelectiveClassification(FigureOutput):
    """Reads retention_metrics of the standard pipelines; writes S2: AUROC, net benefit at 15 %
    and scaled Brier against the retained fraction (most confident by |p - 0.5| first)."""

    def figure_name(self) -> str:
        return "selective_classification"

    def run(self):
        _use_agg()
        from plr_luigi.analysis.pipeline_performance import auroc_by_retention
        from plr_luigi.figures.pipeline_style import subject_counts
        from plr_luigi.figures.selective_classification import (
            plot_selective_classification,
            selective_caption,
        )
        from plr_luigi.study import schema

        with self.database() as (con, provenance):
            pipelines, rows, found, missing = _standard_pipeline_rows(
                con, schema.RETENTION, ("retained_fraction",))
            _, subjects, _, _ = _standard_pipeline_rows(con, schema.PREDICTIONS,
                                                        ("subject_code",))
        fig = plot_selective_classification(rows, pipelines, missing, is_synthetic(provenance))
        half = auroc_by_retention(rows, 0.5)
        caption = selective_caption(pipelines, half, subject_counts(subjects), missing)
        save_figure(fig, figure_data(
            self.figure_name(), "queries.standard_pipeline_rows(retention_metrics)",
            provenance, rows.to_dict(orient="records"), caption=caption,
            table=schema.RETENTION.name, order=schema.RETENTION_ORDER,
            auroc_all_vs_half=half, **_pipeline_fields(found, missing)), self.output())


class PredictionInstability(FigureOutput):
    """Reads prediction_instability and bootstrap_prediction_samples of the standard
    pipelines; writes Fig 7: per test subject 200 sampled bootstrap predictions against its
    mean, the 95 % band, one panel per pipeline."""

    def figure_name(self) -> str:
        return "prediction_instability"

    def run(self):
        _use_agg()
        from plr_luigi.figures.instability import (
            instability_caption,
            mean_interval_widths,
            plot_prediction_instability,
            samples_by_subject,
        )
        from plr_luigi.figures.pipeline_style import subject_counts
        from plr_luigi.study import schema

        with self.database() as (con, provenance):
            pipelines, rows, found, missing = _standard_pipeline_rows(
                con, schema.PREDICTION_INSTABILITY, ("subject_code",))
            _, samples, _, _ = _standard_pipeline_rows(
                con, schema.BOOTSTRAP_PREDICTION_SAMPLES, ("subject_code", "iteration"))
        sampled = samples_by_subject(samples)
        fig = plot_prediction_instability(rows, sampled, pipelines, missing,
                                          is_synthetic(provenance))
        widths = mean_interval_widths(rows)
        caption = instability_caption(pipelines, widths, subject_counts(rows), missing)
        data = {"subjects": rows.to_dict(orient="records"), "samples": sampled}
        save_figure(fig, figure_data(self.figure_name(), "queries.standard_pipeline_rows("
                                     "prediction_instability, bootstrap_prediction_samples)",
                                     provenance, data, caption=caption,
                                     table=schema.PREDICTION_INSTABILITY.name,
                                     mean_interval_width=widths,
                                     **_pipeline_fields(found, missing)), self.output())


class MetricRaincloud(FigureOutput):
    """Reads essential metrics; writes Fig 3: AUROC, IPA, net benefit at 10 % and O:E of the
    CatBoost + handcrafted configurations by pipeline type (outlier category)."""

    def figure_name(self) -> str:
        return "metric_raincloud"

    def run(self):
        _use_agg()
        from plr_luigi.analysis.pipeline_types import (
            IPA_DEFINITION,
            SOURCE_COLUMNS,
            with_pipeline_types,
        )
        from plr_luigi.database import queries
        from plr_luigi.figures.raincloud import plot_pipeline_type_raincloud
        from plr_luigi.study.categories import category_keys
        from plr_luigi.study.configs import load_figure_config

        metrics = load_figure_config()["pipeline_type_raincloud_metrics"]
        subset = subset_for("")
        with self.database() as (con, provenance):
            frame = with_pipeline_types(require_rows(
                queries.configuration_metrics(con, list(SOURCE_COLUMNS), subset),
                f"configuration with {subset_label(subset)}"))
        types = [t for t in category_keys() if t in set(frame["pipeline_type"])]
        fig = plot_pipeline_type_raincloud(frame, metrics, types, subset_label(subset),
                                           is_synthetic(provenance))
        save_figure(fig, figure_data(self.figure_name(), "queries.configuration_metrics -> "
                                     "pipeline_types.with_pipeline_types", provenance,
                                     frame.to_dict(orient="records"), subset=subset,
                                     metrics=metrics, pipeline_types=types,
                                     ipa=IPA_DEFINITION), self.output())


class LevelRaincloud(FigureOutput):
    """Reads essential metrics; writes the extended raincloud of AUROC, Brier, calibration
    slope, O:E and net benefit over all configurations, by factor level."""

    def figure_name(self) -> str:
        return "metric_raincloud_by_level"

    def run(self):
        _use_agg()
        from plr_luigi.database import queries
        from plr_luigi.figures.raincloud import plot_metric_raincloud
        from plr_luigi.study.configs import load_figure_config

        metrics = load_figure_config()["raincloud_metrics"]
        with self.database() as (con, provenance):
            frame = queries.configuration_metrics(con, list(metrics))
        fig = plot_metric_raincloud(frame, metrics, is_synthetic(provenance))
        save_figure(fig, figure_data(self.figure_name(), "queries.configuration_metrics",
                                     provenance, frame.to_dict(orient="records"), subset={},
                                     metrics=metrics), self.output())


class FigureOfUnchangingData(FigureOutput):
    """A figure of data the classification runs do not change (the upstream experiments'
    signals, the source database): from the results database it takes only the store-level
    part of the provenance (provenance.store_level). Stamped with a digest of what it reads
    instead of the database's inventory, so a new classification run, which makes a new
    database, leaves it current: a periodic build redraws only what the run changed."""

    def inputs_digest(self) -> str:
        """A digest of the data it reads ("" where it reads none: it is then unavailable)."""
        raise NotImplementedError

    def published_provenance(self) -> dict[str, str]:
        return {**store_level(read_provenance_of(self.database_path())),
                "inputs_digest": self.inputs_digest()}

    def current_stamp(self) -> dict[str, str]:
        provenance = self.published_provenance()
        provenance.pop(schema.PROV_CODE_VERSION, None)  # as the other outputs: data and configs
        return {"data": json.dumps(provenance, sort_keys=True), "configs": configs_digest()}


def _file_digest(path: Path) -> str:
    from plr_luigi.filesystem.digest import file_sha256

    return file_sha256(path)[:16]


class PreprocessingQuality(FigureOutput):
    """Reads the upstream quality tables and essential metrics; writes outlier F1 and
    imputation MAE against the AUROC of the pipelines using each method (Pearson r, n, p)."""

    def figure_name(self) -> str:
        return "preprocessing_quality"

    def run(self):
        _use_agg()
        from plr_luigi.analysis.preprocessing_quality import F1_FAMILY_NOTE, pearson
        from plr_luigi.database import upstream_queries
        from plr_luigi.figures.preprocessing_scatter import plot_preprocessing_quality

        subset = subset_for("")
        with self.database() as (con, provenance):
            f1 = upstream_queries.outlier_f1_vs_auroc(con, subset)
            mae = upstream_queries.imputation_mae_vs_auroc(con, subset)
        stats = {}
        for panel, frame, column in (("outlier", f1, "f1"), ("imputation", mae, "mae")):
            try:
                stats[panel] = pearson(frame, column)
            except ValueError as err:
                stats[panel] = {"unavailable": str(err)}
        fig = plot_preprocessing_quality(f1, mae, stats, subset_label(subset), F1_FAMILY_NOTE,
                                         is_synthetic(provenance))
        data = {"outlier": f1.to_dict(orient="records"),
                "imputation": mae.to_dict(orient="records")}
        save_figure(fig, figure_data(
            self.figure_name(), "upstream_queries.outlier_f1_vs_auroc, "
            "upstream_queries.imputation_mae_vs_auroc -> scipy.stats.pearsonr", provenance,
            data, subset=subset, pearson=stats, note=F1_FAMILY_NOTE), self.output())


class DemoTraces(FigureOfUnchangingData):
    """Reads the PRIVATE source database and subject lookup, and the results database's
    provenance; writes the light protocol and the demo subjects' traces under public codes.
    Unavailable without a source database: nothing stands in for the missing traces."""

    def figure_name(self) -> str:
        return "demo_traces"

    def requires(self):
        if not plr().source_db:  # the lookup would need the MLflow store, which need not exist
            return {"database": MergeToDuckDB()}
        return {"database": MergeToDuckDB(), "lookup": SubjectLookup()}

    def inputs_digest(self) -> str:
        # the source database is read as configured, as the results database's cohort is
        return _file_digest(Path(self.input()["lookup"].path)) if plr().source_db else ""

    def run(self):
        if not plr().source_db:
            raise DataUnavailableError(NO_SOURCE_DB)
        _use_agg()
        import pandas as pd

        from plr_luigi.extraction import demo_subjects
        from plr_luigi.figures.demo_traces import light_windows, plot_demo_traces
        from plr_luigi.study.configs import load_figure_config

        rule = load_figure_config()["demo_subjects"]
        subjects, traces, light = demo_subjects.load_demo_subjects(
            Path(plr().source_db), pd.read_csv(self.input()["lookup"].path),
            rule["lowest"], rule["average"], rule["highest"])
        provenance = self.published_provenance()
        fig = plot_demo_traces(subjects, traces, light, is_synthetic(provenance))
        data = {"subjects": subjects.to_dict(orient="records"), "light": light.to_dict("list"),
                "light_windows": light_windows(light),
                "traces": {code: rows.drop(columns="subject_code").to_dict("list")
                           for code, rows in traces.groupby("subject_code")}}
        per_class = subjects.groupby("class_label").size()
        caption = (f"Subject traces: {len(subjects)} labelled subjects of the source database "
                   f"({per_class.get(0, 0)} control, {per_class.get(1, 0)} glaucoma; public "
                   f"codes), per class the {rule['highest']} highest outlier shares, the "
                   f"{rule['average']} nearest the class median and the {rule['lowest']} "
                   "lowest: recorded (raw) and ground-truth pupil trace, annotated outlier "
                   "points, light windows shaded (red, blue); titles give the share of "
                   "samples annotated as outliers.")
        save_figure(fig, figure_data(self.figure_name(), "demo_subjects.load_demo_subjects "
                                     "(private source database)", provenance, data, rule=rule,
                                     caption=caption), self.output())


class OutlierDifficulty(FigureOfUnchangingData):
    """Reads the private per-subject outlier difficulty and the results database's provenance;
    writes the shares of easy and hard outliers by class (public). Unavailable without a
    source database."""

    def figure_name(self) -> str:
        return "outlier_difficulty"

    def requires(self):
        if not plr().source_db:
            return {"database": MergeToDuckDB()}
        return {"database": MergeToDuckDB(), "subjects": OutlierDifficultySubjects()}

    def inputs_digest(self) -> str:
        return _file_digest(Path(self.input()["subjects"].path)) if plr().source_db else ""

    def run(self):
        if not plr().source_db:
            raise DataUnavailableError(NO_SOURCE_DB)
        _use_agg()
        import pandas as pd

        from plr_luigi.extraction.outlier_difficulty import difficulty_shares
        from plr_luigi.figures.outlier_difficulty_bars import plot_outlier_difficulty

        shares = difficulty_shares(pd.read_csv(self.input()["subjects"].path))
        provenance = self.published_provenance()
        fig = plot_outlier_difficulty(shares, is_synthetic(provenance))
        save_figure(fig, figure_data(self.figure_name(), "outlier_difficulty.difficulty_shares "
                                     "of the private per-subject counts (source database)",
                                     provenance, shares.to_dict(orient="records"),
                                     rule="easy: |pupil_orig - pupil_gt| > 3 SD of the "
                                          "subject's pupil_gt"), self.output())


class DecompositionGrid(FigureOfUnchangingData):
    """Reads the PRIVATE signals database (and the results database's provenance); writes the
    5 methods x 5 categories decomposition grid (public component waveforms). Unavailable
    without an MLflow store: there are no signals."""

    def figure_name(self) -> str:
        return "decomposition_grid"

    def requires(self):
        if not plr().tracking_uri:
            return {"database": MergeToDuckDB()}
        return {"database": MergeToDuckDB(), "signals": MergeSignals()}

    def inputs_digest(self) -> str:
        from plr_luigi.database.signals_database import signals_inventory
        from plr_luigi.study.configs import CONFIGS_DIR

        if not plr().tracking_uri:
            return ""
        # the signals' runs, and factors.yaml: its valid outlier methods make the categories
        return (f"{signals_inventory(Path(self.input()['signals'].path))}+"
                f"{_file_digest(CONFIGS_DIR / 'factors.yaml')}")

    def run(self):
        if not plr().tracking_uri:
            raise DataUnavailableError(
                "no MLflow store is configured ([plr] tracking_uri): the private signals "
                "database of the imputation runs cannot be built")
        _use_agg()
        from plr_luigi.analysis import decomposition
        from plr_luigi.figures.decomposition_grid import plot_decomposition_grid
        from plr_luigi.study.factors import load_factor_registry
        from plr_luigi.study.upstream_names import preprocessing_categories

        grid, data = decomposition.decompose_categories(
            Path(self.input()["signals"].path),
            sorted(load_factor_registry().valid["outlier_method"]), preprocessing_categories())
        provenance = self.published_provenance()
        fig = plot_decomposition_grid(grid, decomposition.METHODS, decomposition.METHOD_LABELS,
                                      preprocessing_categories(), is_synthetic(provenance))
        save_figure(fig, figure_data(
            self.figure_name(), "signals_database.read_signals (private) -> "
            "decomposition.decompose_category", provenance, data,
            choices={"bin_samples": decomposition.BIN_SAMPLES,
                     "max_fit_signals": decomposition.MAX_FIT_SIGNALS,
                     "n_bootstrap": decomposition.N_BOOTSTRAP,
                     "templates": decomposition.TEMPLATE_NAMES}), self.output())
