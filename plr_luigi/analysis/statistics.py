"""Statistics of the results database: Friedman test with Nemenyi critical difference, and the
decomposition of AUROC variance by factor.

Library code does the statistics (tests/test_statistics.py checks it on known answers):
- Friedman chi-square and p: `scipy.stats.friedmanchisquare` (treatments = factor levels,
  blocks = the levels of another factor, as the study ranks them, complete_blocks; for the
  extended top-configurations diagram, bootstrap iterations), with its tie correction.
- average ranks: `scipy.stats.rankdata` within each block, rank 1 = highest AUROC.
- Nemenyi critical difference: q_alpha = `scipy.stats.studentized_range.ppf(1 - alpha, k, inf)`
  / sqrt(2), CD = q_alpha * sqrt(k (k + 1) / (6 N)) (Demšar 2006, eq. 6).
- Fig 6 as published: eta squared from sequential (type I) sums of squares,
  `statsmodels.formula.api.ols` + `statsmodels.stats.anova.anova_lm(typ=1)`, factors entering
  in the order given (type1_eta_squared); beside it the order-free decomposition, each
  factor's type I share averaged over every order of entry (order_averaged_eta_squared).
- sums of squares: `statsmodels` OLS of AUROC on the factors' main effects; each factor's
  type II SS from `statsmodels.stats.anova.anova_lm(model_without_factor, full_model)`;
  eta squared = SS_factor / SS_total, partial eta squared = SS_factor / (SS_factor +
  SS_residual).
"""

from __future__ import annotations

import itertools
import logging
import warnings

import numpy as np
import pandas as pd

from plr_luigi.study.unavailable import DataUnavailableError

logger = logging.getLogger(__name__)

RESIDUAL = "Residual"
# Variance the factors explain only jointly: in an unbalanced design type II sums of squares
# credit a factor only with what it explains beyond the others, and this is the remainder.
SHARED = "Shared"


def blocks_by_treatment(long: pd.DataFrame, treatment: str, block: str,
                        value: str) -> pd.DataFrame:
    """Long (treatment, block, value) rows -> one row per block, one column per treatment.
    Blocks missing a treatment are an error: the Friedman test needs complete blocks."""
    wide = long.pivot(index=block, columns=treatment, values=value)
    if wide.isna().any().any():
        missing = int(wide.isna().any(axis=1).sum())
        raise DataUnavailableError(f"{missing} blocks lack some treatment")
    return wide


def complete_blocks(long: pd.DataFrame, treatment: str, block: list[str], value: str,
                    min_share: float = 0.8, min_blocks: int = 3
                    ) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """The study's completeness rule for a Friedman test over factor levels (its
    fig_cd_diagrams.R): long rows (treatment, block columns, value) -> one row per block, one
    column per treatment (the mean value of a cell holding several rows), keeping the blocks
    that hold >= min_share of the treatments, then only the treatments present in every kept
    block. Returns (wide, dropped: {"blocks": [...], "treatments": [...]}); fewer than
    min_blocks kept blocks is DataUnavailableError."""
    wide = long.pivot_table(index=block, columns=treatment, values=value, aggfunc="mean")
    n_treatments = wide.shape[1]
    held = wide.notna().sum(axis=1)
    kept = wide[held >= min_share * n_treatments]
    if len(kept) < min_blocks:
        raise DataUnavailableError(
            f"{len(kept)} of {len(wide)} blocks ({' x '.join(block)}) hold >= "
            f"{min_share:.0%} of the {n_treatments} {treatment} levels; at least {min_blocks} "
            "are needed")
    complete = kept.loc[:, kept.notna().all(axis=0)]
    dropped = {"blocks": [_block_name(b) for b in wide.index.difference(kept.index)],
               "treatments": [str(t) for t in wide.columns.difference(complete.columns)]}
    complete.index = [_block_name(b) for b in complete.index]
    return complete, dropped


def _block_name(block) -> str:
    return " + ".join(map(str, block)) if isinstance(block, tuple) else str(block)


