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
)


class NumbersTex(DatabaseOutput):
    """Reads the database; writes numbers.tex, one macro per number the text quotes, and its
    JSON twin numbers.json."""

    def output(self):
        from plr_luigi.analysis.twins import twin_paths

        return {kind: luigi.LocalTarget(str(path))
                for kind, path in twin_paths(plr().output_path("numbers.tex")).items()}

    def run(self):
        from plr_luigi.analysis import figure_numbers, numbers_tex
        from plr_luigi.analysis.preprocessing_quality import quality_number_specs
        from plr_luigi.analysis.twins import write_with_twin
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
        write_with_twin(self.published_files(), numbers_tex.render_numbers_tex(
            values, is_synthetic(provenance), provenance_line(provenance)),
            numbers_tex.numbers_twin(values, is_synthetic(provenance), provenance))


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
