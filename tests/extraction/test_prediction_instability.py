"""The per-subject summary of the bootstrap predictions (prediction_instability table)."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from test_run_tables import LOOKUP, NAME, RUN, _pickle

from plr_luigi.extraction.prediction_instability import (
    MalformedPredictionsError,
    bootstrap_prediction_summary,
)
from plr_luigi.extraction.run_tables import extract_tables


def test_each_subject_row_summarises_its_own_bootstrap_predictions():
    pickled = _pickle()
    proba = pickled["metrics_iter"]["test"]["preds"]["arrays"]["predictions"]["y_pred_proba"]
    rows = pd.DataFrame(extract_tables(pickled, RUN, LOOKUP)["prediction_instability"])
    assert rows["subject_code"].tolist() == ["H002", "G001", "H001", "G002"]
    assert rows["y_true"].tolist() == [0, 1, 0, 1]
    for i, row in enumerate(rows.itertuples()):
        assert row.p_mean == pytest.approx(proba[i].mean())
        assert row.p_std == pytest.approx(proba[i].std())
        assert row.p_q02_5 == pytest.approx(np.percentile(proba[i], 2.5))
        assert row.p_q97_5 == pytest.approx(np.percentile(proba[i], 97.5))
        assert row.p_q50 == pytest.approx(np.median(proba[i]))
        assert row.n_iterations == proba.shape[1]
        assert row.p_q02_5 <= row.p_q25 <= row.p_q50 <= row.p_q75 <= row.p_q97_5


def test_missing_iterations_are_left_out_of_a_subjects_summary():
    pickled = _pickle()
    proba = pickled["metrics_iter"]["test"]["preds"]["arrays"]["predictions"]["y_pred_proba"]
    proba[0, :2] = np.nan
    rows = bootstrap_prediction_summary(pickled, NAME, np.array(list("abcd")), np.zeros(4))
    assert rows["n_iterations"].tolist() == [proba.shape[1] - 2, *[proba.shape[1]] * 3]
    assert rows["p_mean"][0] == pytest.approx(np.nanmean(proba[0]))


@pytest.mark.parametrize("damage", ["missing", "transposed"])
def test_a_bad_prediction_array_names_the_run(damage):
    pickled = copy.deepcopy(_pickle())
    predictions = pickled["metrics_iter"]["test"]["preds"]["arrays"]["predictions"]
    if damage == "missing":
        del predictions["y_pred_proba"]
    else:
        predictions["y_pred_proba"] = predictions["y_pred_proba"].T
    with pytest.raises(MalformedPredictionsError, match=rf"run {NAME}: .*y_pred_proba"):
        extract_tables(pickled, RUN, LOOKUP)
