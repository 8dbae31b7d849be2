"""What the standard-pipeline figures (Fig 1, Fig 4, S1) compute from a pipeline's test
predictions: one subject per row, its label y and its bootstrap-mean probability p (the
`predictions` table), as the study's export scripts do.

The per-configuration metrics come from plr_luigi.extraction.metrics, the functions that filled
the database's tables, so a figure and a table never disagree. Resampling is seeded: a rebuild
draws the same bands.
"""

from __future__ import annotations

import numpy as np

from plr_luigi.extraction import metrics

# The study's choices (scripts/export/export_roc_rc_data.py, fig_calibration_dca_combined.R).
N_CALIBRATION_BINS = 10
LOESS_SPAN = 0.8  # geom_smooth(method = "loess", span = 0.8) over the bin points
N_BAND_BOOTSTRAP = 200  # subject resamples behind the ROC and LOESS bands
BAND_SEED = 42
DCA_THRESHOLDS = tuple(round(0.01 * i, 2) for i in range(1, 31))  # 1 .. 30 %
DCA_MARKERS = (0.05, 0.10, 0.15, 0.20)
ROC_GRID = np.linspace(0.0, 1.0, 101)
DENSITY_GRID = np.linspace(0.0, 1.0, 201)
CLASSIFICATION_THRESHOLD = 0.5  # risk-coverage: predicted glaucoma when p > 0.5


def ols_calibration_slope(y: np.ndarray, p: np.ndarray) -> float:
    """(D) The slope the study published: least squares of y on logit(p)
    (scipy.stats.linregress), not the logistic calibration slope."""
    from scipy.stats import linregress

    clipped = np.clip(np.asarray(p, float), 1e-10, 1 - 1e-10)
    return float(linregress(np.log(clipped / (1 - clipped)), np.asarray(y, float)).slope)


