"""Run-name parsing and the decision of which runs become configurations."""

import pytest

from plr_luigi.store.mlflow_store import RunSummary
from plr_luigi.store.run_decisions import (
    EXTRACT,
    FAILED,
    SKIPPED,
    decide_runs,
    duplicate_runs,
)
from plr_luigi.study.factors import UnknownFactorLevelError, load_factor_registry, parse_run_name

REGISTRY = load_factor_registry()
GT = "CATBOOST_eval-auc__simple1.0__pupil-gt__pupil-gt"


def run(run_id, name, status="FINISHED", stage="active", end=1, auroc=None):
    return RunSummary(run_id, name, status, stage, 0, end, f"/store/{run_id}/artifacts",
                      synthetic=True, prevalence=0.0354, logged_auroc=auroc)


def test_parse_four_field_name():
    parsed = parse_run_name(
        "LOGISTICREGRESSION_eval-roc_auc__MOMENT-embedding__ensemble-CSDI-MOMENT-SAITS__"
        "ensembleThresholded-MOMENT-TimesNet-UniTS-gt-finetune", REGISTRY)
    assert parsed.configuration == ("ensembleThresholded-MOMENT-TimesNet-UniTS-gt-finetune",
                                    "ensemble-CSDI-MOMENT-SAITS", "LogisticRegression",
                                    "MOMENT-embedding")
    assert not parsed.legacy


@pytest.mark.parametrize("token", ["LogisticRegression", "LOGISTICREGRESSION", "TabPFN",
                                   "TABPFN", "TabM", "tabm"])
def test_the_classifier_token_is_matched_ignoring_case(token):
    """The real store writes CATBOOST but LogisticRegression (mlflow-store.md)."""
    parsed = parse_run_name(f"{token}_eval-roc_auc__simple1.0__SAITS__LOF", REGISTRY)
    assert parsed.classifier in {"LogisticRegression", "TabPFN", "TabM"}
    assert parsed.classifier.upper() == token.upper()


def test_parse_legacy_name_gets_the_legacy_outlier_method():
    parsed = parse_run_name("CATBOOST__SAITS", REGISTRY)
    assert parsed.outlier_method == "anomaly" and parsed.featurization == "simple1.0"
    assert parsed.legacy


@pytest.mark.parametrize("name, message", [
    ("RANDOMFOREST_eval-auc__simple1.0__SAITS__LOF", "unknown classifier 'RANDOMFOREST'"),
    ("CATBOOST_eval-auc__simple1.0__SAITS__NewDetector", "unknown outlier_method level"),
    ("CATBOOST_eval-auc__simple1.0__SAITS", "3 '__'-separated fields"),
])
def test_unknown_levels_name_the_run_and_the_level(name, message):
    with pytest.raises(UnknownFactorLevelError, match=message) as err:
        parse_run_name(name, REGISTRY)
    assert name in str(err.value)


def test_every_run_gets_one_outcome_with_a_reason():
    runs = [
        run("a", GT, end=1),
        run("b", GT, end=5),  # the same configuration, finished later: kept
        run("c", "CATBOOST__SAITS"),
        run("d", "CATBOOST_eval-auc__simple1.0__linear__LOF"),
        run("e", "XGBOOST_eval-auc__simple1.0__SAITS__LOF", status="FAILED"),
        run("f", "XGBOOST_eval-auc__simple1.0__CSDI__LOF", stage="deleted"),
        run("g", "XGBOOST_eval-auc__simple1.0__CSDI__Mystery"),
        run("h", "TABM_eval-auc__simple1.0__CSDI__LOF", status="RUNNING"),
    ]
    decided = {d.run.run_id: d for d in decide_runs(runs, REGISTRY)}
    assert [decided[r].outcome for r in "abcdefgh"] == [
        SKIPPED, EXTRACT, SKIPPED, SKIPPED, SKIPPED, SKIPPED, FAILED, SKIPPED]
    assert "kept run b" in decided["a"].reason
    assert "legacy" in decided["c"].reason and "outlier_method=anomaly" in decided["c"].reason
    assert "imputation_method=linear" in decided["d"].reason
    assert decided["e"].reason == "run status is FAILED"
    assert decided["f"].reason == "deleted run"
    assert "Mystery" in decided["g"].reason
    assert decided["h"].reason == "run status is RUNNING"


