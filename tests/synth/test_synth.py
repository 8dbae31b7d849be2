"""The synthetic store, read back through the MLflow API as extraction would read it."""

from __future__ import annotations

import ast
import io
import os
import pickle
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from support import templates

from plr_luigi.synth import SIZES, generate_store
from plr_luigi.synth.design import build_run_list
from plr_luigi.synth.registry import load_levels

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
# One worker: its tests share the module's store (pytest-xdist would make it once per worker).
pytestmark = pytest.mark.xdist_group("synth_store")

N_RUNS, N_BOOT = 13, 50
SPLITS = ("train", "val", "test")
METRICS = ("AUROC", "AUPR", "F1", "sensitivity", "specificity", "PPV", "NPV", "accuracy", "Brier",
           "ECE")
GROUND_TRUTH = "CATBOOST_eval-auc__simple1.0__pupil-gt__pupil-gt"
BEST = ("CATBOOST_eval-auc__simple1.0__CSDI__"
        "ensemble-LOF-MOMENT-OneClassSVM-PROPHET-SubPCA-TimesNet-UniTS-gt-finetune")


def _generate(path: Path, **kw):
    return generate_store(path, size="demo", seed=42, n_runs=N_RUNS, n_bootstrap=N_BOOT,
                          model_pickle_bytes=20_000, **kw)


def _all_runs(client, experiment_name: str) -> list:
    from mlflow.entities import ViewType

    experiment = client.get_experiment_by_name(experiment_name)
    return client.search_runs([experiment.experiment_id], run_view_type=ViewType.ALL,
                              max_results=50_000)


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    return _generate(tmp_path_factory.mktemp("store"))


@pytest.fixture(scope="module")
def client(summary):
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=summary.tracking_uri)


@pytest.fixture(scope="module")
def runs(summary, client):
    return _all_runs(client, summary.experiment_name)


def _by_name(runs, name):
    return [r for r in runs if r.info.run_name == name]


class _RestrictedUnpickler(pickle.Unpickler):
    """Only numpy's reconstruction helpers may be looked up: everything else is plain data."""

    def find_class(self, module, name):
        if module.split(".")[0] != "numpy":
            raise pickle.UnpicklingError(f"forbidden global {module}.{name}")
        return super().find_class(module, name)


def _artifact_bytes(run, path) -> bytes:
    import mlflow

    local = mlflow.artifacts.download_artifacts(artifact_uri=f"{run.info.artifact_uri}/{path}")
    return Path(local).read_bytes()


def _load_artifact(run, path):
    return _RestrictedUnpickler(io.BytesIO(_artifact_bytes(run, path))).load()


def _load_models(run, path):
    import mlflow

    from plr_luigi.store.safe_pickle import load_model_pickle
    from plr_luigi.study.configs import load_model_config

    local = mlflow.artifacts.download_artifacts(artifact_uri=f"{run.info.artifact_uri}/{path}")
    return load_model_pickle(Path(local), load_model_config()["study_ensemble_class"])


def test_run_count_names_and_quirks(summary, runs):
    assert len(runs) == summary.n_runs_logged == N_RUNS
    names = [r.info.run_name for r in runs]
    assert GROUND_TRUTH in names and BEST in names
    quirks = summary.quirks
    assert all(quirks[k] for k in ("invalid_level", "duplicate", "legacy_name", "failed",
                                   "deleted"))
    (failed,) = _by_name(runs, quirks["failed"][0])
    assert failed.info.status == "FAILED"
    (deleted,) = _by_name(runs, quirks["deleted"][0])
    assert deleted.info.lifecycle_stage == "deleted"
    copies = sorted(_by_name(runs, quirks["duplicate"][0]), key=lambda r: r.info.start_time)
    assert len(copies) == 2
    # the rerun did worse: the study's rule (highest AUROC) and ours (the later run) disagree
    assert copies[0].data.metrics["test/AUROC"] > copies[1].data.metrics["test/AUROC"]
    assert copies[0].info.end_time < copies[1].info.end_time
    assert quirks["legacy_name"] == ["CATBOOST__SAITS"] and _by_name(runs, "CATBOOST__SAITS")
    levels = {part for name in quirks["invalid_level"] for part in name.split("__")[-2:]}
    assert {"exclude", "MOMENT-orig-finetune", "linear"} <= levels
    # the deep-learning standard pipeline: a run with the invalid level TimesNet-orig
    assert "CATBOOST_eval-auc__simple1.0__TimesNet__TimesNet-orig" in names
    # 13 runs - 3 invalid - the deep-learning pipeline's - legacy - failed - deleted - the
    # duplicate's second copy
    assert summary.n_valid_configurations == 5
    assert summary.n_extracted_runs == 6  # and the deep-learning pipeline's run
    assert all(r.data.tags.get("plr.synthetic") == "true" for r in runs)


