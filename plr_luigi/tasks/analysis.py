"""Analysis outputs: numbers.tex and the LaTeX tables, each read from the results database."""

from __future__ import annotations

import luigi

from plr_luigi.database.provenance import is_synthetic
from plr_luigi.study.factors import FACTORS
from plr_luigi.study.unavailable import require_rows
from plr_luigi.tasks.config import plr
from plr_luigi.tasks.output_base import (
    DatabaseOutput,
    TexTableOutput,
    subset_for,
    subset_label,
    write_text,
)


def _table_target(name: str) -> luigi.LocalTarget:
    return luigi.LocalTarget(str(plr().output_path("tables", f"{name}.tex")))


class NumbersTex(DatabaseOutput):
    """Reads the database; writes numbers.tex, one macro per number the text quotes."""

    def output(self):
        return luigi.LocalTarget(str(plr().output_path("numbers.tex")))

    def run(self):
        from plr_luigi.analysis import figure_numbers, numbers_tex
        from plr_luigi.analysis.preprocessing_quality import quality_number_specs
        from plr_luigi.database.provenance import provenance_line
        from plr_luigi.database.queries import find_pipelines
        from plr_luigi.study.configs import load_figure_config, load_standard_pipelines

        cd = load_figure_config()["critical_difference"]
        with self.database() as (con, provenance):
            specs = numbers_tex.number_specs(numbers_tex.classifiers_in(con), cd["top_n"],
                                             cd["alpha"])
            specs += quality_number_specs(subset_for(""))
            catboost = figure_numbers.catboost_pipelines(load_standard_pipelines())
            found = set(find_pipelines(con, catboost)[0]["pipeline"])
            specs += figure_numbers.instability_specs(
                {name: spec for name, spec in catboost.items() if name in found})
            specs += figure_numbers.raincloud_specs(load_figure_config()["raincloud_metrics"])
            values = numbers_tex.compute_numbers(con, specs)
        write_text(self.output(), numbers_tex.render_numbers_tex(
            values, is_synthetic(provenance), provenance_line(provenance)))


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