def calibration_summary(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """The box of Fig 1 A: both calibration slopes (labelled), O:E, Brier of p and IPA
    = 1 - Brier / (prev (1 - prev)) with the test prevalence."""
    y, p = np.asarray(y, int), np.asarray(p, float)
    logistic_slope, logistic_intercept = metrics.calibration_slope_intercept(y, p)
    return {"calibration_slope_ols_published": ols_calibration_slope(y, p),
            "calibration_slope_logistic": logistic_slope,
            "calibration_intercept_logistic": logistic_intercept,
            "o_e_ratio": metrics.o_e_ratio(y, p), "brier": metrics.brier(y, p),
            "ipa": metrics.scaled_brier(y, p), "prevalence": float(y.mean()),
            "n": len(y), "n_events": int(y.sum())}


def calibration_points(y: np.ndarray, p: np.ndarray) -> dict[str, np.ndarray]:
    """The 10 uniform bins that hold subjects, at their midpoints (as the study plots them):
    midpoint, observed fraction, mean predicted probability, count."""
    bins = metrics.calibration_bins(y, p, N_CALIBRATION_BINS)
    return {"midpoint": (bins["bin_index"] + 0.5) / N_CALIBRATION_BINS,
            "observed": bins["prob_true"], "predicted": bins["prob_pred"], "n": bins["n"]}


def _loess(x: np.ndarray, observed: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """LOESS (local linear, tricube, no robustness iterations: R's loess default family) of the
    bin points, evaluated on grid; NaN where too few points carry it."""
    from statsmodels.nonparametric.smoothers_lowess import lowess

    if len(x) < 3:
        return np.full(len(grid), np.nan)
    return lowess(observed, x, frac=LOESS_SPAN, it=0, xvals=grid)


def calibration_smooth(y: np.ndarray, p: np.ndarray) -> dict[str, np.ndarray]:
    """The LOESS smooth of the bin points over the range of their midpoints, and its 95 % band:
    2.5 / 97.5 percentiles of the smooth of 200 subject resamples (seeded), each binned
    again."""
    y, p = np.asarray(y, int), np.asarray(p, float)
    points = calibration_points(y, p)
    grid = np.linspace(points["midpoint"].min(), points["midpoint"].max(), 50)
    smooth = _loess(points["midpoint"], points["observed"], grid)
    rng = np.random.default_rng(BAND_SEED)
    curves = np.full((N_BAND_BOOTSTRAP, len(grid)), np.nan)
    for b in range(N_BAND_BOOTSTRAP):
        idx = rng.integers(0, len(y), len(y))
        resampled = calibration_points(y[idx], p[idx])
        curves[b] = _loess(resampled["midpoint"], resampled["observed"], grid)
    with np.errstate(all="ignore"):
        lo, hi = (np.nanpercentile(curves, q, axis=0) if np.isfinite(curves).any()
                  else np.full(len(grid), np.nan) for q in (2.5, 97.5))
    return {"x": grid, "smooth": smooth, "band_lo": lo, "band_hi": hi}


def decision_curve(y: np.ndarray, p: np.ndarray) -> dict[str, np.ndarray]:
    """Net benefit over thresholds 1-30 % of the model and of treat-all (not capped: the study
    draws it below zero), treat-none 0."""
    y, p = np.asarray(y, int), np.asarray(p, float)
    thresholds = np.asarray(DCA_THRESHOLDS)
    prevalence = float(y.mean())
    return {"threshold": thresholds,
            "net_benefit_model": np.array([metrics.net_benefit(y, p, t) for t in thresholds]),
            "net_benefit_treat_all": prevalence - (1 - prevalence) * thresholds / (1 - thresholds),
            "net_benefit_treat_none": np.zeros(len(thresholds))}


def roc_points(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """fpr, tpr of the ROC's corners of 0/1 labels y (both present) and scores p: the values
    sklearn.metrics.roc_curve returns (drop_intermediate), without its input checks, which
    were ~1 ms of each of the band's 200 calls per pipeline. Its steps: scores descending, a
    point where the score changes and at the end (true and false positives so far), the
    points collinear with both neighbours dropped, (0, 0) first."""
    order = np.argsort(p, kind="stable")[::-1]
    ends = np.r_[np.flatnonzero(np.diff(p[order])), len(p) - 1]
    tps = np.cumsum(y[order], dtype=float)[ends]
    fps = 1 + ends - tps
    if len(fps) > 2:
        corner = np.r_[True, np.diff(fps, 2).astype(bool) | np.diff(tps, 2).astype(bool), True]
        fps, tps = fps[corner], tps[corner]
    fps, tps = np.r_[0.0, fps], np.r_[0.0, tps]
    return fps / fps[-1], tps / tps[-1]


def roc_with_band(y: np.ndarray, p: np.ndarray) -> dict[str, object]:
    """ROC of the predictions on a 101-point FPR grid, and its 95 % band from 200 subject
    resamples (seeded; a resample of one class is left out, as the study does)."""
    y, p = np.asarray(y, int), np.asarray(p, float)
    fpr, tpr = roc_points(y, p)
    rng = np.random.default_rng(BAND_SEED)
    curves = []
    for _ in range(N_BAND_BOOTSTRAP):
        idx = rng.integers(0, len(y), len(y))
        if len(np.unique(y[idx])) < 2:
            continue
        f, t = roc_points(y[idx], p[idx])
        curves.append(np.interp(ROC_GRID, f, t))
    lo, hi = np.percentile(np.array(curves), [2.5, 97.5], axis=0)
    return {"fpr": ROC_GRID, "tpr": np.interp(ROC_GRID, fpr, tpr), "tpr_ci_lo": lo,
            "tpr_ci_hi": hi, "auroc": metrics.auroc(y, p), "n_resamples": len(curves)}


def confidence_order(p: np.ndarray) -> np.ndarray:
    """Subjects from the most confident (largest |p - 0.5|) to the least; ties keep their
    order."""
    return np.argsort(-np.abs(np.asarray(p, float) - 0.5), kind="stable")


def risk_coverage(y: np.ndarray, p: np.ndarray) -> dict[str, np.ndarray]:
    """Coverage k/n and risk (error rate at threshold 0.5 of the k most confident subjects),
    k = 1..n."""
    y, p = np.asarray(y, int), np.asarray(p, float)
    order = confidence_order(p)
    errors = (p[order] > CLASSIFICATION_THRESHOLD).astype(int) != y[order]
    k = np.arange(1, len(y) + 1)
    return {"coverage": k / len(y), "risk": np.cumsum(errors) / k}


def aurc(coverage: np.ndarray, risk: np.ndarray) -> float:
    """Area under the risk-coverage curve (trapezoids from the first coverage to 1), as the
    study computes it; lower is better."""
    return float(np.trapezoid(risk, coverage))


def class_densities(y: np.ndarray, p: np.ndarray) -> dict[str, object]:
    """Fig 4: per class a Gaussian kernel density of p on [0, 1] (Silverman's bandwidth, near
    R's default), the class means and the discrimination slope (mean p of glaucoma minus mean
    p of controls)."""
    from scipy.stats import gaussian_kde

    y, p = np.asarray(y, int), np.asarray(p, float)
    out: dict[str, object] = {"grid": DENSITY_GRID}
    for label in (0, 1):
        values = p[y == label]
        out[f"density_{label}"] = (gaussian_kde(values, bw_method="silverman")(DENSITY_GRID)
                                   if len(values) > 1 and np.ptp(values) > 0
                                   else np.full(len(DENSITY_GRID), np.nan))
        out[f"mean_{label}"] = float(values.mean()) if len(values) else float("nan")
        out[f"n_{label}"] = len(values)
    out["discrimination_slope"] = out["mean_1"] - out["mean_0"]
    return out


def jsonable(value):
    """numpy arrays and scalars as lists and floats, recursively (the figure's JSON)."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def calibration_dca_panels(y: np.ndarray, p: np.ndarray) -> dict:
    """What Fig 1 draws for one pipeline."""
    return {"points": calibration_points(y, p), "smooth": calibration_smooth(y, p),
            "decision_curve": decision_curve(y, p), "summary": calibration_summary(y, p)}


def distribution_panel(y: np.ndarray, p: np.ndarray) -> dict:
    """What Fig 4 draws for one pipeline: the densities and the subjects (the rug)."""
    return {**class_densities(y, p), "y_true": np.asarray(y, int), "y_prob": np.asarray(p)}


def roc_risk_coverage_panels(y: np.ndarray, p: np.ndarray) -> dict:
    """What S1 draws for one pipeline."""
    curve = risk_coverage(y, p)
    return {"roc": roc_with_band(y, p), "risk_coverage": curve,
            "aurc": aurc(curve["coverage"], curve["risk"])}


def per_pipeline(predictions, pipelines: dict[str, dict], panels) -> dict[str, dict]:
    """panels(y, p) of each standard pipeline in `predictions` (rows of the predictions table
    with a `pipeline` column), in the order of `pipelines`, as JSON-ready lists."""
    out = {}
    for name in pipelines:
        part = predictions[predictions["pipeline"] == name]
        if len(part):
            out[name] = jsonable(panels(part["y_true"].to_numpy(int),
                                        part["y_prob"].to_numpy(float)))
    return out


def auroc_by_retention(retention, fraction: float) -> dict[str, dict[str, float]]:
    """Per pipeline: AUROC with every subject kept and with `fraction` kept (retention_metrics
    rows with a `pipeline` column): what S2's caption says of the direction."""
    out = {}
    for name, part in retention.groupby("pipeline", sort=False):
        at = part.set_index("retained_fraction")["auroc"]
        out[name] = {"all": float(at.loc[1.0]), "kept": float(at.loc[fraction])}
    return out
