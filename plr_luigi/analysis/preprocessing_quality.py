"""Preprocessing quality against AUROC: the Pearson correlations of the manuscript's scatter
(outlier F1, imputation MAE) and their numbers for numbers.tex."""

from __future__ import annotations

import pandas as pd

from plr_luigi.analysis.number_macros import NumberSpec, format_p
from plr_luigi.study.unavailable import DataUnavailableError

# The study's F1 is defined per method family (plain, thresholded, point-adjusted): pooling
# them in one correlation is what the study did, and every output that does says so.
F1_FAMILY_NOTE = ("F1 is defined differently per method family (plain F1 of the binary mask "
                  "for LOF, One-class SVM, Prophet, SubPCA and the ensemble; thresholded for "
                  "MOMENT and the thresholded ensemble; point-adjusted for TimesNet and UniTS); "
                  "the correlation pools the families.")
PANELS = {"outlier": "f1", "imputation": "mae"}  # panel -> quality column


def pearson(frame: pd.DataFrame, x: str, y: str = "auroc") -> dict:
    """r, p (two-sided) and n of scipy.stats.pearsonr; DataUnavailableError where it is
    undefined (fewer than 3 pipelines, a constant variable)."""
    from scipy.stats import pearsonr

    if len(frame) < 3:
        raise DataUnavailableError(f"a correlation needs at least 3 pipelines, found {len(frame)}")
    if frame[x].nunique() < 2 or frame[y].nunique() < 2:
        raise DataUnavailableError(f"{x} or {y} is constant over the {len(frame)} pipelines")
    result = pearsonr(frame[x], frame[y])
    return {"r": float(result.statistic), "p": float(result.pvalue), "n": len(frame)}


def quality_number_specs(subset: dict[str, str]) -> list[NumberSpec]:
    """numbers.tex entries: r, p and n of each panel, from the same queries as the figure.
    A panel with fewer than 3 pipelines (a store without the upstream experiments) prints n/a
    with the reason, like every number the data cannot support."""
    from plr_luigi.database import upstream_queries

    where = " AND ".join(f"e.{f} = '{v}'" for f, v in subset.items()) or "TRUE"
    label = ", ".join(f"{f} {v}" for f, v in subset.items()) or "all pipelines"
    specs = []
    for panel, column in PANELS.items():
        cte = (upstream_queries.OUTLIER_F1_SQL if panel == "outlier"
               else upstream_queries.IMPUTATION_MAE_SQL)
        key = ("outlier_method" if panel == "outlier"
               else "imputation_method, outlier_method")
        gt_factor = "outlier_method" if panel == "outlier" else "imputation_method"
        gt_value = 1.0 if panel == "outlier" else 0.0
        sql = (f"WITH q AS ({' '.join(cte.split())}) SELECT e.config_id, e.auroc, CASE WHEN "
               f"e.{gt_factor} = 'pupil-gt' THEN {gt_value} ELSE q.{column} END AS {column} "
               f"FROM essential_metrics e LEFT JOIN q USING ({key}) WHERE {where} AND "
               f"(q.{column} IS NOT NULL OR e.{gt_factor} = 'pupil-gt') ORDER BY e.config_id")
        derive = ("scipy.stats.pearsonr", lambda frame, c=column: pearson(frame, c))
        name = "OutlierFOne" if panel == "outlier" else "ImputationMae"
        what = "outlier F1" if panel == "outlier" else "imputation MAE"
        specs += [
            NumberSpec(f"corrAuroc{name}", f"Pearson r of AUROC on {what} ({label})", sql,
                       "{:.2f}", (*derive, "r")),
            NumberSpec(f"corrAuroc{name}P", "its p-value", sql, format_p, (*derive, "p")),
            NumberSpec(f"corrAuroc{name}N", "pipelines in it", sql, "{}", (*derive, "n")),
        ]
    return specs
