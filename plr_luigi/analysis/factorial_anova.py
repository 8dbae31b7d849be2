"""The study's factorial ANOVA of AUROC (manuscript table T2): type III sums of squares of the
full factorial model (every main effect and interaction), with partial eta squared, omega
squared, F and p per term.

The study fits `auroc ~ C(outlier) * C(imputation) * C(classifier)` with patsy's default
(treatment) coding and takes statsmodels' `anova_lm(typ=3)` (its
scripts/figures/figure_and_stats_generation.py and src/stats/variance_decomposition.py). Type
III tests are about the effects only under sum-to-zero contrasts: with treatment coding a main
effect's test is that of the factor's simple effect at the other factors' reference levels,
and the study's omega squared divides by the sum of the table's rows, the intercept's included.
Both versions are computed here: `CODING_PUBLISHED` (the study's, what T2 prints) and
`CODING_SUM` (the sound one, beside it in the table's caption and JSON).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CODING_SUM = "sum"  # sum-to-zero contrasts; omega squared over the corrected total
CODING_PUBLISHED = "treatment"  # patsy's default coding; the study's omega squared
ANOVA_COLUMNS = ("term", "sum_sq", "df", "F", "p", "partial_eta_sq", "omega_sq")


def factorial_formula(response: str, factors: list[str], coding: str,
                      order: int | None = None) -> str:
    """`response ~ (C(a, Sum) + C(b, Sum) + ...)**order`: every main effect and every
    interaction of up to `order` factors (all of them: the full factorial model, the study's
    `C(a) * C(b) * C(c)`); plain C(a) for treatment coding."""
    contrast = ", Sum" if coding == CODING_SUM else ""
    terms = " + ".join(f"C({f}{contrast})" for f in factors)
    return f"{response} ~ ({terms})**{order or len(factors)}"


def highest_fittable_order(frame: pd.DataFrame, response: str, factors: list[str],
                           min_residual_df: int) -> int | None:
    """The highest interaction order whose model leaves at least min_residual_df residual
    degrees of freedom (n minus the design's rank), or None. One configuration per cell of the
    full factorial design (the study's database: every configuration is one combination of
    the three factors) saturates the full model: its highest interaction is then the residual,
    as in any unreplicated factorial design."""
    from statsmodels.formula.api import ols

    for order in range(len(factors), 0, -1):
        fit = ols(factorial_formula(response, factors, CODING_SUM, order), data=frame).fit()
        if fit.df_resid >= min_residual_df:
            return order
    return None


def _term_name(term: str, factors: list[str]) -> str:
    """`C(outlier_method, Sum):C(classifier, Sum)` -> `outlier_method:classifier`."""
    parts = []
    for part in term.split(":"):
        inner = part[2:-1] if part.startswith("C(") else part
        parts.append(inner.split(",")[0].strip())
    unknown = [p for p in parts if p not in factors and p != "Intercept"]
    if unknown:
        raise ValueError(f"unexpected ANOVA term {term!r}")
    return ":".join(parts)


def type3_anova(frame: pd.DataFrame, response: str, factors: list[str],
                coding: str = CODING_SUM, order: int | None = None) -> pd.DataFrame:
    """One row per term of the model with interactions up to `order` factors (all: the full
    factorial), the intercept's row kept where the published coding reports it, then Residual:
    sum_sq, df, F, p, partial eta squared SS / (SS + SS_residual) and omega squared
    (SS - df MS_residual) / (SS_total + MS_residual), floored at 0 as the study does.
    SS_total: the corrected total sum of squares (sum coding) or, as published, the sum of the
    type III table's sums of squares, intercept included (treatment coding)."""
    from statsmodels.formula.api import ols
    from statsmodels.stats.anova import anova_lm

    if coding not in (CODING_SUM, CODING_PUBLISHED):
        raise ValueError(f"unknown coding {coding!r}")
    model = ols(factorial_formula(response, factors, coding, order), data=frame).fit()
    table = anova_lm(model, typ=3)
    ss_residual = float(table.loc["Residual", "sum_sq"])
    df_residual = float(table.loc["Residual", "df"])
    ms_residual = ss_residual / df_residual if df_residual > 0 else float("nan")
    if coding == CODING_SUM:
        values = frame[response].to_numpy(float)
        ss_total = float(((values - values.mean()) ** 2).sum())
        table = table.drop(index="Intercept")
    else:
        ss_total = float(table["sum_sq"].sum())
    rows = []
    for term, row in table.iterrows():
        ss, df = float(row["sum_sq"]), float(row["df"])
        is_residual = term == "Residual"
        rows.append({
            "term": "Residual" if is_residual else _term_name(str(term), factors),
            "sum_sq": ss, "df": df,
            "F": float("nan") if is_residual else float(row["F"]),
            "p": float("nan") if is_residual else float(row["PR(>F)"]),
            "partial_eta_sq": float("nan") if is_residual else ss / (ss + ss_residual),
            "omega_sq": float("nan") if is_residual else max(
                0.0, (ss - df * ms_residual) / (ss_total + ms_residual)),
        })
    return pd.DataFrame(rows, columns=list(ANOVA_COLUMNS))


def empty_cells(frame: pd.DataFrame, factors: list[str]) -> int:
    """Cells of the full factorial design (every combination of the levels present) without an
    observation: where there are any, the highest interactions are not all estimable and their
    type III tests have fewer degrees of freedom than the design's."""
    n_cells = int(np.prod([frame[f].nunique() for f in factors]))
    return n_cells - int(frame.groupby(factors).ngroups)