def friedman_nemenyi(blocks: pd.DataFrame, alpha: float = 0.05) -> dict:
    """Friedman test over blocks (rows) of treatments (columns, higher is better), average
    ranks (1 = best) and the Nemenyi critical difference.

    Returns statistic, p_value, n_blocks, n_treatments, q_alpha, critical_difference,
    ranks (treatment -> average rank, best first) and cliques (runs of treatments, in rank
    order, whose average ranks differ by less than the critical difference).
    """
    from scipy import stats

    values = blocks.to_numpy(dtype=float)
    n_blocks, k = values.shape
    if k < 3 or n_blocks < 2:
        raise DataUnavailableError(f"Friedman test needs >= 3 treatments and >= 2 blocks, "
                                   f"got {k} x {n_blocks}")
    if np.isnan(values).any():
        raise ValueError("Friedman test input holds NaN")
    statistic, p_value = stats.friedmanchisquare(*values.T)
    ranks = pd.Series(stats.rankdata(-values, axis=1).mean(axis=0), index=blocks.columns)
    ranks = ranks.sort_values(kind="stable")
    q_alpha = float(stats.studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2))
    cd = q_alpha * np.sqrt(k * (k + 1) / (6.0 * n_blocks))
    return {"statistic": float(statistic), "p_value": float(p_value), "n_blocks": n_blocks,
            "n_treatments": k, "alpha": alpha, "q_alpha": q_alpha,
            "critical_difference": float(cd), "ranks": ranks.to_dict(),
            "cliques": nonsignificant_cliques(ranks, cd)}


def nonsignificant_cliques(ranks: pd.Series, cd: float) -> list[list[str]]:
    """Maximal runs of rank-ordered treatments whose average ranks span less than cd: the bars
    of a critical-difference diagram."""
    ordered = ranks.sort_values(kind="stable")
    names, values = list(ordered.index), ordered.to_numpy()
    cliques, reach = [], 0
    for i in range(len(values)):
        j = i
        while j + 1 < len(values) and values[j + 1] - values[i] < cd:
            j += 1
        if j > i and j > reach:  # a run inside the previous one adds no bar
            cliques.append(names[i:j + 1])
            reach = j
    return cliques


def variance_decomposition(frame: pd.DataFrame, factors: list[str],
                           response: str) -> pd.DataFrame:
    """Share of the variance of `response` explained by each factor's main effect.

    Rows: each factor with more than one level, then SHARED (explained by the factors only
    jointly), then the residual; eta_sq of all rows adds up to 1. Columns: df, sum_sq, eta_sq,
    partial_eta_sq. Type II sums of squares, by model comparison: a factor's SS is what the
    full main-effects model explains beyond the model without it (`anova_lm(reduced, full)`),
    so in the study's unbalanced design each factor is credited only with what it alone
    explains. Unlike `anova_lm(full, typ=2)`, the comparison stays correct when levels are
    aliased (a rank-deficient design): an aliased effect's variance goes to SHARED.
    """
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    varying = [f for f in factors if frame[f].nunique() > 1]
    if not varying:
        raise DataUnavailableError("no factor varies: nothing to decompose")

    def fit(terms: list[str]):
        formula = f"{response} ~ " + (" + ".join(f"C({f})" for f in terms) or "1")
        with warnings.catch_warnings():  # aliasing is reported once, below
            warnings.simplefilter("ignore")
            return smf.ols(formula, data=frame).fit()

    full = fit(varying)
    if full.df_resid < 1:
        raise DataUnavailableError(f"{len(frame)} configurations cannot separate "
                                   f"{len(varying)} factors from residual variance")
    n_columns = 1 + sum(frame[f].nunique() - 1 for f in varying)
    if full.df_model + 1 < n_columns:
        logger.warning("variance decomposition: %d of %d model columns are aliased (levels "
                       "that only occur together); their variance counts as shared",
                       n_columns - full.df_model - 1, n_columns)
    rows = {}
    for factor in varying:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            comparison = anova_lm(fit([f for f in varying if f != factor]), full)
        rows[factor] = (comparison["df_diff"].iloc[1], comparison["ss_diff"].iloc[1])
    residual = float(full.ssr)
    total = float(full.centered_tss)
    if not total > 0:
        raise DataUnavailableError(f"{response} is the same in all {len(frame)} configurations: "
                              "no variance to decompose")
    shared = total - residual - sum(ss for _, ss in rows.values())
    out = pd.DataFrame([*rows.values(), (np.nan, shared), (full.df_resid, residual)],
                       columns=["df", "sum_sq"], index=[*rows, SHARED, RESIDUAL])
    out["eta_sq"] = out["sum_sq"] / total
    out["partial_eta_sq"] = out["sum_sq"] / (out["sum_sq"] + residual)
    out.loc[[SHARED, RESIDUAL], "partial_eta_sq"] = np.nan
    return out.rename_axis("factor").reset_index()


def _type1_table(frame: pd.DataFrame, factors: list[str], response: str) -> pd.DataFrame:
    """anova_lm(typ=1) of `response ~ C(f1) + C(f2) + ...` in the given order."""
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    formula = f"{response} ~ " + " + ".join(f"C({f})" for f in factors)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = anova_lm(smf.ols(formula, data=frame).fit(), typ=1)
    return table.rename(index={f"C({f})": f for f in factors})