def test_logistic_regression_runs_carry_the_real_stores_mixed_case_token():
    from plr_luigi.synth.design import run_name
    from plr_luigi.synth.registry import load_levels

    levels = load_levels()
    assert run_name(levels, ("LOF", "SAITS", "LogisticRegression", "simple1.0")) == \
        "LogisticRegression_eval-roc_auc__simple1.0__SAITS__LOF"
    assert run_name(levels, ("LOF", "SAITS", "CatBoost", "simple1.0")).startswith("CATBOOST_")


def test_params_metrics_and_upstream_runs(client, runs):
    (run,) = _by_name(runs, GROUND_TRUTH)
    params = run.data.params
    for key in ("model_name", "featurization_method", "glaucomaParam_prevalence", "bootstrap_time",
                "training_time", "codes_train", "codes_test"):
        assert key in params
    assert params["model_name"] == "CatBoost" and params["glaucomaParam_prevalence"] == "0.0354"
    assert any(k.startswith("hparam_") for k in params)
    assert len(ast.literal_eval(params["codes_train"])) == 145
    assert len(ast.literal_eval(params["codes_test"])) == 63
    expected = {f"{s}/{m}{suffix}" for s in SPLITS for m in METRICS
                for suffix in ("", "_CI_lo", "_CI_hi")}
    assert set(run.data.metrics) == expected
    # ground truth has no upstream run; its quality params are the perfect ones
    assert (params["Outlier_f1"], params["Imputation_mae"]) == ("1.0", "0.0")
    (best,) = _by_name(runs, BEST)
    outlier = client.get_run(best.data.params["mlflow_run_outlier_detection"])
    assert client.get_experiment(outlier.info.experiment_id).name == "PLR_OutlierDetection"
    assert outlier.info.run_name == BEST.rsplit("__", 1)[1]
    assert float(best.data.params["Outlier_f1"]) == pytest.approx(
        outlier.data.metrics["outlier_test/f1"], rel=1e-5)


def test_metrics_pickle_shapes_and_consistency(runs):
    from sklearn.metrics import brier_score_loss, roc_auc_score

    (run,) = _by_name(runs, GROUND_TRUTH)
    m = _load_artifact(run, f"metrics/metrics_{GROUND_TRUTH}.pickle")
    assert set(m) == {"metrics_iter", "metrics_stats", "subjectwise_stats"}
    n_split = {"train": 145, "val": 145, "test": 63}
    for split in SPLITS:
        metrics = m["metrics_iter"][split]["metrics"]
        assert set(metrics["scalars"]) == set(METRICS)
        assert all(v.shape == (N_BOOT,) for v in metrics["scalars"].values())
        assert all(v.shape == (200, N_BOOT) for v in metrics["arrays"]["AUROC"].values())
        calibration = metrics["arrays"]["calibration_curve"]
        assert all(v.shape == (10, N_BOOT) for v in calibration.values())
        preds = m["metrics_iter"][split]["preds"]["arrays"]["predictions"]
        for key in ("y_pred_proba", "y_pred", "label"):
            assert preds[key].shape == (n_split[split], N_BOOT)
        subjectwise = m["subjectwise_stats"][split]
        assert subjectwise["preds"]["y_pred_proba"]["mean"].shape == (n_split[split],)
        assert subjectwise["subject_code"].shape == subjectwise["labels"].shape == (n_split[split],)
        proba, labels = preds["y_pred_proba"], subjectwise["labels"]
        for b in range(0, N_BOOT, 7):
            keep = ~np.isnan(proba[:, b])
            auroc = roc_auc_score(labels[keep], proba[keep, b])
            assert metrics["scalars"]["AUROC"][b] == pytest.approx(auroc)
            brier = brier_score_loss(labels[keep], proba[keep, b])
            assert metrics["scalars"]["Brier"][b] == pytest.approx(brier)
        np.testing.assert_allclose(subjectwise["preds"]["y_pred_proba"]["mean"],
                                   np.nanmean(proba, axis=1))
        stats = m["metrics_stats"][split]["metrics"]["scalars"]["AUROC"]
        assert stats["n"] == N_BOOT
        assert run.data.metrics[f"{split}/AUROC"] == pytest.approx(stats["mean"])
        assert run.data.metrics[f"{split}/AUROC_CI_lo"] == pytest.approx(stats["ci"][0])
    val = m["metrics_iter"]["val"]["preds"]["arrays"]["predictions"]["y_pred_proba"]
    assert np.isnan(val).any()
    test = m["subjectwise_stats"]["test"]
    assert int(test["labels"].sum()) == 17
    assert list(test["subject_code"]) == ast.literal_eval(run.data.params["codes_test"])


