"""Read-only queries of the upstream quality tables (outlier_detection_metrics,
imputation_metrics), alone and joined to the pipelines that used each method.

Choices (docs/statistics-and-figures.md, "Preprocessing quality"): a method's quality is its
best run's (the highest `outlier_test/f1` of the method, the lowest `test/mae` of an imputer on
an outlier source, as the study's `OutlierBest_f1` param is); ground truth is F1 1 and MAE 0 by
definition, as the classification runs' `Outlier_f1` / `Imputation_mae` params record it.
"""

from __future__ import annotations

import pandas as pd

from plr_luigi.database.queries import subset_where
from plr_luigi.study import schema

E = schema.ESSENTIAL
O = schema.OUTLIER_METRICS  # noqa: E741 -- the table's initial, as E for essential_metrics
M = schema.IMPUTATION_METRICS
GROUND_TRUTH = "pupil-gt"
OUTLIER_QUALITY = ("outlier_test", "f1")
IMPUTATION_QUALITY = ("test", "mae")

OUTLIER_F1_SQL = f"""
    SELECT {O.outlier_method}, any_value({O.f1_definition}) AS f1_definition,
           arg_max({O.value}, {O.value}) AS f1, arg_max({O.ci_lo}, {O.value}) AS f1_ci_lo,
           arg_max({O.ci_hi}, {O.value}) AS f1_ci_hi, count(*) AS n_runs
    FROM {O.name} WHERE {O.split} = '{OUTLIER_QUALITY[0]}' AND {O.metric} = '{OUTLIER_QUALITY[1]}'
    GROUP BY {O.outlier_method}"""
IMPUTATION_MAE_SQL = f"""
    SELECT {M.imputation_method}, {M.outlier_method}, arg_min({M.value}, {M.value}) AS mae,
           arg_min({M.imputer}, {M.value}) AS imputer
    FROM {M.name} WHERE {M.split} = '{IMPUTATION_QUALITY[0]}'
      AND {M.metric} = '{IMPUTATION_QUALITY[1]}'
    GROUP BY {M.imputation_method}, {M.outlier_method}"""


def outlier_f1_vs_auroc(con, subset: dict[str, str]) -> pd.DataFrame:
    """One row per configuration of subset whose outlier method has an F1: config_id, levels,
    auroc, f1, f1_definition."""
    where, args = subset_where(subset)
    return con.execute(f"""
        WITH f1 AS ({OUTLIER_F1_SQL})
        SELECT e.{E.config_id}, e.{E.outlier_method}, e.{E.imputation_method}, e.{E.auroc},
               CASE WHEN e.{E.outlier_method} = '{GROUND_TRUTH}' THEN 1.0 ELSE f1.f1 END AS f1,
               CASE WHEN e.{E.outlier_method} = '{GROUND_TRUTH}' THEN 'ground truth'
                    ELSE f1.f1_definition END AS f1_definition
        FROM {E.name} e LEFT JOIN f1 USING ({E.outlier_method})
        WHERE {where} AND (f1.f1 IS NOT NULL OR e.{E.outlier_method} = '{GROUND_TRUTH}')
        ORDER BY e.{E.config_id}""", args).df()


def imputation_mae_vs_auroc(con, subset: dict[str, str]) -> pd.DataFrame:
    """One row per configuration of subset whose (imputation, outlier) pair has an imputation
    run (or ground-truth imputation): config_id, levels, auroc, mae."""
    where, args = subset_where(subset)
    return con.execute(f"""
        WITH mae AS ({IMPUTATION_MAE_SQL})
        SELECT e.{E.config_id}, e.{E.outlier_method}, e.{E.imputation_method}, e.{E.auroc},
               CASE WHEN e.{E.imputation_method} = '{GROUND_TRUTH}' THEN 0.0
                    ELSE mae.mae END AS mae
        FROM {E.name} e LEFT JOIN mae USING ({E.imputation_method}, {E.outlier_method})
        WHERE {where} AND (mae.mae IS NOT NULL OR e.{E.imputation_method} = '{GROUND_TRUTH}')
        ORDER BY e.{E.config_id}""", args).df()


def outlier_method_quality(con) -> pd.DataFrame:
    """Per outlier method: F1 (outlier_test) with its CI and the family's F1 definition."""
    return con.execute(f"{OUTLIER_F1_SQL} ORDER BY f1 DESC, {O.outlier_method}").df()


def imputer_quality(con, outlier_source: str = GROUND_TRUTH) -> pd.DataFrame:
    """Per imputer (model with hyperparameters) on one outlier source: test MAE with its CI."""
    return con.execute(f"""
        SELECT {M.imputer}, {M.imputation_method}, {M.value} AS mae, {M.ci_lo} AS mae_ci_lo,
               {M.ci_hi} AS mae_ci_hi
        FROM {M.name} WHERE {M.split} = ? AND {M.metric} = ? AND {M.outlier_method} = ?
        ORDER BY mae, {M.imputer}""", [*IMPUTATION_QUALITY, outlier_source]).df()
