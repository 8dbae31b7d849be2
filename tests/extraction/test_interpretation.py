"""The pieces of one configuration's interpretation: VIF, the summary over bootstrap models and
the shape a model pickle must have."""

from __future__ import annotations

import numpy as np
import pytest

from plr_luigi.extraction.interpretation import (
    ModelShapeError,
    mean_abs_shap_per_model,
    summarise_importance,
    variance_inflation,
)
from plr_luigi.store.safe_pickle import StudyEnsembleState


def test_vif_is_one_over_one_minus_r_squared_of_each_feature_on_the_others():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 3))
    x = np.column_stack([x, x[:, 0] + x[:, 1] + rng.normal(0, 0.1, 200)])
    names = ["a", "b", "c", "ab"]
    vif = variance_inflation("cfg", x, names).set_index("feature")["vif"]
    for j, name in enumerate(names):
        others = np.column_stack([np.ones(len(x)), np.delete(x, j, axis=1)])
        fitted = others @ np.linalg.lstsq(others, x[:, j], rcond=None)[0]
        r2 = 1 - ((x[:, j] - fitted) ** 2).sum() / ((x[:, j] - x[:, j].mean()) ** 2).sum()
        assert vif[name] == pytest.approx(1 / (1 - r2), rel=1e-9)
    assert vif["ab"] > 10 > vif["c"]


def test_summary_is_the_mean_and_percentiles_over_models_per_rule_and_feature():
    per_model = {"member0": np.array([[1.0, 0.0], [3.0, 2.0]]),
                 "ensemble_mean": np.array([[2.0, 2.0], [2.0, 2.0]])}
    rows = summarise_importance("cfg", per_model, ["f1", "f2"]).set_index(
        ["member_rule", "feature"])
    assert rows.loc[("member0", "f1"), "mean_abs_shap"] == 2.0
    assert rows.loc[("member0", "f1"), "ci_lo"] == pytest.approx(1.05)
    assert rows.loc[("member0", "f2"), "ci_hi"] == pytest.approx(1.95)
    assert (rows["n_models"] == 2).all() and len(rows) == 4


def test_a_model_pickle_of_another_shape_is_refused_with_the_reason():
    with pytest.raises(ModelShapeError, match="not a non-empty list"):
        mean_abs_shap_per_model({"iteration": 0}, np.zeros((2, 2)))
    with pytest.raises(ModelShapeError, match="bootstrap model 0 is a dict"):
        mean_abs_shap_per_model([{"weights": [1.0]}], np.zeros((2, 2)))
    ensemble = StudyEnsembleState()
    ensemble.__setstate__({"ensemble": ["not a model"]})
    with pytest.raises(ModelShapeError, match="does not hold a list of CatBoost models"):
        mean_abs_shap_per_model([ensemble], np.zeros((2, 2)))