def test_dict_arrays_and_model_pickles(runs):
    (run,) = _by_name(runs, GROUND_TRUTH)
    arrays = _load_artifact(run, f"dict_arrays/dictArrays_{GROUND_TRUTH}.pickle")
    assert arrays["x_train"].shape == (145, 8) and arrays["x_test"].shape == (63, 8)
    assert len(arrays["feature_names"]) == 8 and arrays["y_test"].shape == (63,)
    assert list(arrays["subject_codes_test"]) == ast.literal_eval(run.data.params["codes_test"])

    models = _load_models(run, f"model/model_{GROUND_TRUTH}.pickle")
    assert len(models) == N_BOOT
    assert [type(m).__name__ for m in models[0].ensemble] == ["CatBoostClassifier"] * 2
    # each bootstrap model learnt from its own in-bag sample: their predictions differ
    x_test = arrays["x_test"]
    first, second = (models[b].ensemble[0].predict_proba(x_test)[:, 1] for b in (0, 1))
    assert not np.allclose(first, second)


def test_model_pickles_name_the_study_class_and_other_classifiers_keep_stand_ins(runs):
    import pickletools

    from plr_luigi.study.configs import load_model_config

    (run,) = _by_name(runs, GROUND_TRUTH)
    raw = _artifact_bytes(run, f"model/model_{GROUND_TRUTH}.pickle")
    strings = {str(arg) for _, arg, _ in pickletools.genops(raw) if isinstance(arg, str)}
    module, _, name = load_model_config()["study_ensemble_class"].rpartition(".")
    assert {module, name, "catboost.core", "CatBoostClassifier"} <= strings
    other = next(r for r in runs if r.data.params.get("model_name") == "XGBoost"
                 and r.info.status == "FINISHED" and r.info.lifecycle_stage == "active")
    stand_in = _load_artifact(other, f"model/model_{other.info.run_name}.pickle")
    assert len(stand_in) == N_BOOT and set(stand_in[0]) == {"iteration", "weights"}


def test_quirk_artifacts(summary, client, runs):
    (legacy,) = _by_name(runs, "CATBOOST__SAITS")
    files = {Path(f.path).name for f in client.list_artifacts(legacy.info.run_id, "metrics")}
    assert "metrics_CATBOOST__SAITS.pickle" in files
    (failed,) = _by_name(runs, summary.quirks["failed"][0])
    assert not client.list_artifacts(failed.info.run_id, "metrics")
    assert not failed.data.metrics
    (deleted,) = _by_name(runs, summary.quirks["deleted"][0])
    assert client.list_artifacts(deleted.info.run_id, "metrics")


def test_factor_effects(runs):
    (gt,) = _by_name(runs, GROUND_TRUTH)
    assert gt.data.metrics["test/AUROC"] == pytest.approx(0.911, abs=0.03)
    finished = [r for r in runs if r.info.status == "FINISHED"]
    best = max(finished, key=lambda r: r.data.metrics["test/AUROC"])
    assert best.data.metrics["test/AUROC"] < 0.93
    width = gt.data.metrics["test/AUROC_CI_hi"] - gt.data.metrics["test/AUROC_CI_lo"]
    assert 0.003 < width < 0.05


