"""Metrics of the results database, from labels y (0/1) and probabilities p.

Definitions follow ../shared/reference/results.md: Brier = mean((p - y)^2); scaled Brier =
1 - Brier / (prev (1 - prev)) with the prevalence of the subjects scored; O:E = mean(y) / mean(p);
net benefit at threshold t = TP/n - FP/n * t / (1 - t), a subject counting as positive when
p >= t; calibration slope and intercept from an unpenalised logistic regression of y on logit(p);
AUROC as the Mann-Whitney statistic (ties count half), NaN for one class.

Every build that extracts a run computes these: they use numpy alone. scipy.stats (rankdata)
and statsmodels (Logit) cost 0.7 s to import, serially, before any run is extracted: 6 % of
a paper-size build with two workers (BENCHMARKS.md §2). The AUROC's ranks are scipy's
`rankdata` average ranks and the fit is statsmodels' own Newton iteration (same start, step,
ridge, stopping rule and perfect-prediction check); tests hold both equal to those libraries
(tests/extraction/test_metrics.py).
"""

from __future__ import annotations

import logging

import numpy as np

logger = logging.getLogger(__name__)

# One table's rows of one run: column name -> values (numpy arrays of equal length).
Columns = dict[str, np.ndarray]

# logit(0) is -inf: probabilities are clipped this far from 0 and 1 before the calibration fit.
_LOGIT_EPS = 1e-6
# statsmodels' Newton defaults for Logit.fit(): steps, the largest parameter change that stops
# it, and the ridge on the Hessian's diagonal.
_FIT_MAX_STEPS = 35
_FIT_TOLERANCE = 1e-8
_FIT_RIDGE = 1e-10


