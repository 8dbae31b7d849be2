"""Outputs built on the upstream experiments and the source database: the preprocessing-quality
figure and table, and the outlier difficulty."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import luigi

from plr_luigi.database.provenance import is_synthetic
from plr_luigi.database.results_database import read_provenance_of
from plr_luigi.study.unavailable import unavailable_status
from plr_luigi.tasks.config import plr
from plr_luigi.tasks.database import MergeToDuckDB
from plr_luigi.tasks.extraction import SubjectLookup
from plr_luigi.tasks.output_base import (
    FIGURE_EXTENSIONS,
    DatabaseOutput,
    FigureOutput,
    TexTableOutput,
    figure_data,
    save_figure,
    subset_for,
    subset_label,
    write_text,
)
from plr_luigi.tasks.run_once import RunOnceTask
from plr_luigi.tasks.upstream import MergeSignals

logger = logging.getLogger(__name__)

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



OUTLIER_DIFFICULTY = "outlier_difficulty"


class OutlierDifficultySubjects(RunOnceTask):
    """Reads the PRIVATE source database and subject lookup; writes the per-subject easy/hard
    outlier counts under public codes (PRIVATE: data/private/outlier_difficulty_subjects.csv)."""

    def requires(self):
        return SubjectLookup()

    def output(self):
        return luigi.LocalTarget(str(Path(plr().data_dir) / "private"
                                     / f"{OUTLIER_DIFFICULTY}_subjects.csv"))

    def run(self):
        import pandas as pd

        from plr_luigi.extraction.outlier_difficulty import per_subject_difficulty

        lookup = pd.read_csv(self.input().path, dtype={"original_code": str})
        subjects = per_subject_difficulty(Path(plr().source_db), lookup)
        with self.output().temporary_path() as tmp:
            subjects.to_csv(tmp, index=False)


class OutlierDifficulty(DatabaseOutput):
    """Reads the private per-subject outlier difficulty and the results database's provenance;
    writes the shares of easy and hard outliers by class (public). Without a source database it
    writes only a status JSON saying the figure is unavailable and why."""

    def requires(self):
        if not plr().source_db:
            return {"database": MergeToDuckDB()}
        return {"database": MergeToDuckDB(), "subjects": OutlierDifficultySubjects()}

    def output(self):
        stem = plr().output_path("figures", OUTLIER_DIFFICULTY)
        if not plr().source_db:
            return {"status": luigi.LocalTarget(f"{stem}.unavailable.json")}
        return {ext: luigi.LocalTarget(f"{stem}.{ext}") for ext in FIGURE_EXTENSIONS}

    def run(self):
        if not plr().source_db:
            reason = "no subject source database is configured ([plr] source_db)"
            logger.warning("%s: figure unavailable: %s", OUTLIER_DIFFICULTY, reason)
            write_text(self.output()["status"],
                       json.dumps(unavailable_status(reason), indent=1))
            return
        import matplotlib

        matplotlib.use("Agg")
        import pandas as pd

        from plr_luigi.extraction.outlier_difficulty import difficulty_shares
        from plr_luigi.figures.outlier_difficulty import plot_outlier_difficulty

        shares = difficulty_shares(pd.read_csv(self.input()["subjects"].path))
        provenance = read_provenance_of(self.database_path())
        fig = plot_outlier_difficulty(shares, is_synthetic(provenance))
        save_figure(fig, figure_data(OUTLIER_DIFFICULTY, "outlier_difficulty.difficulty_shares "
                                     "of the private per-subject counts (source database)",
                                     provenance, shares.to_dict(orient="records"),
                                     rule="easy: |pupil_orig - pupil_gt| > 3 SD of the "
                                          "subject's pupil_gt"), self.output())



DECOMPOSITION = "decomposition_grid"


class DecompositionGrid(DatabaseOutput):
    """Reads the PRIVATE signals database (and the results database's provenance); writes the
    5 methods x 5 categories decomposition grid (public component waveforms). Without an
    MLflow store there are no signals: it writes only a status JSON saying so."""

    def requires(self):
        if not plr().tracking_uri:
            return {"database": MergeToDuckDB()}
        return {"database": MergeToDuckDB(), "signals": MergeSignals()}

    def output(self):
        stem = plr().output_path("figures", DECOMPOSITION)
        if not plr().tracking_uri:
            return {"status": luigi.LocalTarget(f"{stem}.unavailable.json")}
        return {ext: luigi.LocalTarget(f"{stem}.{ext}") for ext in FIGURE_EXTENSIONS}

    def run(self):
        if not plr().tracking_uri:
            reason = ("no MLflow store is configured ([plr] tracking_uri): the private signals "
                      "database of the imputation runs cannot be built")
            logger.warning("%s: figure unavailable: %s", DECOMPOSITION, reason)
            write_text(self.output()["status"],
                       json.dumps(unavailable_status(reason), indent=1))
            return
        import matplotlib

        matplotlib.use("Agg")
        from plr_luigi.analysis import decomposition
        from plr_luigi.database.signals_database import read_signals
        from plr_luigi.figures.decomposition import plot_decomposition_grid
        from plr_luigi.study.factors import load_factor_registry
        from plr_luigi.study.upstream_names import CATEGORIES, preprocessing_category

        valid = sorted(load_factor_registry().valid["outlier_method"])
        grid, data = {}, {}
        for category in CATEGORIES:
            members = [m for m in valid if preprocessing_category(m) == category]
            signals, time, light = read_signals(Path(self.input()["signals"].path), members)
            logger.info("decomposition: %s, %d signals", category, len(signals))
            if len(signals) < 2 * decomposition.N_COMPONENTS:
                grid[category] = None
                data[category] = {"n_signals": len(signals), "outlier_methods": members}
                continue
            grid[category] = decomposition.decompose_category(signals, time, light)
            data[category] = {
                "n_signals": len(signals), "outlier_methods": members,
                "time": grid[category]["time"].round(3).tolist(),
                **{m: {k: v.round(4).tolist() for k, v in grid[category][m].items()}
                   for m in decomposition.METHODS}}
            del signals
        provenance = read_provenance_of(self.database_path())
        fig = plot_decomposition_grid(grid, decomposition.METHODS, decomposition.METHOD_LABELS,
                                      CATEGORIES, is_synthetic(provenance))
        save_figure(fig, figure_data(
            DECOMPOSITION, "signals_database.read_signals (private) -> "
            "decomposition.decompose_category", provenance, data,
            choices={"bin_samples": decomposition.BIN_SAMPLES,
                     "max_fit_signals": decomposition.MAX_FIT_SIGNALS,
                     "n_bootstrap": decomposition.N_BOOTSTRAP,
                     "templates": decomposition.TEMPLATE_NAMES}), self.output())


def upstream_outputs() -> list[luigi.Task]:
    """The manuscript outputs built on the upstream experiments, in the report's order."""
    return [PreprocessingQuality(), PreprocessingTable(), OutlierDifficulty(),
            DecompositionGrid()]