def test_source_database(summary, runs):
    (run,) = _by_name(runs, GROUND_TRUTH)
    with sqlite3.connect(summary.source_db) as con:
        per_subject = con.execute(
            "SELECT subject_code, class_label, split, COUNT(*) FROM pupil_data "
            "GROUP BY subject_code, class_label, split").fetchall()
        null_raw, outliers = con.execute(
            "SELECT SUM(pupil_raw IS NULL), SUM(outlier_mask) FROM pupil_data").fetchone()
    assert len(per_subject) == SIZES["demo"].n_subjects
    assert all(n == 1981 for *_, n in per_subject)
    labels = [c for _, c, _, _ in per_subject if c is not None]
    assert (len(labels), labels.count("control"), labels.count("glaucoma")) == (208, 152, 56)
    test_codes = {code for code, _, split, _ in per_subject if split == "test"}
    train_codes = {code for code, _, split, _ in per_subject if split == "train"}
    assert test_codes == set(ast.literal_eval(run.data.params["codes_test"]))
    assert train_codes == set(ast.literal_eval(run.data.params["codes_train"]))
    assert null_raw == outliers > 0


def test_source_database_ages_are_the_data_cards_by_class(summary):
    """One age per subject, repeated on its samples; class means near the study's data card
    (58.3 control, 67.2 glaucoma; 152 / 56 subjects drawn with an SD of 9 years)."""
    with sqlite3.connect(summary.source_db) as con:
        ages = con.execute("SELECT class_label, count(DISTINCT age), min(age), avg(age) FROM "
                           "(SELECT subject_code, class_label, age FROM pupil_data) "
                           "GROUP BY class_label ORDER BY class_label NULLS LAST").fetchall()
        per_subject = con.execute("SELECT count(DISTINCT age) FROM pupil_data "
                                  "GROUP BY subject_code ORDER BY 1 DESC LIMIT 1").fetchone()
    assert per_subject == (1,)
    (control, n_control, low, mean_control), (glaucoma, _, _, mean_glaucoma) = ages[:2]
    assert (control, glaucoma) == ("control", "glaucoma") and n_control > 50 and low >= 30
    assert mean_control == pytest.approx(58.3, abs=3.0)
    assert mean_glaucoma == pytest.approx(67.2, abs=4.0)


def test_same_seed_same_values(runs, tmp_path):
    from mlflow.tracking import MlflowClient

    again = _generate(tmp_path / "again")
    runs_again = _all_runs(MlflowClient(tracking_uri=again.tracking_uri), again.experiment_name)

    def values(rs):
        out: dict[str, list] = {}
        for r in sorted(rs, key=lambda r: r.info.start_time):
            entry = (r.data.metrics, r.data.params["codes_test"])
            out.setdefault(r.info.run_name, []).append(entry)
        return out

    assert values(runs_again) == values(runs)


@pytest.mark.slow
def test_runs_generated_onto_a_copy_of_upstream_experiments_are_those_of_the_whole_store(
        summary, client, runs, tmp_path):
    """What tests generating many stores do (support.store_shapes.store_of_runs): the upstream
    experiments generated once, copied, and classification runs added to each copy."""
    from mlflow.tracking import MlflowClient
    from support.stores import copy_store

    upstream = generate_store(tmp_path / "upstream", size="demo", seed=42, runs=[])
    copy_store(upstream, tmp_path / "onto")
    picked = build_run_list(load_levels(), N_RUNS, seed=42)[:5]  # the standard pipelines
    onto = _generate(tmp_path / "onto", runs=picked, onto_upstream=True)
    onto_client = MlflowClient(tracking_uri=onto.tracking_uri)
    onto_runs = _all_runs(onto_client, onto.experiment_name)
    assert sorted(r.info.run_name for r in onto_runs) == sorted(r.name for r in picked)
    assert onto.upstream_runs == summary.upstream_runs
    for run in onto_runs:
        (whole,) = _by_name(runs, run.info.run_name)
        assert run.data.metrics == whole.data.metrics
        links = {k for k in run.data.params if k.startswith("mlflow_run_")}
        assert {k: v for k, v in run.data.params.items() if k not in links} == \
            {k: v for k, v in whole.data.params.items() if k not in links}, run.info.run_name
        # each link names the copy's run of the same upstream run
        assert links == {k for k in whole.data.params if k.startswith("mlflow_run_")}
        for key in links:
            assert onto_client.get_run(run.data.params[key]).info.run_name == \
                client.get_run(whole.data.params[key]).info.run_name
    with pytest.raises(ValueError, match="already holds runs"):
        _generate(tmp_path / "onto", runs=picked, onto_upstream=True)
    with pytest.raises(ValueError, match="seed 42, not size 'demo', seed 43"):
        generate_store(tmp_path / "onto", seed=43, runs=picked, onto_upstream=True)


