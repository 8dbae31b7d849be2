"""Metric functions against scikit-learn, scipy, statsmodels and hand-computed values."""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.stats import rankdata
from sklearn.metrics import brier_score_loss, roc_auc_score
from statsmodels.discrete.discrete_model import Logit
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning
from statsmodels.tools.tools import add_constant

from plr_luigi.extraction import metrics

RNG = np.random.default_rng(7)


@pytest.mark.parametrize("seed", range(5))
def test_auroc_matches_sklearn_with_ties(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 63)
    p = np.round(rng.random(63), 1)  # rounding creates ties
    assert metrics.auroc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)


def test_auroc_of_one_class_is_nan():
    assert np.isnan(metrics.auroc(np.zeros(5), np.linspace(0, 1, 5)))


def test_brier_matches_sklearn():
    y = RNG.integers(0, 2, 100)
    p = RNG.random(100)
    assert metrics.brier(y, p) == pytest.approx(brier_score_loss(y, p))


def test_scaled_brier_by_hand():
    y = np.array([1, 0, 0, 0])
    p = np.array([0.5, 0.5, 0.0, 0.0])  # brier = (0.25 + 0.25) / 4 = 0.125; prev 0.25
    assert metrics.scaled_brier(y, p) == pytest.approx(1 - 0.125 / (0.25 * 0.75))
    assert np.isnan(metrics.scaled_brier(np.ones(3), np.full(3, 0.9)))


def test_net_benefit_by_hand():
    y = np.array([1, 1, 0, 0, 0])
    p = np.array([0.9, 0.05, 0.3, 0.08, 0.02])
    # threshold 0.1: positives are 0.9 (TP) and 0.3 (FP): 1/5 - 1/5 * 0.1/0.9
    assert metrics.net_benefit(y, p, 0.10) == pytest.approx(0.2 - 0.2 / 9)
    # p >= t counts as positive: at exactly 0.3 the FP is still positive
    assert metrics.net_benefit(y, p, 0.30) == pytest.approx(0.2 - 0.2 * 0.3 / 0.7)


def test_o_e_ratio():
    assert metrics.o_e_ratio(np.array([1, 0, 0, 0]), np.full(4, 0.5)) == pytest.approx(0.5)


# Probabilities as a model gives them: ties (rounded), exact 0 and 1, values near both.
_PROBABILITIES = st.one_of(st.floats(0, 1), st.sampled_from([0.0, 1.0, 1e-9, 1 - 1e-9, 0.5]),
                           st.integers(0, 20).map(lambda k: k / 20))


@settings(max_examples=300, deadline=None)
@given(hnp.arrays(float, st.integers(1, 60), elements=_PROBABILITIES), st.booleans())
def test_average_ranks_are_scipys_rankdata(values, with_nan):
    if with_nan:
        values[len(values) // 2] = np.nan
    assert metrics.average_ranks(values) == pytest.approx(rankdata(values), abs=1e-12,
                                                          nan_ok=True)


def _statsmodels_calibration(y, p):
    """What the metric computed with statsmodels before: (slope, intercept), NaN when the fit
    fails."""
    p = np.clip(np.asarray(p, float), 1e-6, 1 - 1e-6)
    x = add_constant(np.log(p / (1 - p)), has_constant="add")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # overflow in exp, non-convergence: kept as statsmodels'
        warnings.simplefilter("error", PerfectSeparationWarning)
        try:
            intercept, slope = Logit(np.asarray(y, float), x).fit(disp=0).params
        except (PerfectSeparationWarning, np.linalg.LinAlgError):
            return np.nan, np.nan
    return slope, intercept


@st.composite
def _labelled_probabilities(draw):
    n = draw(st.integers(2, 80))
    y = draw(hnp.arrays(np.int8, n, elements=st.integers(0, 1)))
    # From uninformative to separating: p = y on a share of the subjects, noise on the rest.
    informative = draw(st.floats(0, 1))
    noise = draw(hnp.arrays(float, n, elements=_PROBABILITIES))
    p = np.where(draw(hnp.arrays(float, n, elements=st.floats(0, 1))) < informative,
                 np.clip(y + draw(st.floats(-0.49, 0.49)) * (1 - 2 * y), 0, 1), noise)
    return y, p


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_labelled_probabilities())
def test_calibration_fit_is_statsmodels_logit(labelled):
    y, p = labelled
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _statsmodels_calibration(y, p)
    got = metrics.calibration_slope_intercept(y, p)
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-9, nan_ok=True)


