"""Table tasks: each reads the results database and writes one LaTeX table."""

from __future__ import annotations

import luigi

from plr_luigi.factors import FACTORS
from plr_luigi.tasks.config import plr
from plr_luigi.tasks.outputs import (
    DatabaseOutput,
    _subset_for,
    _subset_label,
    _synthetic,
    _write_text,
)


def _table_target(name: str) -> luigi.LocalTarget:
    return luigi.LocalTarget(str(plr().output_path("tables", f"{name}.tex")))


class FactorTable(DatabaseOutput):
    """Reads essential metrics; writes the LaTeX table of AUROC by one factor."""

    factor = luigi.ChoiceParameter(choices=FACTORS, description="factor compared")

    def output(self):
        return _table_target(f"by_{self.factor}")

    def run(self):
        from plr_luigi import queries
        from plr_luigi.tables import factor_summary_latex

        subset = _subset_for(self.factor)
        with self.database() as (con, provenance):
            frame = queries.factor_summary(con, self.factor, subset)
        _write_text(self.output(), factor_summary_latex(
            frame, self.factor, _subset_label(subset), _synthetic(provenance),
            label=f"tab:by_{self.factor}"))


class TopPipelinesTable(DatabaseOutput):
    """Reads essential metrics; writes the LaTeX table of the best configurations with CIs."""

    def output(self):
        return _table_target("top_pipelines")

    def run(self):
        from plr_luigi import queries
        from plr_luigi.figures.style import load_figure_config
        from plr_luigi.tables import top_pipelines_latex

        with self.database() as (con, provenance):
            frame = queries.configurations(con, limit=load_figure_config()["top_table_n"])
        _write_text(self.output(), top_pipelines_latex(frame, _synthetic(provenance),
                                                       label="tab:top_pipelines"))


class VarianceTable(DatabaseOutput):
    """Reads essential metrics and bootstrap AUROCs; writes the LaTeX table of the AUROC
    variance decomposition (the numbers of the VarianceDecomposition figure)."""

    def output(self):
        return _table_target("variance_decomposition")

    def run(self):
        from plr_luigi.analysis import variance_table
        from plr_luigi.tables import variance_latex

        with self.database() as (con, provenance):
            frame = variance_table(con)
        _write_text(self.output(), variance_latex(frame, _synthetic(provenance),
                                                  label="tab:variance_decomposition"))