def test_run_list_sizes():
    levels = load_levels()
    for n in (13, 50, 200, 410, 800):
        runs = build_run_list(levels, n, seed=1)
        assert len(runs) == n
        names = [r.name for r in runs if r.quirk != "duplicate"]
        assert len(names) == len(set(names))
    with pytest.raises(ValueError, match="mandatory"):
        build_run_list(levels, 5, seed=1)
    with pytest.raises(ValueError, match="exceeds"):
        build_run_list(levels, 5000, seed=1)


def test_the_demo_store_holds_three_complete_critical_difference_blocks_per_factor():
    """S3 ranks outlier methods within imputation methods and vice versa: the demo design's
    CatBoost + handcrafted cells give every level three complete blocks, and the tests' small
    store (44 runs) three blocks of the standard pipelines' levels; both hold three
    preprocessing pipelines run with every classifier (the extended classifier diagram)."""
    from plr_luigi.synth.design import (
        CD_GRID_BLOCKS,
        CD_GRID_FIRST_OUTLIERS,
        CLASSIFIER_BLOCKS,
        ENSEMBLE_OUTLIER,
    )
    from plr_luigi.synth.sizes import SIZES

    levels = load_levels()
    for n_runs, outliers in ((SIZES["demo"].n_runs_target, levels.outlier_valid),
                             (44, CD_GRID_FIRST_OUTLIERS)):
        runs = [r for r in build_run_list(levels, n_runs, seed=1)
                if r.featurization == "simple1.0" and r.status == "FINISHED" and not r.deleted]
        cells = {(r.outlier, r.imputation) for r in runs if r.classifier == "CatBoost"}
        for imputation in CD_GRID_BLOCKS["imputation_method"]:
            assert {(o, imputation) for o in outliers} <= cells, (n_runs, imputation)
        with_classifier = {(r.outlier, r.imputation, r.classifier) for r in runs}
        for outlier, imputation in (*CLASSIFIER_BLOCKS, (ENSEMBLE_OUTLIER, "CSDI")):
            assert {(outlier, imputation, c) for c in levels.classifiers.values()} <= \
                with_classifier, (n_runs, outlier, imputation)
    cells = {(r.outlier, r.imputation) for r in build_run_list(
        levels, SIZES["demo"].n_runs_target, seed=1) if r.classifier == "CatBoost"}
    for outlier in CD_GRID_BLOCKS["outlier_method"]:
        assert {(outlier, i) for i in levels.imputation_valid} <= cells, outlier


def test_existing_store_is_refused(summary):
    with pytest.raises(ValueError, match="already exists"):
        generate_store(summary.source_db.parent, n_runs=N_RUNS, n_bootstrap=N_BOOT,
                       model_pickle_bytes=1000)


@pytest.mark.slow
def test_sqlite_tracking_uri(shared_dir):
    from mlflow.tracking import MlflowClient

    # the small store generated into SQLite once per test run (the backends' tests read it)
    summary = templates.sqlite_small_store_build(shared_dir)["store"]
    client = MlflowClient(tracking_uri=summary.tracking_uri)
    experiment = client.get_experiment_by_name("PLR_Classification")
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    deleted = summary.quirks["deleted"]
    assert deleted  # hidden from the default view
    assert len(runs) == summary.n_runs_logged - len(deleted)
    assert str(summary.source_db.parent) in runs[0].info.artifact_uri