def test_calibration_fit_of_one_class_or_constant_probabilities_is_statsmodels_logit():
    cases = [(np.zeros(10), np.linspace(0.1, 0.9, 10)), (np.ones(10), np.linspace(0.1, 0.9, 10)),
             (np.array([0, 1] * 5), np.full(10, 0.3)), (np.array([0, 1, 1]), np.array([0, 1, 1])),
             # found by the property test: statsmodels' final Hessian is exactly singular
             (np.array([0, 1, 1, 1]), np.zeros(4))]
    for y, p in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = _statsmodels_calibration(y, p)
        assert metrics.calibration_slope_intercept(y, p) == pytest.approx(expected, rel=1e-9,
                                                                          nan_ok=True)


def test_calibration_of_a_calibrated_model_is_slope_one_intercept_zero():
    rng = np.random.default_rng(3)
    p = rng.uniform(0.02, 0.98, 20_000)
    y = rng.random(20_000) < p
    slope, intercept = metrics.calibration_slope_intercept(y, p)
    assert slope == pytest.approx(1.0, abs=0.06)
    assert intercept == pytest.approx(0.0, abs=0.06)


def test_calibration_detects_overconfidence():
    rng = np.random.default_rng(4)
    true_logit = rng.normal(0, 1, 20_000)
    y = rng.random(20_000) < 1 / (1 + np.exp(-true_logit))
    overconfident = 1 / (1 + np.exp(-2 * true_logit))  # logits doubled: slope should be 0.5
    slope, _ = metrics.calibration_slope_intercept(y, overconfident)
    assert slope == pytest.approx(0.5, abs=0.04)


def test_calibration_fit_under_separation_is_nan():
    y = np.array([0, 0, 0, 1, 1, 1])
    p = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    slope, intercept = metrics.calibration_slope_intercept(y, p)
    assert np.isnan(slope) and np.isnan(intercept)


def test_bootstrap_summary_ignores_nan_iterations():
    values = np.concatenate([np.linspace(0, 1, 1001), [np.nan]])
    mean, lo, hi = metrics.bootstrap_summary(values)
    assert (mean, lo, hi) == pytest.approx((0.5, 0.025, 0.975))
    assert all(np.isnan(metrics.bootstrap_summary(np.full(3, np.nan))))


def test_calibration_bins_drop_empty_bins_and_count():
    y = np.array([0, 1, 1, 0])
    p = np.array([0.05, 0.95, 1.0, 0.55])
    bins = metrics.calibration_bins(y, p, 10)
    assert bins["bin_index"].tolist() == [0, 5, 9]
    assert bins["n"].tolist() == [1, 1, 2]
    assert bins["prob_true"].tolist() == [0.0, 0.0, 1.0]


def test_probability_histogram_counts_every_subject_once():
    y = RNG.integers(0, 2, 63)
    p = RNG.random(63)
    hist = metrics.probability_histogram(y, p, 10)
    assert len(hist["count"]) == 20
    for label in (0, 1):
        assert hist["count"][hist["y_true"] == label].sum() == (y == label).sum()


def test_decision_curve_treat_all_is_capped_at_zero():
    y = np.array([1, 0, 0, 0])  # prevalence 0.25: treat-all crosses 0 at t = 0.25
    curve = metrics.decision_curve(y, np.array([0.9, 0.1, 0.2, 0.3]), (0.1, 0.25, 0.4))
    assert curve["net_benefit_treat_all"].tolist() == pytest.approx(
        [0.25 - 0.75 * 0.1 / 0.9, 0.0, 0.0])
    assert curve["sensitivity"].tolist() == [1.0, 1.0, 1.0]
    assert curve["specificity"].tolist() == pytest.approx([0.0, 2 / 3, 1.0])  # p >= t is positive


def test_retention_keeps_the_most_certain_subjects():
    y = np.array([1, 0, 1, 0])
    p = np.array([0.9, 0.1, 0.2, 0.8])  # the last two are wrong and uncertain
    std = np.array([0.01, 0.02, 0.3, 0.4])
    curve = metrics.retention_curve(y, p, std, (0.5, 1.0), 0.15)
    assert curve["n_retained"].tolist() == [2, 4]
    assert curve["auroc"][0] == 1.0
    assert curve["auroc"][1] == pytest.approx(roc_auc_score(y, p))


def test_mean_roc_interpolates_each_iteration():
    fpr = np.array([[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]])
    tpr = np.array([[0.0, 0.0], [1.0, 0.5], [1.0, 1.0]])
    roc = metrics.mean_roc(fpr, tpr, np.array([0.0, 0.25, 1.0]))
    assert roc["tpr"].tolist() == pytest.approx([0.0, (0.5 + 0.25) / 2, 1.0])
