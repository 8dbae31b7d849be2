"""Outputs built on the upstream experiments: the preprocessing-quality figure and table."""

from __future__ import annotations

import luigi

from plr_luigi.database.provenance import is_synthetic
from plr_luigi.tasks.config import plr
from plr_luigi.tasks.output_base import (
    DatabaseOutput,
    FigureOutput,
    figure_data,
    save_figure,
    subset_for,
    subset_label,
    write_text,
)

PREPROCESSING_QUALITY = "preprocessing_quality"


class PreprocessingQuality(FigureOutput):
    """Reads the upstream quality tables and essential metrics; writes outlier F1 and
    imputation MAE against the AUROC of the pipelines using each method (Pearson r, n, p)."""

    def figure_name(self) -> str:
        return PREPROCESSING_QUALITY

    def run(self):
        import matplotlib

        matplotlib.use("Agg")
        from plr_luigi.analysis.preprocessing_quality import F1_FAMILY_NOTE, pearson
        from plr_luigi.database import upstream_queries
        from plr_luigi.figures.preprocessing_quality import plot_preprocessing_quality

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


class PreprocessingTable(DatabaseOutput):
    """Reads the upstream quality tables; writes tables/preprocessing.tex (F1 with CI per
    outlier method, MAE with CI per imputer on the ground-truth outlier masks)."""

    def output(self):
        return luigi.LocalTarget(str(plr().output_path("tables", "preprocessing.tex")))

    def run(self):
        from plr_luigi.analysis.preprocessing_quality import F1_FAMILY_NOTE
        from plr_luigi.analysis.preprocessing_table import preprocessing_latex
        from plr_luigi.database import upstream_queries

        with self.database() as (con, provenance):
            outlier = upstream_queries.outlier_method_quality(con)
            imputers = upstream_queries.imputer_quality(con)
        write_text(self.output(), preprocessing_latex(outlier, imputers,
                                                       is_synthetic(provenance), F1_FAMILY_NOTE))


def upstream_outputs() -> list[luigi.Task]:
    """The manuscript outputs built on the upstream experiments, in the report's order."""
    return [PreprocessingQuality(), PreprocessingTable()]
