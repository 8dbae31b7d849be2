"""Prediction instability of one run: a summary of each test subject's bootstrap predictions.

The metrics pickle holds every bootstrap model's probability for every test subject
(`metrics_iter["test"]["preds"]["arrays"]["predictions"]["y_pred_proba"]`, 63 x 1000). The
instability figure (Riley et al. 2023) needs, per subject, where those predictions lie against
their mean: the mean, SD and the percentiles of schema.INSTABILITY_QUANTILES are kept, 63 rows
per configuration instead of 63,000 (25.6 million rows for the study's ~406 configurations).
"""

from __future__ import annotations

import warnings

import numpy as np

from plr_luigi.study import schema

PREDICTIONS_PATH = ("metrics_iter", "test", "preds", "arrays", "predictions", "y_pred_proba")


class MalformedPredictionsError(ValueError):
    """The run's bootstrap prediction array is missing or does not match its test subjects."""


def bootstrap_prediction_summary(pickled: dict, run_name: str, public_codes: np.ndarray,
                                 labels: np.ndarray) -> dict[str, np.ndarray]:
    """One row per test subject (in the order of public_codes, the order of the pickle's
    subject-wise statistics): n_iterations, p_mean, p_std and the quantile columns."""
    node = pickled
    for key in PREDICTIONS_PATH:
        if not isinstance(node, dict) or key not in node:
            raise MalformedPredictionsError(f"run {run_name}: metrics pickle has no "
                                            f"{'/'.join(PREDICTIONS_PATH)}")
        node = node[key]
    proba = np.asarray(node, dtype=float)
    if proba.ndim != 2 or proba.shape[0] != len(public_codes):
        raise MalformedPredictionsError(
            f"run {run_name}: {'/'.join(PREDICTIONS_PATH)} has shape {proba.shape}, expected "
            f"({len(public_codes)}, n_bootstrap)")
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
