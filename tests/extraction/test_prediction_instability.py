"""The per-subject summary of the bootstrap predictions (prediction_instability table) and the
sampled bootstrap predictions a standard pipeline keeps (bootstrap_prediction_samples)."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from test_run_tables import LOOKUP, NAME, RUN, _pickle

from plr_luigi.extraction.prediction_instability import (
    MalformedPredictionsError,
    bootstrap_prediction_summary,
    sampled_bootstrap_predictions,
    sampled_iterations,
)
from plr_luigi.extraction.run_tables import RunIdentity, extract_tables
from plr_luigi.study.factors import load_factor_registry, parse_run_name


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


def test_a_standard_pipelines_run_keeps_every_subjects_sampled_bootstrap_predictions():
    """RUN is LOF + SAITS, CatBoost, handcrafted: the traditional standard pipeline. With
    fewer iterations than the sample size it keeps all of them."""
    pickled = _pickle()
    proba = pickled["metrics_iter"]["test"]["preds"]["arrays"]["predictions"]["y_pred_proba"]
    rows = pd.DataFrame(extract_tables(pickled, RUN, LOOKUP)["bootstrap_prediction_samples"])
    assert len(rows) == proba.size
    for i, code in enumerate(["H002", "G001", "H001", "G002"]):
        mine = rows[rows.subject_code == code].sort_values("iteration")
        assert mine.iteration.tolist() == list(range(proba.shape[1]))
        assert mine.y_prob.tolist() == pytest.approx(proba[i].tolist())


def test_any_other_run_keeps_no_bootstrap_predictions():
    name = "CATBOOST_eval-auc__simple1.0__CSDI__LOF"  # no standard pipeline
    run = RunIdentity("run456", name, parse_run_name(name, load_factor_registry()), None)
    tables = extract_tables(_pickle(), run, LOOKUP)
    assert len(tables["bootstrap_prediction_samples"]["y_prob"]) == 0
    assert len(tables["prediction_instability"]["p_mean"]) == 4


def test_the_sample_of_1000_iterations_is_200_seeded_and_the_same_for_every_subject():
    first, second = sampled_iterations(1000), sampled_iterations(1000)
    assert len(first) == 200 == len(set(first.tolist()))
    assert first.tolist() == second.tolist() == sorted(first.tolist())
    assert first.max() < 1000 and first.tolist() != list(range(200))
    pickled = _pickle()
    predictions = pickled["metrics_iter"]["test"]["preds"]["arrays"]["predictions"]
    predictions["y_pred_proba"] = np.random.default_rng(1).uniform(size=(4, 1000))
    predictions["y_pred_proba"][1, first[0]] = np.nan  # a missing prediction is left out
    rows = pd.DataFrame(sampled_bootstrap_predictions(pickled, NAME, np.array(list("abcd"))))
    assert rows.groupby("subject_code").size().tolist() == [200, 199, 200, 200]
    a = rows[rows.subject_code == "a"]
    assert a.iteration.tolist() == first.tolist()
    assert a.y_prob.tolist() == predictions["y_pred_proba"][0, first].tolist()
