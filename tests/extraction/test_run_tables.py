"""extract_tables on a hand-built metrics pickle: values, anonymisation, and clear errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from plr_luigi.extraction.run_tables import MalformedRunError, RunIdentity, extract_tables
from plr_luigi.extraction.subjects import UnknownSubjectError
from plr_luigi.study import schema
from plr_luigi.study.factors import load_factor_registry, parse_run_name

NAME = "CATBOOST_eval-auc__simple1.0__SAITS__LOF"
CODES = np.array(["PLR1002", "PLR4001", "PLR1001", "PLR4002"])
LOOKUP = {"PLR1001": "H001", "PLR1002": "H002", "PLR4001": "G001", "PLR4002": "G002"}
LABELS = np.array([0, 1, 0, 1])
N_BOOT = 5


def _pickle() -> dict:
    rng = np.random.default_rng(0)
    probs = np.clip(LABELS[:, None] * 0.5 + 0.2 + rng.normal(0, 0.1, (4, N_BOOT)), 0.01, 0.99)
    boot_auroc = np.array([roc_auc_score(LABELS, probs[:, b]) for b in range(N_BOOT)])
    grid = np.linspace(0, 1, 200)
    test = {
        "metrics": {"scalars": {"AUROC": boot_auroc, "Brier": np.full(N_BOOT, 0.1),
                                "F1": np.linspace(0.5, 0.7, N_BOOT)},
                    "arrays": {"AUROC": {"fpr": np.repeat(grid[:, None], N_BOOT, 1),
                                         "tpr": np.repeat(np.sqrt(grid)[:, None], N_BOOT, 1),
                                         "thresholds": np.zeros((200, N_BOOT))}}},
        "preds": {"arrays": {"predictions": {"y_pred_proba": probs}}},
    }
    return {
        "metrics_iter": {"test": test},
        "metrics_stats": {"test": {"metrics": {"scalars": {
            "AUROC": {"n": N_BOOT, "mean": boot_auroc.mean(), "std": 0.0,
                      "ci": np.array([np.nan, np.nan])},
            "Brier": {"n": N_BOOT, "mean": 0.1, "std": 0.0, "ci": np.array([np.nan, np.nan])}}}}},
        "subjectwise_stats": {"test": {
            "preds": {"y_pred_proba": {"mean": probs.mean(1), "std": probs.std(1)}},
            "subject_code": CODES, "labels": LABELS}},
    }


RUN = RunIdentity("run123", NAME, parse_run_name(NAME, load_factor_registry()), 0.0354)


def test_every_table_is_produced_with_its_schema_columns():
    tables = extract_tables(_pickle(), RUN, LOOKUP)
    assert set(tables) == {t.name for t in schema.RUN_TABLES}
    for table in schema.RUN_TABLES:
        assert list(tables[table.name]) == table.column_names
        assert (tables[table.name]["config_id"] == "run123").all()


def test_values_come_from_the_bootstrap_data_and_codes_are_anonymised():
    pickled = _pickle()
    tables = extract_tables(pickled, RUN, LOOKUP)
    essential = {column: values[0] for column, values in tables["essential_metrics"].items()}
    boot = pickled["metrics_iter"]["test"]["metrics"]["scalars"]["AUROC"]
    assert essential["auroc"] == pytest.approx(boot.mean())
    assert essential["auroc_ci_lo"] == pytest.approx(np.percentile(boot, 2.5))
    assert (essential["outlier_method"], essential["classifier"]) == ("LOF", "CatBoost")
    assert tables["predictions"]["subject_code"].tolist() == ["H002", "G001", "H001", "G002"]
    assert tables["bootstrap_auroc"]["auroc"].tolist() == pytest.approx(boot.tolist())
    # A metric the run did not compute is NULL, not a failure; NaN CIs of the run's own
    # statistics stay NaN in the (nullable) cohort table.
    assert np.isnan(tables["supplementary_metrics"]["npv"][0])
    assert np.isnan(tables["cohort_metrics"]["auroc_ci_lo"][0])
    assert tables["roc_curves"]["tpr"][-1] == pytest.approx(1.0)


def test_a_missing_part_names_the_run_and_the_path():
    pickled = _pickle()
    del pickled["metrics_iter"]["test"]["metrics"]["scalars"]["AUROC"]
    with pytest.raises(MalformedRunError, match=rf"run {NAME}: .*\['AUROC'\]"):
        extract_tables(pickled, RUN, LOOKUP)


@pytest.mark.parametrize("mutate, message", [
    (lambda p: p["subjectwise_stats"]["test"]["preds"]["y_pred_proba"].update(
        mean=np.array([0.1, np.nan, 0.3, 0.4])), "probabilities are missing"),
    (lambda p: p["subjectwise_stats"]["test"].update(labels=np.array([0, 1, 0])),
     r"labels has shape \(3,\)"),
    (lambda p: p["metrics_iter"]["test"]["metrics"]["scalars"].update(
        AUROC=np.full(N_BOOT, np.nan)), "every bootstrap AUROC is NaN"),
])
def test_malformed_arrays_are_errors_of_the_run(mutate, message):
    pickled = copy.deepcopy(_pickle())
    mutate(pickled)
    with pytest.raises(MalformedRunError, match=message):
        extract_tables(pickled, RUN, LOOKUP)


def test_a_subject_outside_the_lookup_fails_the_run_without_naming_the_code():
    lookup = {k: v for k, v in LOOKUP.items() if k != "PLR4002"}
    with pytest.raises(UnknownSubjectError) as err:
        extract_tables(_pickle(), RUN, lookup)
    assert "PLR4002" not in str(err.value)


def test_brier_is_the_studys_mean_of_iteration_briers_and_the_other_has_its_own_column():
    pickled = _pickle()
    pickled["metrics_stats"]["test"]["metrics"]["scalars"]["Brier"]["mean"] = 0.1234
    essential = {column: values[0] for column, values
                 in extract_tables(pickled, RUN, LOOKUP)[schema.ESSENTIAL.name].items()}
    p = pickled["subjectwise_stats"]["test"]["preds"]["y_pred_proba"]["mean"]
    assert essential["brier"] == 0.1234  # metrics_stats["test"]["metrics"]["scalars"]["Brier"]
    assert essential["brier_of_mean_prob"] == pytest.approx(np.mean((p - LABELS) ** 2))


def test_a_pickle_without_the_published_brier_is_malformed():
    pickled = _pickle()
    del pickled["metrics_stats"]["test"]["metrics"]["scalars"]["Brier"]
    with pytest.raises(MalformedRunError, match="'Brier'"):
        extract_tables(pickled, RUN, LOOKUP)