def type1_eta_squared(frame: pd.DataFrame, factors: list[str], response: str) -> pd.DataFrame:
    """Eta squared from sequential (type I) sums of squares, factors entering in the given
    order (the study's Fig 6): rows factor..., RESIDUAL; columns df, sum_sq, eta_sq (SS /
    total SS; they add up to 1). Each factor is credited with what it explains beyond the
    factors before it, so the first takes all variance it shares with later ones."""
    varying = [f for f in factors if frame[f].nunique() > 1]
    if not varying:
        raise DataUnavailableError("no factor varies: nothing to decompose")
    if len(frame) <= 1 + sum(frame[f].nunique() - 1 for f in varying):
        raise DataUnavailableError(f"{len(frame)} configurations cannot separate "
                                   f"{len(varying)} factors from residual variance")
    table = _type1_table(frame, varying, response)
    total = float(table["sum_sq"].sum())
    if not total > 0:
        raise DataUnavailableError(f"{response} is the same in all {len(frame)} "
                                   "configurations: no variance to decompose")
    out = table[["df", "sum_sq"]].rename(index={"Residual": RESIDUAL})
    out["eta_sq"] = out["sum_sq"] / total
    return out.rename_axis("factor").reset_index()


def order_averaged_eta_squared(frame: pd.DataFrame, factors: list[str],
                               response: str) -> dict[str, float]:
    """Each factor's type I eta squared averaged over every order in which the factors can
    enter (and the residual's, which no order changes): a decomposition that does not depend
    on the order (the Shapley / LMG share of R squared)."""
    varying = [f for f in factors if frame[f].nunique() > 1]
    orders = list(itertools.permutations(varying))
    shares = [type1_eta_squared(frame, list(order), response).set_index("factor")["eta_sq"]
              for order in orders]
    mean = sum(shares) / len(shares)
    return {factor: float(mean[factor]) for factor in [*varying, RESIDUAL]}


def type2_sums_of_squares(frame: pd.DataFrame, factors: list[str],
                          responses: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Type II sums of squares of many responses (columns of `responses`, rows aligned with
    frame) on one main-effects design: (factor -> SS per response, residual SS per response).

    The same model comparison as variance_decomposition, RSS(model without the factor) -
    RSS(full), but one least-squares solve covers every bootstrap iteration, where refitting
    statsmodels per iteration took ~0.15 s each (minutes for 1000). tests/test_statistics.py
    checks it against anova_lm.
    """
    # Treatment-coded main effects, the column space statsmodels' C(factor) terms span.
    blocks = {f: pd.get_dummies(frame[f], drop_first=True, dtype=float).to_numpy()
              for f in factors}

    def rss(without: str | None) -> np.ndarray:
        x = np.hstack([np.ones((len(frame), 1)), *(b for f, b in blocks.items() if f != without)])
        beta, *_ = np.linalg.lstsq(x, responses, rcond=None)
        return ((responses - x @ beta) ** 2).sum(axis=0)

    full = rss(None)
    by_factor = {factor: rss(factor) - full for factor in factors}
    return by_factor, full


def bootstrap_variance_decomposition(configs: pd.DataFrame, iterations: pd.DataFrame,
                                     factors: list[str], response: str,
                                     level: float = 0.95) -> pd.DataFrame:
    """variance_decomposition of the configurations' mean AUROC (configs: config_id, factors,
    response), with percentile CIs of eta squared and partial eta squared from the same
    decomposition of each bootstrap iteration's AUROCs (iterations: config_id, iteration,
    response)."""
    point = variance_decomposition(configs, factors, response)
    varying = [f for f in point["factor"] if f not in (SHARED, RESIDUAL)]
    wide = blocks_by_treatment(iterations, "iteration", "config_id", response)
    y = wide.loc[configs["config_id"]].to_numpy(dtype=float)  # configurations x iterations
    by_factor, residual = type2_sums_of_squares(configs, varying, y)
    total = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
    shares = {f: (ss / total, ss / (ss + residual)) for f, ss in by_factor.items()}
    nothing = np.full_like(residual, np.nan)
    shares[SHARED] = ((total - sum(by_factor.values()) - residual) / total, nothing)
    shares[RESIDUAL] = (residual / total, nothing)
    tail = 100 * (1 - level) / 2
    for i, column in enumerate(("eta_sq", "partial_eta_sq")):
        point[f"{column}_ci_lo"] = [np.percentile(shares[f][i], tail) for f in point["factor"]]
        point[f"{column}_ci_hi"] = [np.percentile(shares[f][i], 100 - tail)
                                    for f in point["factor"]]
    point["n_bootstrap"] = y.shape[1]
    return point