def auroc(y: np.ndarray, p: np.ndarray) -> float:
    y = np.asarray(y, dtype=bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = average_ranks(p)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of values, tied values sharing the mean of their ranks; all NaN where a value
    is NaN (scipy.stats.rankdata's defaults)."""
    values = np.asarray(values, float)
    if np.isnan(values).any():
        return np.full(values.shape, np.nan)
    _, group, counts = np.unique(values, return_inverse=True, return_counts=True)
    # A group of k ties after c smaller values holds ranks c+1..c+k: their mean is c + (k+1)/2.
    return (np.cumsum(counts) - (counts - 1) / 2)[group.ravel()]


def brier(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((np.asarray(p, float) - np.asarray(y, float)) ** 2))


def scaled_brier(y: np.ndarray, p: np.ndarray) -> float:
    prevalence = float(np.mean(y))
    reference = prevalence * (1 - prevalence)
    return float("nan") if reference == 0 else 1 - brier(y, p) / reference


def o_e_ratio(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean(y) / np.mean(p))


def net_benefit(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    y = np.asarray(y, dtype=bool)
    positive = np.asarray(p) >= threshold
    n = len(y)
    tp = np.sum(positive & y)
    fp = np.sum(positive & ~y)
    return float(tp / n - fp / n * threshold / (1 - threshold))


def calibration_slope_intercept(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """(slope, intercept) of logit P(y=1) = intercept + slope * logit(p): the maximum-likelihood
    logistic fit, by statsmodels' Newton iteration (`Logit(y, add_constant(logit(p))).fit()`:
    from zero, steps solving the Hessian per observation plus a 1e-10 ridge, until no parameter
    moves more than 1e-8, at most 35 steps). NaN if the fit fails: a perfect prediction
    (separation makes the slope infinite: NaN, not a huge number) or a singular Hessian."""
    p = np.clip(np.asarray(p, float), _LOGIT_EPS, 1 - _LOGIT_EPS)
    x = np.column_stack([np.ones(len(p)), np.log(p / (1 - p))])
    y = np.asarray(y, float)
    params, previous = np.zeros(2), np.full(2, np.inf)
    steps = 0
    try:
        with np.errstate(over="ignore"):  # exp(-x b) overflows to inf: a fitted value of 0
            while steps < _FIT_MAX_STEPS and np.any(np.abs(params - previous) > _FIT_TOLERANCE):
                fitted = 1 / (1 + np.exp(-(x @ params)))
                step = np.linalg.solve(_information(x, fitted) + _FIT_RIDGE * np.eye(2),
                                       np.dot(y - fitted, x) / len(y))
                previous, params = params, params + step
                steps += 1
                if np.allclose(1 / (1 + np.exp(-(x @ params))) - y, 0):
                    return _failed_fit("perfect separation or prediction")
            # As statsmodels inverts the final Hessian (without the ridge) for the estimates'
            # covariance: exactly singular where every p is the same (no slope to identify).
            np.linalg.inv(_information(x, 1 / (1 + np.exp(-(x @ params)))))
    except np.linalg.LinAlgError as err:
        return _failed_fit(f"singular Hessian: {err}")
    if steps == _FIT_MAX_STEPS:
        logger.warning("calibration fit did not converge in %d steps; its last estimate is kept",
                       steps)
    intercept, slope = params
    return float(slope), float(intercept)


def _information(x: np.ndarray, fitted: np.ndarray) -> np.ndarray:
    """The negative log-likelihood's Hessian per observation, computed as statsmodels does."""
    return np.dot(fitted * (1 - fitted) * x.T, x) / len(fitted)


def _failed_fit(reason: str) -> tuple[float, float]:
    logger.warning("calibration fit failed (%s); slope and intercept are NaN", reason)
    return float("nan"), float("nan")


def bootstrap_summary(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and 2.5 / 97.5 percentiles of bootstrap values, ignoring NaN iterations."""
    values = np.asarray(values, float)
    if np.all(np.isnan(values)):
        return float("nan"), float("nan"), float("nan")
    lo, hi = np.nanpercentile(values, [2.5, 97.5])
    return float(np.nanmean(values)), float(lo), float(hi)


def calibration_bins(y: np.ndarray, p: np.ndarray, n_bins: int) -> Columns:
    """Reliability diagram over uniform bins of [0, 1]; empty bins are left out."""
    y, p = np.asarray(y, float), np.asarray(p, float)
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    counts = np.bincount(bins, minlength=n_bins)
    present = np.flatnonzero(counts)
    n = counts[present]
    return {"bin_index": present,
            "prob_pred": np.bincount(bins, weights=p, minlength=n_bins)[present] / n,
            "prob_true": np.bincount(bins, weights=y, minlength=n_bins)[present] / n,
            "n": n}


def probability_histogram(y: np.ndarray, p: np.ndarray, n_bins: int) -> Columns:
    """Counts of probabilities per class over uniform bins of [0, 1] (every bin, zeros kept)."""
    y, p = np.asarray(y, int), np.asarray(p, float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    counts = [np.histogram(p[y == label], bins=edges)[0] for label in (0, 1)]
    return {"y_true": np.repeat([0, 1], n_bins), "bin_index": np.tile(np.arange(n_bins), 2),
            "bin_lo": np.tile(edges[:-1], 2), "bin_hi": np.tile(edges[1:], 2),
            "count": np.concatenate(counts)}


def distribution_stats(y: np.ndarray, p: np.ndarray) -> Columns:
    y, p = np.asarray(y, int), np.asarray(p, float)
    rows = []
    for label in (0, 1):
        values = p[y == label]
        q25, median, q75 = np.percentile(values, [25, 50, 75]) if len(values) else (np.nan,) * 3
        rows.append({"y_true": label, "n": len(values), "mean": np.mean(values),
                     "std": np.std(values, ddof=1) if len(values) > 1 else np.nan,
                     "median": median, "q25": q25, "q75": q75})
    return rows_to_columns(rows)


def decision_curve(y: np.ndarray, p: np.ndarray, thresholds: tuple[float, ...]) -> Columns:
    """Net benefit of the model, treat-all (capped at 0) and treat-none, with sens/spec; every
    threshold at once (the same arithmetic, in the same order, as net_benefit)."""
    y = np.asarray(y, dtype=bool)
    p = np.asarray(p, float)
    t = np.asarray(thresholds, float)
    n = len(y)
    prevalence = y.mean()
    positive = p[None, :] >= t[:, None]
    tp = np.sum(positive & y, axis=1)
    fp = np.sum(positive & ~y, axis=1)
    tn = np.sum(~positive & ~y, axis=1)
    return {
        "threshold": t,
        "net_benefit_model": tp / n - fp / n * t / (1 - t),
        "net_benefit_treat_all": np.maximum(0.0, prevalence - (1 - prevalence) * t / (1 - t)),
        "net_benefit_treat_none": np.zeros(len(t)),
        "sensitivity": tp / max(1, y.sum()),
        "specificity": tn / max(1, (~y).sum()),
    }


def retention_curve(y: np.ndarray, p: np.ndarray, uncertainty: np.ndarray,
                    fractions: tuple[float, ...], nb_threshold: float) -> Columns:
    """Metrics on the most certain subjects: sorted by uncertainty, the first fraction kept."""
    y, p = np.asarray(y, int), np.asarray(p, float)
    # A stable sort keeps the result independent of numpy's sorting algorithm on ties.
    order = np.argsort(np.asarray(uncertainty, float), kind="stable")
    rows = []
    for fraction in fractions:
        n_kept = max(1, round(fraction * len(y)))
        kept = order[:n_kept]
        rows.append({
            "retained_fraction": fraction, "n_retained": n_kept,
            "auroc": auroc(y[kept], p[kept]), "brier": brier(y[kept], p[kept]),
            "scaled_brier": scaled_brier(y[kept], p[kept]),
            "net_benefit": net_benefit(y[kept], p[kept], nb_threshold),
        })
    return rows_to_columns(rows)


def mean_roc(fpr: np.ndarray, tpr: np.ndarray, grid: np.ndarray) -> Columns:
    """Bootstrap-mean ROC: each iteration's curve (columns of fpr/tpr) interpolated on grid;
    an iteration with fewer than two points (NaN pairs left out) is left out of the mean.

    The interpolation stays one np.interp (C) per iteration, on contiguous rows: a single
    searchsorted over every iteration's points measured ~10x slower at 1000 iterations. What
    cost time was per-iteration masking and nanpercentile's row-by-row path; both are done
    for all iterations at once here, and without NaN percentile and mean give the
    nan-functions' values exactly.
    """
    fpr_rows = np.ascontiguousarray(np.asarray(fpr, float).T)  # one row per iteration
    tpr_rows = np.ascontiguousarray(np.asarray(tpr, float).T)
    ok = ~(np.isnan(fpr_rows) | np.isnan(tpr_rows))
    complete = ok.all(axis=1)
    curves = np.full((len(fpr_rows), len(grid)), np.nan)
    for b in np.flatnonzero(complete):
        curves[b] = np.interp(grid, fpr_rows[b], tpr_rows[b])
    for b in np.flatnonzero(~complete & (ok.sum(axis=1) >= 2)):
        curves[b] = np.interp(grid, fpr_rows[b, ok[b]], tpr_rows[b, ok[b]])
    # Averaged along contiguous rows of (grid point, iteration), as before: a sum's rounding
    # depends on its order.
    curves = np.ascontiguousarray(curves.T)
    if complete.all():
        (lo, hi), mean = np.percentile(curves, [2.5, 97.5], axis=1), np.mean(curves, axis=1)
    else:
        lo, hi = np.nanpercentile(curves, [2.5, 97.5], axis=1)
        mean = np.nanmean(curves, axis=1)
    return {"fpr": np.asarray(grid, float), "tpr": mean, "tpr_ci_lo": lo, "tpr_ci_hi": hi}


def rows_to_columns(rows: list[dict]) -> Columns:
    """[{column: value}, ...] (the rows of one table) -> {column: array of the values}."""
    return {column: np.asarray([row[column] for row in rows]) for column in rows[0]}
