"""Table tasks: each reads the results database and writes one LaTeX table under tables/ with its
JSON twin, or, when the data cannot support it, a .tex file printing n/a with the reason and a
twin saying so (TexTableOutput)."""

from __future__ import annotations

import luigi

from plr_luigi.database.provenance import is_synthetic
from plr_luigi.study.display import population_label
from plr_luigi.study.factors import FACTORS
from plr_luigi.study.unavailable import DataUnavailableError, require_rows
from plr_luigi.tasks.output_base import TexTableOutput

# The study's factorial model: these three factors and every interaction (T2).
ANOVA_FACTORS = ("outlier_method", "imputation_method", "classifier")
# The fewest residual degrees of freedom an ANOVA's F tests are computed on: fewer leave the
# residual mean square, the denominator of every F, resting on a handful of configurations.
MIN_RESIDUAL_DF = 10


class FactorTable(TexTableOutput):
    """Reads essential metrics; writes the LaTeX table of AUROC by one factor over its
    manuscript item's population (T3-T5: handcrafted features, every classifier)."""

    factor = luigi.ChoiceParameter(choices=FACTORS, description="factor compared")

    def table_name(self) -> str:
        return f"by_{self.factor}"

    def run(self):
        from plr_luigi.analysis.latex_tables import factor_summary_table
        from plr_luigi.database import queries

        levels = self.population()
        with self.database() as (con, provenance):
            frame = require_rows(queries.population_factor_summary(con, self.factor, levels),
                                 f"configuration of {population_label(levels)}")
        self.write_table(factor_summary_table(
            frame, self.factor, population_label(levels),
            f"queries.population_factor_summary(factor={self.factor!r}, levels={levels!r})",
            is_synthetic(provenance)))


class TopPipelinesTable(TexTableOutput):
    """Reads essential metrics; writes the LaTeX table of the best configurations of the
    population (T1) with CIs."""

    def table_name(self) -> str:
        return "top_pipelines"

    def run(self):
        from plr_luigi.analysis.latex_tables import top_pipelines_table
        from plr_luigi.database import queries
        from plr_luigi.study.configs import load_figure_config

        levels, n = self.population(), load_figure_config()["top_table_n"]
        with self.database() as (con, provenance):
            frame = require_rows(queries.population_configurations(con, levels).head(n),
                                 f"configuration of {population_label(levels)}")
        self.write_table(top_pipelines_table(
            frame, levels, population_label(levels),
            f"queries.population_configurations(levels={levels!r}).head({n})",
            is_synthetic(provenance)))


class FactorialAnovaTable(TexTableOutput):
    """Reads essential metrics; writes T2, the factorial ANOVA of AUROC (type III, every
    interaction of outlier method, imputation method and classifier)."""

    def table_name(self) -> str:
        return "factorial_anova"

    def run(self):
        from plr_luigi.analysis.factorial_anova import (
            CODING_PUBLISHED,
            CODING_SUM,
            empty_cells,
            highest_fittable_order,
            type3_anova,
        )
        from plr_luigi.analysis.latex_tables import factorial_anova_table
        from plr_luigi.database import queries

        levels = self.population()
        with self.database() as (con, provenance):
            frame = queries.population_configurations(con, levels)
        factors = [f for f in ANOVA_FACTORS if frame[f].nunique() > 1]
        order = highest_fittable_order(frame, "auroc", factors, MIN_RESIDUAL_DF) if len(
            factors) > 1 else None
        if order is None:
            raise DataUnavailableError(
                f"{len(frame)} configurations varying in {len(factors)} of the factors "
                f"{', '.join(ANOVA_FACTORS)}: no factorial model of them leaves "
                f"{MIN_RESIDUAL_DF} residual degrees of freedom")
        self.write_table(factorial_anova_table(
            type3_anova(frame, "auroc", factors, CODING_PUBLISHED, order),
            type3_anova(frame, "auroc", factors, CODING_SUM, order), len(frame),
            empty_cells(frame, factors), len(factors), order, population_label(levels),
            f"queries.population_configurations(levels={levels!r}) -> factorial_anova."
            f"type3_anova(auroc ~ ({' + '.join(factors)})**{order})",
            is_synthetic(provenance)))


class StratosTable(TexTableOutput):
    """Reads essential metrics; writes T6, the STRATOS metrics of every standard pipeline of
    configs/pipelines.yaml the database holds (a missing one is named, never substituted)."""

    def table_name(self) -> str:
        return "stratos"

    def run(self):
        from plr_luigi.analysis.latex_tables import stratos_table
        from plr_luigi.database import queries
        from plr_luigi.study.configs import load_standard_pipelines

        pipelines = load_standard_pipelines()
        with self.database() as (con, provenance):
            frame, missing = queries.standard_pipeline_metrics(con, pipelines)
        require_rows(frame, "standard pipeline (configs/pipelines.yaml)")
        self.write_table(stratos_table(
            frame, {name: p["label"] for name, p in pipelines.items()}, missing,
            "queries.standard_pipeline_metrics(configs/pipelines.yaml standard_pipelines)",
            is_synthetic(provenance)))


class CohortTable(TexTableOutput):
    """Reads the cohort summary (aggregates by subject group); writes T8."""

    def table_name(self) -> str:
        return "cohort"

    def run(self):
        from plr_luigi.analysis.latex_tables import cohort_table
        from plr_luigi.database import queries

        with self.database() as (con, provenance):
            frame = require_rows(queries.cohort_summary(con), "cohort summary row")
        self.write_table(cohort_table(frame, is_synthetic(provenance)))


class HyperparametersTable(TexTableOutput):
    """Reads the classifier hyperparameters the runs logged; writes T9."""

    def table_name(self) -> str:
        return "hyperparameters"

    def run(self):
        from plr_luigi.analysis.latex_tables import hyperparameters_table
        from plr_luigi.database import queries

        levels = self.population()
        with self.database() as (con, provenance):
            frame = require_rows(queries.classifier_hyperparameters(con, levels),
                                 f"logged hyperparameter (hparam_* param) of "
                                 f"{population_label(levels)}")
        self.write_table(hyperparameters_table(
            frame, population_label(levels),
            f"queries.classifier_hyperparameters(levels={levels!r})", is_synthetic(provenance)))


class VarianceTable(TexTableOutput):
    """Reads essential metrics and bootstrap AUROCs; writes the LaTeX table of the AUROC
    variance decomposition (the numbers of the VarianceDecomposition figure)."""

    def table_name(self) -> str:
        return "variance_decomposition"

    def run(self):
        from plr_luigi.analysis.latex_tables import variance_decomposition_table
        from plr_luigi.analysis.statistical_inputs import variance_table

        with self.database() as (con, provenance):
            frame = variance_table(con)
        self.write_table(variance_decomposition_table(frame, is_synthetic(provenance)))


class PreprocessingTable(TexTableOutput):
    """Reads the upstream quality tables; writes tables/preprocessing.tex (F1 with CI per
    outlier method, MAE with CI per imputer on the ground-truth outlier masks)."""

    def table_name(self) -> str:
        return "preprocessing"

    def run(self):
        from plr_luigi.analysis.preprocessing_quality import F1_FAMILY_NOTE
        from plr_luigi.analysis.preprocessing_table import preprocessing_table
        from plr_luigi.database import upstream_queries

        with self.database() as (con, provenance):
            outlier = upstream_queries.outlier_method_quality(con)
            imputers = upstream_queries.imputer_quality(con)
        self.write_table(preprocessing_table(outlier, imputers, is_synthetic(provenance),
                                             F1_FAMILY_NOTE))
