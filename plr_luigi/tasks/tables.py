"""Table tasks: each reads the results database and writes one LaTeX table under tables/ with its
JSON twin, or, when the data cannot support it, a .tex file printing n/a with the reason and a
twin saying so (TexTableOutput)."""

from __future__ import annotations

import luigi

from plr_luigi.database.provenance import is_synthetic
from plr_luigi.study.factors import FACTORS
from plr_luigi.study.unavailable import require_rows
from plr_luigi.tasks.output_base import TexTableOutput, subset_for, subset_label


class FactorTable(TexTableOutput):
    """Reads essential metrics; writes the LaTeX table of AUROC by one factor."""

    factor = luigi.ChoiceParameter(choices=FACTORS, description="factor compared")

    def table_name(self) -> str:
        return f"by_{self.factor}"

    def run(self):
        from plr_luigi.analysis.latex_tables import factor_summary_table
        from plr_luigi.database import queries

        subset = subset_for(self.factor)
        with self.database() as (con, provenance):
            frame = require_rows(queries.factor_summary(con, self.factor, subset),
                                 f"configuration with {subset_label(subset)}")
        self.write_table(factor_summary_table(frame, self.factor, subset, subset_label(subset),
                                              is_synthetic(provenance)))


class TopPipelinesTable(TexTableOutput):
    """Reads essential metrics; writes the LaTeX table of the best configurations with CIs."""

    def table_name(self) -> str:
        return "top_pipelines"

    def run(self):
        from plr_luigi.analysis.latex_tables import top_pipelines_table
        from plr_luigi.database import queries
        from plr_luigi.study.configs import load_figure_config

        with self.database() as (con, provenance):
            frame = require_rows(queries.configurations(
                con, limit=load_figure_config()["top_table_n"]), "configuration")
        self.write_table(top_pipelines_table(frame, is_synthetic(provenance)))


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
