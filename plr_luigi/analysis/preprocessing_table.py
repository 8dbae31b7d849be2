"""The preprocessing table: outlier F1 per method and imputation MAE per imputer, with CIs."""

from __future__ import annotations

import pandas as pd

from plr_luigi.analysis.latex_tables import EMPTY_CELL, TableFile, TablePart
from plr_luigi.study.display import display_name

CI_NOTE = ("CIs are the 0.05th and 99.95th percentiles of the subject-wise values, as the "
           "study's training code logs them.")


def _interval(value: float, lo: float, hi: float) -> str:
    if pd.isna(lo) or pd.isna(hi):
        return f"{value:.3f}"
    return f"{value:.3f} ({lo:.3f}{EMPTY_CELL}{hi:.3f})"


def preprocessing_table(outlier: pd.DataFrame, imputers: pd.DataFrame, synthetic: bool,
                        f1_note: str) -> TableFile:
    """outlier: upstream_queries.outlier_method_quality; imputers: imputer_quality."""
    outlier_rows = pd.DataFrame({
        "Outlier detection": [display_name("outlier_method", m)
                              for m in outlier["outlier_method"]],
        "F1 definition": outlier["f1_definition"],
        "F1 (CI)": [_interval(*v) for v in outlier[["f1", "f1_ci_lo", "f1_ci_hi"]].to_numpy()],
    })
    imputer_rows = pd.DataFrame({
        "Imputer": imputers["imputer"],
        "Imputation method": [display_name("imputation_method", m)
                              for m in imputers["imputation_method"]],
        "MAE (CI)": [_interval(*v) for v in
                     imputers[["mae", "mae_ci_lo", "mae_ci_hi"]].to_numpy()],
    })
    return TableFile("preprocessing", (
        TablePart(outlier_rows, f"Outlier detection quality (outlier_test F1, best run per "
                                f"method). {f1_note} {CI_NOTE}", "tab:preprocessing_outlier",
                  "upstream_queries.outlier_method_quality"),
        TablePart(imputer_rows, "Imputation quality (test MAE in standardised units) of each "
                                f"imputer on the ground-truth outlier masks. {CI_NOTE}",
                  "tab:preprocessing_imputation", "upstream_queries.imputer_quality"),
    ), synthetic)
