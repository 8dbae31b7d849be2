"""The preprocessing table: outlier F1 per method and imputation MAE per imputer, with CIs."""

from __future__ import annotations

import pandas as pd

from plr_luigi.analysis.latex_tables import SYNTHETIC_NOTE
from plr_luigi.study.display import display_name

CI_NOTE = ("CIs are the 0.05th and 99.95th percentiles of the subject-wise values, as the "
           "study's training code logs them.")


def _escape_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """LaTeX-escape the underscores of text cells (imputer names hold them). By dtype kind, not
    `== object`: pandas' string dtype is not object."""
    return frame.apply(lambda col: col.str.replace("_", r"\_")
                       if pd.api.types.is_string_dtype(col) else col)


def _interval(value: float, lo: float, hi: float) -> str:
    if pd.isna(lo) or pd.isna(hi):
        return f"{value:.3f}"
    return f"{value:.3f} ({lo:.3f}--{hi:.3f})"


def preprocessing_latex(outlier: pd.DataFrame, imputers: pd.DataFrame, synthetic: bool,
                        f1_note: str) -> str:
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
    tail = f" {SYNTHETIC_NOTE}" if synthetic else ""
    first = _escape_cells(outlier_rows).to_latex(
        index=False, escape=False, position="htbp", label="tab:preprocessing_outlier",
        caption=f"Outlier detection quality (outlier\\_test F1, best run per method). "
                f"{f1_note} {CI_NOTE}{tail}")
    second = _escape_cells(imputer_rows).to_latex(
        index=False, escape=False, position="htbp", label="tab:preprocessing_imputation",
        caption=f"Imputation quality (test MAE in standardised units) of each imputer on the "
                f"ground-truth outlier masks. {CI_NOTE}{tail}")
    return first + "\n" + second
