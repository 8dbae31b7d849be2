"""Per-iteration classification metrics over a bootstrap matrix of predictions, vectorised.

Predictions are (n_subjects, n_boot) with NaN where a subject has no prediction in that
iteration (in-bag subjects of the out-of-bag validation split); every metric of iteration b
uses exactly the non-NaN entries of column b, so it agrees with sklearn on that column.
"""

from __future__ import annotations

import logging

import numpy as np
from scipy.stats import rankdata

logger = logging.getLogger(__name__)

METRICS = ("AUROC", "AUPR", "F1", "sensitivity", "specificity", "PPV", "NPV", "accuracy", "Brier",
           "ECE")
N_ROC_POINTS = 200
N_CALIBRATION_BINS = 10
DECISION_THRESHOLD = 0.5


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def auroc_per_iteration(proba: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Mann-Whitney AUROC of each column (average ranks, so ties count one half)."""
    valid = ~np.isnan(proba)
    pos = valid & (labels[:, None] == 1)
    n_pos, n_neg = pos.sum(0), (valid & (labels[:, None] == 0)).sum(0)
    # missing entries rank above every real one, so they do not shift the real ranks
    ranks = rankdata(np.where(valid, proba, np.inf), axis=0)
    u = (ranks * pos).sum(0) - n_pos * (n_pos + 1) / 2.0
    return _ratio(u, n_pos * n_neg)


def _roc_and_aupr(proba: np.ndarray,
                  labels: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Average precision per column and each column's ROC curve interpolated on a fixed FPR
    grid. The curve starts at (0, 0) with threshold 1.0 (sklearn uses inf, which cannot be
    interpolated)."""
    valid = ~np.isnan(proba)
    order = np.argsort(-np.where(valid, proba, -np.inf), axis=0, kind="stable")
    p_sorted = np.take_along_axis(proba, order, axis=0)
    v_sorted = np.take_along_axis(valid, order, axis=0)
    y_sorted = labels[order] * v_sorted
    tp = np.cumsum(y_sorted, axis=0)
    fp = np.cumsum(v_sorted & (y_sorted == 0), axis=0)
    n_pos, n_neg, n_valid = tp[-1], fp[-1], v_sorted.sum(0)
    precision = tp / np.maximum(np.cumsum(v_sorted, axis=0), 1)
    aupr = _ratio((precision * y_sorted).sum(0), n_pos)

    grid = np.linspace(0.0, 1.0, N_ROC_POINTS)
    n_boot = proba.shape[1]
    tpr = np.full((N_ROC_POINTS, n_boot), np.nan)
    thresholds = np.full((N_ROC_POINTS, n_boot), np.nan)
    for b in range(n_boot):
        m = n_valid[b]
        if n_pos[b] == 0 or n_neg[b] == 0:
            continue
        fpr_b = np.concatenate(([0.0], fp[:m, b] / n_neg[b]))
        tpr[:, b] = np.interp(grid, fpr_b, np.concatenate(([0.0], tp[:m, b] / n_pos[b])))
        thresholds[:, b] = np.interp(grid, fpr_b, np.concatenate(([1.0], p_sorted[:m, b])))
    fpr = np.repeat(grid[:, None], n_boot, axis=1)
    return aupr, {"fpr": fpr, "tpr": tpr, "thresholds": thresholds}


def _calibration(proba: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """ECE per column and the 10-uniform-bin reliability curve (NaN for empty bins)."""
    valid = ~np.isnan(proba)
    bins = np.clip(np.floor(np.nan_to_num(proba) * N_CALIBRATION_BINS), 0, N_CALIBRATION_BINS - 1)
    member = (bins[..., None] == np.arange(N_CALIBRATION_BINS)) & valid[..., None]  # (n, B, bins)
    count = member.sum(0)
    prob_pred = _ratio((member * np.nan_to_num(proba)[..., None]).sum(0), count)
    prob_true = _ratio((member * labels[:, None, None]).sum(0), count)
    weight = count / np.maximum(valid.sum(0), 1)[:, None]
    ece = np.nansum(weight * np.abs(prob_pred - prob_true), axis=1)
    return ece, {"prob_pred": prob_pred.T, "prob_true": prob_true.T}


def iteration_metrics(proba: np.ndarray, labels: np.ndarray) -> dict:
    """{"scalars": {M: (n_boot,)}, "arrays": {"AUROC": {...}, "calibration_curve": {...}}}."""
    valid = ~np.isnan(proba)
    y = labels[:, None]
    pred = valid & (np.nan_to_num(proba) >= DECISION_THRESHOLD)
    tp = (pred & (y == 1)).sum(0)
    fp = (pred & (y == 0)).sum(0)
    fn = (valid & ~pred & (y == 1)).sum(0)
    tn = (valid & ~pred & (y == 0)).sum(0)
    n = valid.sum(0)
    aupr, roc = _roc_and_aupr(proba, labels)
    ece, calibration = _calibration(proba, labels)
    with np.errstate(invalid="ignore"):
        brier = np.nanmean((proba - y) ** 2, axis=0)
    scalars = {
        "AUROC": auroc_per_iteration(proba, labels), "AUPR": aupr,
        "F1": _ratio(2 * tp, 2 * tp + fp + fn), "sensitivity": _ratio(tp, tp + fn),
        "specificity": _ratio(tn, tn + fp), "PPV": _ratio(tp, tp + fp), "NPV": _ratio(tn, tn + fn),
        "accuracy": _ratio(tp + tn, n), "Brier": brier, "ECE": ece,
    }
    return {"scalars": {k: v.astype(np.float64) for k, v in scalars.items()},
            "arrays": {"AUROC": roc, "calibration_curve": calibration}}


def summarize(values: np.ndarray) -> dict:
    """{n, mean, std, ci}: over the finite iterations; ci is [nan, nan] when std is 0."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return {"n": 0, "mean": float("nan"), "std": float("nan"), "ci": np.array([np.nan, np.nan])}
    std = float(np.std(finite))
    ci = np.percentile(finite, [2.5, 97.5]) if std > 0 else np.array([np.nan, np.nan])
    return {"n": int(finite.size), "mean": float(np.mean(finite)), "std": std, "ci": ci}
