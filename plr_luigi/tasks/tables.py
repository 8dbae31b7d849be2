"""Table tasks: each reads the results database and writes one LaTeX table under tables/, or, when
the data cannot support it, a .tex file printing n/a with the reason (TexTableOutput)."""

from __future__ import annotations

import luigi

from plr_luigi.database.provenance import is_synthetic
from plr_luigi.study.factors import FACTORS
from plr_luigi.study.unavailable import require_rows
from plr_luigi.tasks.output_base import TexTableOutput, subset_for, subset_label, write_text
from plr_luigi.tasks.settings import plr


def _table_target(name: str) -> luigi.LocalTarget:
    return luigi.LocalTarget(str(plr().output_path("tables", f"{name}.tex")))


class FactorTable(TexTableOutput):
    """Reads essential metrics; writes the LaTeX table of AUROC by one factor."""

    factor = luigi.ChoiceParameter(choices=FACTORS, description="factor compared")

    def output(self):
        return _table_target(f"by_{self.factor}")

    def run(self):
        from plr_luigi.analysis.latex_tables import factor_summary_latex
        from plr_luigi.database import queries

        subset = subset_for(self.factor)
        with self.database() as (con, provenance):
            frame = require_rows(queries.factor_summary(con, self.factor, subset),
                                 f"configuration with {subset_label(subset)}")
        write_text(self.output(), factor_summary_latex(
            frame, self.factor, subset_label(subset), is_synthetic(provenance),
            label=f"tab:by_{self.factor}"))


class TopPipelinesTable(TexTableOutput):
    """Reads essential metrics; writes the LaTeX table of the best configurations with CIs."""

    def output(self):
        return _table_target("top_pipelines")

    def run(self):
        from plr_luigi.analysis.latex_tables import top_pipelines_latex
        from plr_luigi.database import queries
        from plr_luigi.study.configs import load_figure_config

        with self.database() as (con, provenance):
            frame = require_rows(queries.configurations(
                con, limit=load_figure_config()["top_table_n"]), "configuration")
        write_text(self.output(), top_pipelines_latex(frame, is_synthetic(provenance),
                                                       label="tab:top_pipelines"))


class VarianceTable(TexTableOutput):
    """Reads essential metrics and bootstrap AUROCs; writes the LaTeX table of the AUROC
    variance decomposition (the numbers of the VarianceDecomposition figure)."""

    def output(self):
        return _table_target("variance_decomposition")

    def run(self):
        from plr_luigi.analysis.latex_tables import variance_latex
        from plr_luigi.analysis.statistical_inputs import variance_table

        with self.database() as (con, provenance):
            frame = variance_table(con)
        write_text(self.output(), variance_latex(frame, is_synthetic(provenance),
                                                  label="tab:variance_decomposition"))


class PreprocessingTable(TexTableOutput):
    """Reads the upstream quality tables; writes tables/preprocessing.tex (F1 with CI per
    outlier method, MAE with CI per imputer on the ground-truth outlier masks)."""

    def output(self):
        return _table_target("preprocessing")

    def run(self):
        from plr_luigi.analysis.preprocessing_quality import F1_FAMILY_NOTE
        from plr_luigi.analysis.preprocessing_table import preprocessing_latex
        from plr_luigi.database import upstream_queries

        with self.database() as (con, provenance):
            outlier = upstream_queries.outlier_method_quality(con)
            imputers = upstream_queries.imputer_quality(con)
        write_text(self.output(), preprocessing_latex(outlier, imputers,
                                                       is_synthetic(provenance), F1_FAMILY_NOTE))
