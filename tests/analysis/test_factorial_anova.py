"""T2's factorial ANOVA, checked against statsmodels' own anova_lm and against the textbook
sums of squares of a balanced design computed by hand."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from plr_luigi.analysis.factorial_anova import (
    CODING_PUBLISHED,
    CODING_SUM,
    empty_cells,
    highest_fittable_order,
    type3_anova,
)


def _design(replicates: int, drop: tuple = (), seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for a, b, c in itertools.product("pqr", "xy", "uv"):
        if (a, b, c) in drop:
            continue
        for _ in range(replicates):
            effect = {"p": 0.0, "q": 0.04, "r": 0.1}[a] + (0.03 if (a, b) == ("r", "y") else 0)
            rows.append({"outlier": a, "imputer": b, "model": c,
                         "auroc": 0.8 + effect + rng.normal(0, 0.02)})
    return pd.DataFrame(rows)


def test_balanced_two_factor_sums_of_squares_equal_the_textbook_ones():
    frame = _design(replicates=3).query("model == 'u'")
    table = type3_anova(frame, "auroc", ["outlier", "imputer"]).set_index("term")
    grand = frame["auroc"].mean()
    n_per_level = frame.groupby("outlier").size().iloc[0]
    ss_a = (n_per_level * (frame.groupby("outlier")["auroc"].mean() - grand) ** 2).sum()
    cell_means = frame.groupby(["outlier", "imputer"])["auroc"].transform("mean")
    ss_error = ((frame["auroc"] - cell_means) ** 2).sum()
    df_a, df_error = 2, len(frame) - 6
    ss_total = ((frame["auroc"] - grand) ** 2).sum()
    ms_error = ss_error / df_error
    row = table.loc["outlier"]
    assert row["sum_sq"] == pytest.approx(ss_a)
    assert table.loc["Residual", "sum_sq"] == pytest.approx(ss_error)
    assert row["F"] == pytest.approx((ss_a / df_a) / ms_error)
    assert row["p"] == pytest.approx(stats.f.sf((ss_a / df_a) / ms_error, df_a, df_error))
    assert row["partial_eta_sq"] == pytest.approx(ss_a / (ss_a + ss_error))
    assert row["omega_sq"] == pytest.approx((ss_a - df_a * ms_error) / (ss_total + ms_error))
    assert list(table.index) == ["outlier", "imputer", "outlier:imputer", "Residual"]


@pytest.mark.parametrize("coding, contrast", [(CODING_SUM, ", Sum"), (CODING_PUBLISHED, "")])
def test_an_unbalanced_three_factor_fit_is_statsmodels_type_iii(coding, contrast):
    from statsmodels.formula.api import ols
    from statsmodels.stats.anova import anova_lm

    frame = _design(replicates=2, drop=(("p", "x", "u"),)).iloc[:-3]  # unequal cell sizes
    formula = (f"auroc ~ C(outlier{contrast}) * C(imputer{contrast}) * C(model{contrast})")
    reference = anova_lm(ols(formula, data=frame).fit(), typ=3)
    ours = type3_anova(frame, "auroc", ["outlier", "imputer", "model"], coding)
    expected_terms = reference.index.drop("Intercept") if coding == CODING_SUM else \
        reference.index
    assert len(ours) == len(expected_terms)
    np.testing.assert_allclose(ours["sum_sq"], reference.loc[expected_terms, "sum_sq"])
    np.testing.assert_allclose(ours["F"].iloc[:-1], reference.loc[expected_terms, "F"].iloc[:-1])
    assert ours["term"].iloc[-2] == "outlier:imputer:model"


def test_treatment_and_sum_contrasts_disagree_on_an_unbalanced_design():
    """The published coding tests simple effects at the reference levels: with an
    interaction, its 'main effect' of the imputer differs from the sum-to-zero one."""
    frame = _design(replicates=2, drop=(("p", "x", "u"),), seed=3)
    factors = ["outlier", "imputer", "model"]
    sound = type3_anova(frame, "auroc", factors, CODING_SUM).set_index("term")
    published = type3_anova(frame, "auroc", factors, CODING_PUBLISHED).set_index("term")
    assert "Intercept" in published.index and "Intercept" not in sound.index
    assert sound.loc["imputer", "sum_sq"] != pytest.approx(published.loc["imputer", "sum_sq"],
                                                           rel=1e-3)


def test_one_configuration_per_cell_leaves_the_highest_interaction_as_residual():
    frame = _design(replicates=1)
    factors = ["outlier", "imputer", "model"]
    assert highest_fittable_order(frame, "auroc", factors, min_residual_df=2) == 2
    assert highest_fittable_order(_design(replicates=2), "auroc", factors, 2) == 3
    assert highest_fittable_order(frame.head(4), "auroc", factors, 2) is None
    table = type3_anova(frame, "auroc", factors, CODING_SUM, order=2)
    assert "outlier:imputer:model" not in set(table["term"])
    assert table.set_index("term").loc["Residual", "df"] == 2  # (3-1)(2-1)(2-1)


def test_empty_cells_are_counted():
    assert empty_cells(_design(1), ["outlier", "imputer", "model"]) == 0
    dropped = _design(1, drop=(("p", "x", "u"), ("q", "y", "v")))
    assert empty_cells(dropped, ["outlier", "imputer", "model"]) == 2