def test_duplicate_runs_say_which_run_each_rule_keeps():
    """The database keeps the later-finished run; the study's rule the highest logged AUROC
    (a tie: the later run; no logged AUROC at all: no run). Configurations run once, and runs
    not FINISHED, are no duplicates."""
    lof = "XGBOOST_eval-auc__simple1.0__SAITS__LOF"
    tie = "TABM_eval-auc__simple1.0__CSDI__LOF"
    unrated = "TABPFN_eval-auc__simple1.0__CSDI__LOF"
    runs = [run("a1", GT, end=1, auroc=0.91), run("a2", GT, end=3, auroc=0.89),
            run("a3", GT, end=2, auroc=0.90), run("a4", GT, status="FAILED", auroc=0.99),
            run("b1", lof, end=1, auroc=0.85), run("b2", lof, end=2, auroc=0.86),
            run("c1", tie, end=1, auroc=0.80), run("c2", tie, end=2, auroc=0.80),
            run("d1", unrated, end=1), run("d2", unrated, end=2),
            run("e1", "CATBOOST_eval-auc__simple1.0__CSDI__LOF", auroc=0.7)]
    rows = {d.run.run_id: d for d in duplicate_runs(decide_runs(runs, REGISTRY))}
    assert sorted(rows) == ["a1", "a2", "a3", "b1", "b2", "c1", "c2", "d1", "d2"]
    assert {r: rows[r].kept_run_id for r in rows} == {
        "a1": "a2", "a2": "a2", "a3": "a2", "b1": "b2", "b2": "b2", "c1": "c2", "c2": "c2",
        "d1": "d2", "d2": "d2"}
    assert sorted(r for r in rows if rows[r].kept_highest_auroc) == ["a1", "b2", "c2"]
    assert rows["a1"].configuration == ("pupil-gt", "pupil-gt", "CatBoost", "simple1.0")


DEEP_LEARNING = "CATBOOST_eval-auc__simple1.0__TimesNet__TimesNet-orig"


def test_a_standard_pipeline_with_an_invalid_level_is_extracted_as_standard_pipeline_only():
    """TimesNet-orig is invalid for the factor comparisons, but the deep-learning standard
    pipeline names it: its run is extracted, marked; the same level elsewhere stays skipped."""
    from plr_luigi.study.configs import standard_pipeline_configurations

    pipelines = standard_pipeline_configurations()
    assert pipelines["deep_learning"] == ("TimesNet-orig", "TimesNet", "CatBoost", "simple1.0")
    runs = [run("a", DEEP_LEARNING, end=1), run("b", DEEP_LEARNING, end=2),
            run("c", "XGBOOST_eval-auc__simple1.0__TimesNet__TimesNet-orig"),
            run("d", GT)]
    decided = {d.run.run_id: d for d in decide_runs(runs, REGISTRY, pipelines)}
    assert [decided[r].outcome for r in "abcd"] == [SKIPPED, EXTRACT, SKIPPED, EXTRACT]
    assert decided["b"].standard_pipeline_only
    assert "standard pipeline deep_learning only" in decided["b"].reason
    assert "outlier_method=TimesNet-orig" in decided["b"].reason
    assert "kept run b" in decided["a"].reason
    assert "not valid for the manuscript" in decided["c"].reason
    assert not decided["d"].standard_pipeline_only and decided["d"].reason == ""
    # without the standard pipelines the same run is skipped as before
    alone = {d.run.run_id: d for d in decide_runs(runs, REGISTRY)}
    assert alone["b"].outcome == SKIPPED and not alone["b"].standard_pipeline_only


def test_a_run_becoming_or_ceasing_to_be_a_standard_pipeline_changes_its_fingerprint(
        monkeypatch):
    """Its extraction keeps sampled bootstrap predictions that no other run's does, so an edit
    of configs/pipelines.yaml re-extracts that run, and only that run."""
    from plr_luigi.store.run_decisions import run_fingerprint
    from plr_luigi.study import pipelines
    from plr_luigi.study.configs import load_standard_pipelines

    gt, other = run("a", GT), run("b", "CATBOOST_eval-auc__simple1.0__CSDI__LOF")
    assert pipelines.standard_pipeline_of_run(GT) == "ground_truth"
    assert pipelines.standard_pipeline_of_run(other.run_name) is None
    before = run_fingerprint(gt), run_fingerprint(other)
    fewer = {n: s for n, s in load_standard_pipelines().items() if n != "ground_truth"}
    monkeypatch.setattr(pipelines, "load_standard_pipelines", lambda: fewer)
    assert pipelines.standard_pipeline_of_run(GT) is None
    assert run_fingerprint(gt) != before[0] and run_fingerprint(other) == before[1]
