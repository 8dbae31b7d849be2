"""The vectorised metrics against straightforward per-iteration (per-bin, per-threshold)
computations: the speed work must not change a value. Equality is exact (bit for bit) except
for calibration bin means, which sum in another order: there, 1e-12 relative (float rounding)."""

import numpy as np
import pytest

from plr_luigi.extraction import metrics

GRID = np.linspace(0.0, 1.0, 101)


def _bootstrap_roc(seed: int, n_points: int = 200, n_boot: int = 300):
    """ROC arrays as the study stores them: (points, iterations), each column non-decreasing,
    with ties (vertical steps), some NaN padding at the end and a few unusable iterations."""
    rng = np.random.default_rng(seed)
    fpr = np.sort(np.round(rng.random((n_points, n_boot)), 2), axis=0)
    fpr[0], fpr[-1] = 0.0, 1.0
    tpr = np.sort(rng.random((n_points, n_boot)), axis=0)
    for b in rng.choice(n_boot, 20, replace=False):  # ragged: padded with NaN
        cut = rng.integers(2, n_points)
        fpr[cut:, b] = np.nan
        tpr[cut:, b] = np.nan
    fpr[:, 3] = np.nan  # no point at all
    fpr[1:, 4] = np.nan  # a single point: unusable, as in the per-iteration loop
    tpr[rng.integers(0, n_points, 10), rng.integers(0, n_boot, 10)] = np.nan  # holes
    return fpr, tpr


def _reference_curves(fpr, tpr, grid):
    """The extraction's earlier loop: one np.interp per bootstrap iteration."""
    curves = np.full((len(grid), fpr.shape[1]), np.nan)
    for b in range(fpr.shape[1]):
        ok = ~(np.isnan(fpr[:, b]) | np.isnan(tpr[:, b]))
        if ok.sum() >= 2:
            curves[:, b] = np.interp(grid, fpr[ok, b], tpr[ok, b])
    return curves


def _same(a, b) -> bool:
    return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)


@pytest.mark.parametrize("seed", range(3))
def test_mean_roc_equals_the_per_iteration_average(seed):
    fpr, tpr = _bootstrap_roc(seed)
    curves = _reference_curves(fpr, tpr, GRID)
    lo, hi = np.nanpercentile(curves, [2.5, 97.5], axis=1)
    roc = metrics.mean_roc(fpr, tpr, GRID)
    assert _same(roc["tpr"], np.nanmean(curves, axis=1))
    assert _same(roc["tpr_ci_lo"], lo) and _same(roc["tpr_ci_hi"], hi)


def test_mean_roc_without_nan_equals_the_per_iteration_average():
    """The NaN-free path (percentile, mean), on a shared grid as the synthetic store writes."""
    rng = np.random.default_rng(3)
    fpr = np.repeat(np.linspace(0, 1, 200)[:, None], 1000, axis=1)
    tpr = np.sort(rng.random((200, 1000)), axis=0)
    curves = _reference_curves(fpr, tpr, GRID)
    roc = metrics.mean_roc(fpr, tpr, GRID)
    assert _same(roc["tpr"], np.nanmean(curves, axis=1))
    assert _same(roc["tpr_ci_lo"], np.nanpercentile(curves, 2.5, axis=1))
    assert _same(roc["tpr_ci_hi"], np.nanpercentile(curves, 97.5, axis=1))


@pytest.mark.parametrize("seed", range(5))
def test_calibration_bins_equal_per_bin_means(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 63)
    p = np.concatenate([rng.beta(0.5, 2, 60), [0.0, 1.0, 0.3]])  # bins empty at the top
    bins = metrics.calibration_bins(y, p, 10)
    index = np.minimum((p * 10).astype(int), 9)
    present = [k for k in range(10) if (index == k).any()]
    assert bins["bin_index"].tolist() == present
    assert bins["n"].tolist() == [int((index == k).sum()) for k in present]
    assert _same(bins["prob_true"], [y[index == k].mean() for k in present])
    np.testing.assert_allclose(bins["prob_pred"], [p[index == k].mean() for k in present],
                               rtol=1e-12, atol=0)


@pytest.mark.parametrize("seed", range(3))
def test_decision_curve_equals_net_benefit_per_threshold(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 63).astype(bool)
    p = np.round(rng.random(63), 2)  # ties at thresholds
    thresholds = tuple(round(0.01 * i, 2) for i in range(1, 51))
    curve = metrics.decision_curve(y, p, thresholds)
    prevalence = y.mean()
    assert _same(curve["net_benefit_model"], [metrics.net_benefit(y, p, t) for t in thresholds])
    assert _same(curve["net_benefit_treat_all"],
                 [max(0.0, prevalence - (1 - prevalence) * t / (1 - t)) for t in thresholds])
    assert _same(curve["sensitivity"], [np.sum((p >= t) & y) / y.sum() for t in thresholds])
    assert _same(curve["specificity"], [np.sum((p < t) & ~y) / (~y).sum() for t in thresholds])
