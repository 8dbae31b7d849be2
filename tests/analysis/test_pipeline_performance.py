"""The standard-pipeline figures' definitions (Fig 1, Fig 4, S1) on hand-made predictions, each
checked against an independent computation written here."""

from __future__ import annotations

import numpy as np
import pytest

from plr_luigi.analysis import pipeline_performance as perf

# Eight subjects by hand: |p - 0.5| orders them 0.95, 0.05, 0.9, 0.15, 0.7, 0.35, 0.55, 0.45.
Y = np.array([1, 0, 0, 1, 1, 0, 1, 0])
P = np.array([0.95, 0.05, 0.9, 0.15, 0.7, 0.35, 0.55, 0.45])


def test_risk_is_the_error_rate_in_confidence_order_and_aurc_its_area():
    curve = perf.risk_coverage(Y, P)
    # Most confident first: 0.95 (y 1, right), 0.05 (0, right), 0.9 (0, wrong), 0.15 (1,
    # wrong), 0.7 (1, right), 0.35 (0, right), 0.55 (1, right), 0.45 (0, right).
    errors = [0, 0, 1, 1, 0, 0, 0, 0]
    expected_risk = [sum(errors[:k]) / k for k in range(1, 9)]
    assert curve["coverage"].tolist() == pytest.approx([k / 8 for k in range(1, 9)])
    assert curve["risk"].tolist() == pytest.approx(expected_risk)
    area = sum((expected_risk[i] + expected_risk[i + 1]) / 2 / 8 for i in range(7))
    assert perf.aurc(curve["coverage"], curve["risk"]) == pytest.approx(area)


def test_the_confidence_order_is_by_distance_from_one_half_not_by_probability():
    p = np.array([0.4, 0.99, 0.02, 0.6])
    assert perf.confidence_order(p).tolist() == [1, 2, 0, 3]  # ties keep their order
    y = np.array([0, 1, 0, 1])
    shuffled = perf.risk_coverage(y[::-1], p[::-1])
    assert perf.risk_coverage(y, p)["risk"][:2].tolist() == shuffled["risk"][:2].tolist()


def test_the_published_slope_is_least_squares_and_the_sound_one_logistic():
    import statsmodels.api as sm
    from scipy.stats import linregress

    rng = np.random.default_rng(3)
    p = rng.uniform(0.02, 0.98, 300)
    y = (rng.uniform(size=300) < p).astype(int)
    summary = perf.calibration_summary(y, p)
    logit = np.log(p / (1 - p))
    assert summary["calibration_slope_ols_published"] == pytest.approx(
        linregress(logit, y).slope)
    fit = sm.Logit(y, sm.add_constant(logit)).fit(disp=0)
    assert summary["calibration_slope_logistic"] == pytest.approx(fit.params[1], rel=1e-6)
    # Least squares of 0/1 on logit(p) is no calibration slope: far below 1 here, where the
    # model is calibrated by construction and the logistic slope is near 1.
    assert summary["calibration_slope_ols_published"] < 0.5 < summary["calibration_slope_logistic"]


def test_ipa_scales_brier_by_the_test_prevalence_and_oe_is_observed_over_expected():
    summary = perf.calibration_summary(Y, P)
    brier = np.mean((P - Y) ** 2)
    prevalence = Y.mean()
    assert summary["brier"] == pytest.approx(brier)
    assert summary["ipa"] == pytest.approx(1 - brier / (prevalence * (1 - prevalence)))
    assert summary["o_e_ratio"] == pytest.approx(Y.sum() / P.sum())
    assert (summary["n"], summary["n_events"]) == (8, 4)


def test_calibration_points_are_bin_midpoints_sized_by_count():
    points = perf.calibration_points(Y, P)
    # Bins of width 0.1: 0.05 -> 0, 0.15 -> 1, 0.35 -> 3, 0.45 -> 4, 0.55 -> 5, 0.7 -> 7,
    # 0.9 and 0.95 -> 9.
    assert points["midpoint"].tolist() == pytest.approx([0.05, 0.15, 0.35, 0.45, 0.55, 0.75,
                                                         0.95])
    assert points["n"].tolist() == [1, 1, 1, 1, 1, 1, 2]
    assert points["observed"].tolist() == pytest.approx([0, 1, 0, 0, 1, 1, 0.5])


def test_the_loess_band_is_seeded_and_holds_the_smooth_of_the_points():
    rng = np.random.default_rng(5)
    p = rng.uniform(0, 1, 120)
    y = (rng.uniform(size=120) < p).astype(int)
    first, second = perf.calibration_smooth(y, p), perf.calibration_smooth(y, p)
    assert np.array_equal(first["band_lo"], second["band_lo"], equal_nan=True)
    from statsmodels.nonparametric.smoothers_lowess import lowess

    points = perf.calibration_points(y, p)
    expected = lowess(points["observed"], points["midpoint"], frac=0.8, it=0,
                      xvals=first["x"])
    assert first["smooth"] == pytest.approx(expected)
    inside = (first["band_lo"] <= first["smooth"] + 1e-9) & (first["smooth"] <= first["band_hi"]
                                                             + 1e-9)
    assert inside.mean() > 0.8


def test_decision_curve_is_net_benefit_from_1_to_30_percent_with_uncapped_treat_all():
    curve = perf.decision_curve(Y, P)
    assert curve["threshold"][0] == pytest.approx(0.01) and curve["threshold"][-1] == \
        pytest.approx(0.30) and len(curve["threshold"]) == 30
    t = 0.15
    i = int(np.argmin(np.abs(curve["threshold"] - t)))
    tp = np.sum((P >= t) & (Y == 1))
    fp = np.sum((P >= t) & (Y == 0))
    assert curve["net_benefit_model"][i] == pytest.approx(tp / 8 - fp / 8 * t / (1 - t))
    assert curve["net_benefit_treat_all"][-1] == pytest.approx(0.5 - 0.5 * 0.3 / 0.7)
    assert (curve["net_benefit_treat_none"] == 0).all()


def test_roc_band_is_seeded_and_the_auroc_is_of_the_mean_predictions():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(7)
    y = np.repeat([0, 1], 30)
    p = np.clip(y * 0.3 + rng.uniform(0, 0.7, 60), 0, 1)
    first, second = perf.roc_with_band(y, p), perf.roc_with_band(y, p)
    assert first["auroc"] == pytest.approx(roc_auc_score(y, p))
    assert np.array_equal(first["tpr_ci_lo"], second["tpr_ci_lo"])
    assert first["n_resamples"] == 200
    assert (first["tpr_ci_lo"] <= first["tpr_ci_hi"]).all()


@pytest.mark.parametrize("seed", range(20))
def test_roc_points_are_the_values_of_sklearns_roc_curve(seed):
    from sklearn.metrics import roc_curve

    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 80))
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    # rounded scores: ties within and across the classes
    p = rng.uniform(0, 1, n).round(int(rng.integers(1, 4)))
    fpr, tpr = perf.roc_points(y, p)
    expected_fpr, expected_tpr, _ = roc_curve(y, p)
    assert fpr.tobytes() == expected_fpr.tobytes()
    assert tpr.tobytes() == expected_tpr.tobytes()


def test_discrimination_slope_is_the_difference_of_the_class_means():
    densities = perf.class_densities(Y, P)
    assert densities["discrimination_slope"] == pytest.approx(P[Y == 1].mean() - P[Y == 0].mean())
    assert (densities["n_0"], densities["n_1"]) == (4, 4)
    area = np.trapezoid(densities["density_1"], densities["grid"])
    assert 0.5 < area <= 1.0  # a kernel density, most of its mass inside [0, 1]
