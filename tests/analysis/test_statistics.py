"""Statistics on small examples with known answers (plr_luigi.analysis.statistics)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from plr_luigi.analysis.statistics import (
    RESIDUAL,
    SHARED,
    blocks_by_treatment,
    bootstrap_variance_decomposition,
    complete_blocks,
    friedman_nemenyi,
    nonsignificant_cliques,
    order_averaged_eta_squared,
    type1_eta_squared,
    type2_sums_of_squares,
    variance_decomposition,
)
from plr_luigi.study.unavailable import DataUnavailableError


def test_friedman_with_one_ordering_in_every_block_is_hand_computable():
    # 4 blocks, 3 treatments, always a > b > c: ranks 1, 2, 3, so
    # chi2 = 12 N / (k (k+1)) * sum R_j^2 - 3 N (k+1) = 4 * 14 - 48 = 8 and p = exp(-8/2).
    blocks = pd.DataFrame({"a": [0.9, 0.8, 0.7, 0.95], "b": [0.8, 0.7, 0.6, 0.9],
                           "c": [0.7, 0.6, 0.5, 0.85]})
    result = friedman_nemenyi(blocks)
    assert result["statistic"] == pytest.approx(8.0)
    assert result["p_value"] == pytest.approx(np.exp(-4.0))
    assert result["ranks"] == {"a": 1.0, "b": 2.0, "c": 3.0}


def test_friedman_with_one_swapped_block():
    # Ranks (1,2,3) in three blocks and (2,1,3) in one: rank sums 5, 7, 12, so
    # chi2 = 12 / (N k (k+1)) * sum R_j^2 - 3 N (k+1) = 12 / 48 * 218 - 48 = 6.5.
    blocks = pd.DataFrame({"a": [3, 3, 3, 2], "b": [2, 2, 2, 3], "c": [1, 1, 1, 1]},
                          dtype=float)
    result = friedman_nemenyi(blocks)
    assert result["statistic"] == pytest.approx(6.5)
    assert list(result["ranks"]) == ["a", "b", "c"]
    assert result["ranks"]["a"] == pytest.approx(1.25)


def test_nemenyi_critical_difference_matches_demsar_2006():
    # Demšar (2006), section 3.2.2: k = 4 classifiers, N = 14 data sets, alpha 0.05:
    # q_0.05 = 2.569 and CD = 2.569 * sqrt(4 * 5 / (6 * 14)) = 1.25.
    rng = np.random.default_rng(0)
    blocks = pd.DataFrame(rng.random((14, 4)), columns=list("abcd"))
    result = friedman_nemenyi(blocks, alpha=0.05)
    assert result["q_alpha"] == pytest.approx(2.569, abs=5e-4)
    assert result["critical_difference"] == pytest.approx(1.25, abs=5e-3)
    # and at alpha 0.10 (Demšar's Table 5: q_0.10 = 2.291 for k = 4)
    assert friedman_nemenyi(blocks, alpha=0.10)["q_alpha"] == pytest.approx(2.291, abs=5e-4)


def test_cliques_join_runs_closer_than_the_critical_difference():
    ranks = pd.Series({"a": 1.0, "b": 1.5, "c": 2.2, "d": 4.0, "e": 4.3})
    assert nonsignificant_cliques(ranks, cd=1.0) == [["a", "b"], ["b", "c"], ["d", "e"]]
    assert nonsignificant_cliques(ranks, cd=0.1) == []
    assert nonsignificant_cliques(ranks, cd=5.0) == [["a", "b", "c", "d", "e"]]


def test_friedman_refuses_what_it_cannot_test():
    with pytest.raises(ValueError, match=">= 3 treatments"):
        friedman_nemenyi(pd.DataFrame({"a": [1.0, 2.0], "b": [2.0, 1.0]}))
    with pytest.raises(ValueError, match="NaN"):
        friedman_nemenyi(pd.DataFrame({"a": [1.0, np.nan], "b": [2.0, 1.0], "c": [0.0, 0.0]}))
    long = pd.DataFrame({"t": ["a", "b", "a"], "block": [0, 0, 1], "v": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="lack some treatment"):
        blocks_by_treatment(long, "t", "block", "v")


def _two_by_two(replicated: bool = False) -> pd.DataFrame:
    # A 2 x 2 design, y = 1, 3, 5, 9. Grand mean 4.5; A means 2 and 7: SS_A = 2 * 2 * 2.5^2 = 25;
    # B means 3 and 6: SS_B = 2 * 2 * 1.5^2 = 9; SS_total = 35; residual (the interaction) = 1.
    frame = pd.DataFrame({"a": ["a1", "a1", "a2", "a2"], "b": ["b1", "b2", "b1", "b2"],
                          "y": [1.0, 3.0, 5.0, 9.0]})
    return pd.concat([frame, frame], ignore_index=True) if replicated else frame


def test_variance_decomposition_of_a_balanced_design_is_exact():
    table = variance_decomposition(_two_by_two(), ["a", "b"], "y").set_index("factor")
    assert table.loc["a", "sum_sq"] == pytest.approx(25.0)
    assert table.loc["b", "sum_sq"] == pytest.approx(9.0)
    assert table.loc[RESIDUAL, "sum_sq"] == pytest.approx(1.0)
    assert table.loc["a", "eta_sq"] == pytest.approx(25 / 35)
    assert table.loc["b", "eta_sq"] == pytest.approx(9 / 35)
    assert table.loc["a", "partial_eta_sq"] == pytest.approx(25 / 26)
    assert table.loc["b", "partial_eta_sq"] == pytest.approx(9 / 10)
    # balanced: nothing is explained only jointly, and the shares add up to 1
    assert table.loc[SHARED, "eta_sq"] == pytest.approx(0.0, abs=1e-12)
    assert table["eta_sq"].sum() == pytest.approx(1.0)
    assert list(table["df"].iloc[:2]) == [1.0, 1.0]


def test_variance_decomposition_skips_constant_factors_and_refuses_saturated_designs():
    frame = _two_by_two().assign(c="only")
    assert list(variance_decomposition(frame, ["a", "b", "c"], "y")["factor"]) == \
        ["a", "b", SHARED, RESIDUAL]
    saturated = frame.iloc[:3]
    with pytest.raises(ValueError, match="cannot separate"):
        variance_decomposition(saturated, ["a", "b"], "y")


def test_fast_type2_sums_of_squares_equal_anova_lm_on_an_unbalanced_design():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"a": rng.choice(["x", "y", "z"], 40), "b": rng.choice(["u", "v"], 40)})
    frame["y"] = (frame["a"] == "x") * 0.5 + (frame["b"] == "u") * 0.3 + rng.normal(0, 0.1, 40)
    reference = variance_decomposition(frame, ["a", "b"], "y").set_index("factor")
    by_factor, residual = type2_sums_of_squares(frame, ["a", "b"], frame[["y"]].to_numpy())
    assert by_factor["a"][0] == pytest.approx(reference.loc["a", "sum_sq"])
    assert by_factor["b"][0] == pytest.approx(reference.loc["b", "sum_sq"])
    assert residual[0] == pytest.approx(reference.loc[RESIDUAL, "sum_sq"])


def test_bootstrap_intervals_come_from_the_iterations():
    configs = _two_by_two(replicated=True).reset_index().rename(columns={"index": "config_id"})
    configs["config_id"] = configs["config_id"].astype(str)
    # Iteration k scales the y values by (1 + k): eta squared is scale free, so every
    # replicate equals the point estimate and the interval collapses onto it.
    iterations = pd.concat([configs.assign(iteration=k, y=configs["y"] * (1 + k))
                            for k in range(5)])[["config_id", "iteration", "y"]]
    table = bootstrap_variance_decomposition(configs, iterations, ["a", "b"], "y")
    table = table.set_index("factor")
    assert table.loc["a", "eta_sq_ci_lo"] == pytest.approx(table.loc["a", "eta_sq"])
    assert table.loc["a", "eta_sq_ci_hi"] == pytest.approx(25 / 35)
    assert table.loc["b", "partial_eta_sq_ci_lo"] == pytest.approx(table.loc["b", "partial_eta_sq"])
    assert int(table["n_bootstrap"].iloc[0]) == 5


def test_aliased_levels_count_as_shared_not_as_nonsense():
    # Level z of a occurs only with level w of b and vice versa: the design is rank deficient
    # (anova_lm(typ=2) then returns meaningless sums of squares). Model comparison credits the
    # aliased effect to neither factor, and the shares stay in [0, 1].
    rng = np.random.default_rng(2)
    a = ["x", "y"] * 10 + ["z"] * 4
    b = ["u", "v", "v", "u"] * 5 + ["w"] * 4
    frame = pd.DataFrame({"a": a, "b": b})
    frame["y"] = (frame["a"] == "z") * 1.0 + (frame["b"] == "u") * 0.3 + rng.normal(0, 0.1, 24)
    table = variance_decomposition(frame, ["a", "b"], "y").set_index("factor")
    assert table["eta_sq"].between(-1e-9, 1).all()
    assert table["eta_sq"].sum() == pytest.approx(1.0)
    assert table.loc[SHARED, "eta_sq"] > 0.5  # the aliased z/w effect dominates
    by_factor, residual = type2_sums_of_squares(frame, ["a", "b"], frame[["y"]].to_numpy())
    assert by_factor["a"][0] == pytest.approx(table.loc["a", "sum_sq"])
    assert residual[0] == pytest.approx(table.loc[RESIDUAL, "sum_sq"])


def _cells(rows: str) -> pd.DataFrame:
    """'o i auroc' per line -> (outlier, imputation, auroc) rows."""
    return pd.DataFrame([(o, i, float(v)) for o, i, v in (r.split() for r in rows.split(";"))],
                        columns=["outlier", "imputation", "auroc"])


def test_complete_blocks_keep_the_blocks_with_most_levels_then_the_complete_levels():
    """S3's rule: 5 outlier levels; imputations A, B, C hold 4 or 5 (>= 80 %), D holds 2 and is
    dropped; level e is missing from block C, so it is dropped from every block."""
    frame = _cells("a A .90;b A .85;c A .80;d A .70;e A .60;"
                   "a B .88;b B .86;c B .79;d B .71;e B .61;"
                   "a C .91;b C .84;c C .82;d C .72;"
                   "a D .50;b D .95")
    wide, dropped = complete_blocks(frame, "outlier", ["imputation"], "auroc")
    assert list(wide.index) == ["A", "B", "C"]
    assert list(wide.columns) == ["a", "b", "c", "d"]
    assert dropped == {"blocks": ["D"], "treatments": ["e"]}
    assert wide.loc["B", "b"] == pytest.approx(0.86)
    result = friedman_nemenyi(wide)
    assert result["n_blocks"] == 3 and result["ranks"]["a"] == pytest.approx(1.0)


def test_complete_blocks_average_the_cells_of_a_group_and_need_three_blocks():
    """Pipeline types: several outlier methods of one category in one imputation block are
    averaged; with two blocks left the test is unavailable, not run."""
    frame = _cells("x A .90;x A .80;y A .70;z A .60;x B .80;y B .70;z B .65;x C .9;y C .8;"
                   "z C .7")
    wide, _ = complete_blocks(frame, "outlier", ["imputation"], "auroc")
    assert wide.loc["A", "x"] == pytest.approx(0.85)
    with pytest.raises(DataUnavailableError, match="2 of 3 blocks"):
        complete_blocks(frame[frame.imputation != "C"].pipe(
            lambda f: pd.concat([f, _cells("x C .9")])), "outlier", ["imputation"], "auroc")


def _unbalanced_frame() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    rows = [(o, i, c) for o in "abcd" for i in "xyz" for c in ("p", "q")
            if not (o == "d" and i == "z") and not (o == "a" and c == "q" and i != "x")]
    frame = pd.DataFrame(rows, columns=["outlier", "imputation", "classifier"])
    effect = {"a": 0.0, "b": -0.02, "c": -0.05, "d": -0.01, "x": 0.0, "y": -0.01, "z": -0.03,
              "p": 0.0, "q": -0.04}
    frame["auroc"] = (0.9 + frame.outlier.map(effect) + frame.imputation.map(effect)
                      + frame.classifier.map(effect) + rng.normal(0, 0.01, len(frame)))
    return frame


def test_type_one_eta_squared_are_the_anova_lm_typ1_shares():
    """Fig 6: each share is statsmodels' sequential sum of squares over the total, in the
    formula's order; computed here from anova_lm(typ=1) directly."""
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    frame = _unbalanced_frame()
    factors = ["classifier", "outlier", "imputation"]
    got = type1_eta_squared(frame, factors, "auroc").set_index("factor")
    table = anova_lm(smf.ols("auroc ~ C(classifier) + C(outlier) + C(imputation)",
                             data=frame).fit(), typ=1)
    total = ((frame.auroc - frame.auroc.mean()) ** 2).sum()
    for factor in factors:
        assert got.loc[factor, "eta_sq"] == pytest.approx(table.loc[f"C({factor})", "sum_sq"]
                                                          / total)
    assert got.loc[RESIDUAL, "eta_sq"] == pytest.approx(table.loc["Residual", "sum_sq"] / total)
    assert got["eta_sq"].sum() == pytest.approx(1.0)
    # in an unbalanced design the order matters: entering first takes the shared variance
    reordered = type1_eta_squared(frame, ["imputation", "outlier", "classifier"],
                                  "auroc").set_index("factor")
    assert reordered.loc["imputation", "eta_sq"] != pytest.approx(got.loc["imputation",
                                                                          "eta_sq"])


def test_order_averaged_eta_squared_is_the_mean_over_every_order():
    import itertools

    frame = _unbalanced_frame()
    factors = ["classifier", "outlier", "imputation"]
    averaged = order_averaged_eta_squared(frame, factors, "auroc")
    for factor in factors:
        shares = [type1_eta_squared(frame, list(order), "auroc").set_index("factor")
                  .loc[factor, "eta_sq"] for order in itertools.permutations(factors)]
        assert averaged[factor] == pytest.approx(np.mean(shares))
    assert sum(averaged.values()) == pytest.approx(1.0)
