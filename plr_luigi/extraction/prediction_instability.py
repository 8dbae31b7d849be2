"""Prediction instability of one run: a summary of each test subject's bootstrap predictions,
and for a standard pipeline a sample of the predictions themselves.

The metrics pickle holds every bootstrap model's probability for every test subject
(`metrics_iter["test"]["preds"]["arrays"]["predictions"]["y_pred_proba"]`, 63 x 1000). The
instability figure (Riley et al. 2023) needs, per subject, where those predictions lie against
their mean: the mean, SD and the percentiles of schema.INSTABILITY_QUANTILES are kept for every
run, 63 rows per configuration instead of 63,000 (25.6 million rows for the study's ~406
configurations). The figure also draws the predictions of 200 sampled bootstrap models per
subject, as the study does; those are kept for the standard pipelines' runs alone
(63 x 200 rows each), never for the whole store.
"""

from __future__ import annotations

import warnings

import numpy as np

from plr_luigi.study import schema

PREDICTIONS_PATH = ("metrics_iter", "test", "preds", "arrays", "predictions", "y_pred_proba")


class MalformedPredictionsError(ValueError):
    """The run's bootstrap prediction array is missing or does not match its test subjects."""


def bootstrap_predictions(pickled: dict, run_name: str, n_subjects: int) -> np.ndarray:
    """The run's (subjects x bootstrap iterations) array of test probabilities, checked."""
    node = pickled
    for key in PREDICTIONS_PATH:
        if not isinstance(node, dict) or key not in node:
            raise MalformedPredictionsError(f"run {run_name}: metrics pickle has no "
                                            f"{'/'.join(PREDICTIONS_PATH)}")
        node = node[key]
    proba = np.asarray(node, dtype=float)
    if proba.ndim != 2 or proba.shape[0] != n_subjects:
        raise MalformedPredictionsError(
            f"run {run_name}: {'/'.join(PREDICTIONS_PATH)} has shape {proba.shape}, expected "
            f"({n_subjects}, n_bootstrap)")
    return proba


def bootstrap_prediction_summary(pickled: dict, run_name: str, public_codes: np.ndarray,
                                 labels: np.ndarray) -> dict[str, np.ndarray]:
    """One row per test subject (in the order of public_codes, the order of the pickle's
    subject-wise statistics): n_iterations, p_mean, p_std and the quantile columns."""
    proba = bootstrap_predictions(pickled, run_name, len(public_codes))
    with warnings.catch_warnings():
        # A subject without any prediction gives NaN here, which the run's NaN check reports.
        warnings.simplefilter("ignore", RuntimeWarning)
        quantiles = np.nanpercentile(proba, list(schema.INSTABILITY_QUANTILES.values()), axis=1)
        columns = {
            "subject_code": np.asarray(public_codes, dtype=object),
            "y_true": np.asarray(labels, int),
            "n_iterations": np.sum(~np.isnan(proba), axis=1),
            "p_mean": np.nanmean(proba, axis=1), "p_std": np.nanstd(proba, axis=1),
        }
    columns.update(zip(schema.INSTABILITY_QUANTILES, quantiles, strict=True))
    return columns


def sampled_iterations(n_bootstrap: int) -> np.ndarray:
    """The bootstrap iterations whose predictions a standard pipeline's run keeps: the same
    seeded draw (without replacement, ascending) for every run with the same number of
    iterations, so rebuilds and reruns keep the same rows."""
    if n_bootstrap <= schema.N_SAMPLED_BOOTSTRAP:
        return np.arange(n_bootstrap)
    rng = np.random.default_rng(schema.BOOTSTRAP_SAMPLE_SEED)
    return np.sort(rng.choice(n_bootstrap, schema.N_SAMPLED_BOOTSTRAP, replace=False))


def sampled_bootstrap_predictions(pickled: dict, run_name: str,
                                  public_codes: np.ndarray) -> dict[str, np.ndarray]:
    """Rows of schema.BOOTSTRAP_PREDICTION_SAMPLES: per test subject (public code) and sampled
    iteration, that iteration's predicted probability; an iteration without a prediction for
    the subject (NaN) is left out."""
    proba = bootstrap_predictions(pickled, run_name, len(public_codes))
    iterations = sampled_iterations(proba.shape[1])
    kept = proba[:, iterations]  # subjects x sampled iterations: at most 63 x 200 per run
    subject, column = np.nonzero(~np.isnan(kept))
    return {"subject_code": np.asarray(public_codes, dtype=object)[subject],
            "iteration": iterations[column], "y_prob": kept[subject, column]}


def no_sampled_predictions() -> dict[str, np.ndarray]:
    """A run that is no standard pipeline keeps no bootstrap predictions."""
    return {"subject_code": np.asarray([], dtype=object), "iteration": np.asarray([], int),
            "y_prob": np.asarray([], float)}
