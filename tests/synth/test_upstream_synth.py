"""The synthetic PLR_OutlierDetection and PLR_Imputation experiments, read back through MLflow."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from urllib.parse import unquote, urlparse

import numpy as np
import pytest
from support.stores import SMALL_STORE

from plr_luigi.study.subject_codes import ORIGINAL_CODE
from plr_luigi.study.upstream_names import (
    UnparsableRunNameError,
    parse_imputation_run_name,
    parse_outlier_run_name,
)
from plr_luigi.synth import SIZES
from plr_luigi.synth.upstream_design import (
    IMPUTATION_EXPERIMENT,
    OUTLIER_EXPERIMENT,
    imputation_runs,
    outlier_runs,
)

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")

# The module-scoped fixture is made once: the module's tests on one pytest-xdist worker.
pytestmark = pytest.mark.xdist_group("upstream_synth")


def _artifact(run, path: str):
    root = Path(unquote(urlparse(run.info.artifact_uri).path))
    with open(root / path, "rb") as fh:
        return pickle.load(fh)


@pytest.fixture(scope="module")
def upstream(small_store):
    from mlflow.entities import ViewType
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=small_store.tracking_uri)
    found = {}
    for name in (OUTLIER_EXPERIMENT, IMPUTATION_EXPERIMENT):
        experiment = client.get_experiment_by_name(name)
        found[name] = client.search_runs([experiment.experiment_id], run_view_type=ViewType.ALL,
                                         max_results=1000)
    return found


@pytest.mark.parametrize("size", ["demo", "paper"])
def test_the_parser_agrees_with_the_design_on_every_name(size):
    for run in outlier_runs(size):
        if run.quirk == "unparsable":
            with pytest.raises(UnparsableRunNameError, match=run.name):
                parse_outlier_run_name(run.name)
        else:
            assert parse_outlier_run_name(run.name).outlier_method == run.outlier_method
    for run in imputation_runs(size):
        if run.quirk == "unparsable":
            with pytest.raises(UnparsableRunNameError, match=run.name):
                parse_imputation_run_name(run.name)
        else:
            parsed = parse_imputation_run_name(run.name)
            assert (parsed.imputation_method, parsed.outlier_method) == (
                run.imputation_method, run.outlier_method)


def test_paper_counts_match_the_study():
    assert len(outlier_runs("paper")) == 31
    finished = [r for r in imputation_runs("paper") if r.quirk not in ("failed", "deleted",
                                                                        "unparsable")]
    assert len(finished) == 136
    assert sum(r.imputation_method.startswith("MOMENT") for r in finished) == 90


def test_outlier_runs_metrics_and_pickle(upstream):
    runs = upstream[OUTLIER_EXPERIMENT]
    assert {r.info.status for r in runs} == {"FINISHED", "FAILED"}
    assert any(r.info.lifecycle_stage == "deleted" for r in runs)
    (lof, *_) = [r for r in runs if r.info.run_name == "LOF" and r.data.metrics]
    metrics = lof.data.metrics
    for split in ("train", "test", "outlier_train", "outlier_test"):
        for metric in ("accuracy", "precision", "recall", "f1", "fp"):
            key = f"{split}/{metric}"
            assert metrics[f"{key}_CI_lo"] <= metrics[key] <= metrics[f"{key}_CI_hi"] or \
                metric == "fp"
    # each stratum scored on its own artefacts (false positives count in both)
    easy, medium = metrics["outlier_test/f1__easy"], metrics["outlier_test/f1__medium"]
    assert 0 < easy < 1 and 0 < medium < 1 and easy != medium
    blocks = _artifact(lof, "outlier_detection/outlierDetection_LOF.pickle")
    assert set(blocks) == {"train", "test", "outlier_train", "outlier_test"}
    arrays = blocks["outlier_test"]["arrays"]
    n_test = arrays["trues"].shape[0]
    assert arrays["pred_mask"].shape == (n_test, 1981) and arrays["pred_mask"].dtype == np.int64
    assert arrays["trues"].dtype == bool
    assert len(blocks["test"]["scalars"]["subjectwise"]["f1"]) == n_test


def test_imputation_pickle_layout_and_original_codes(upstream, small_store):
    runs = {r.info.run_name: r for r in upstream[IMPUTATION_EXPERIMENT]}
    run = runs["SAITS_dFfn128_nLayers2__LOF_impPLR_v0.1"]
    for key in ("model", "num_params", "Outlier_run_id", "OutlierBest_f1", "sys/hostname"):
        assert key in run.data.params
    assert {f"{s}/{m}{x}" for s in ("train", "test") for m in ("mae", "mse", "mre",
            "missing_rate") for x in ("", "_CI_lo", "_CI_hi")} <= set(run.data.metrics)
    data = _artifact(run, "imputation/imputation_SAITS.pickle")
    assert set(data) == {"source_data", "model_artifacts"}
    n_total = 0
    for split in ("train", "test"):
        block = data["model_artifacts"]["imputation"][split]["imputation_dict"]
        mean = block["imputation"]["mean"]
        assert mean.ndim == 3 and mean.shape[1:] == (1981, 1)
        assert block["imputation"]["imputation_ci_neg"] is None
        assert block["indicating_mask"].shape == mean.shape
        df = data["source_data"]["df"][split]
        assert set(df) == {"time", "data", "labels", "light", "metadata"}
        assert set(df["data"]) == {"X", "X_GT", "mask", "CI_pos", "CI_neg"}
        codes = df["metadata"]["subject_code"]
        assert codes.shape == (mean.shape[0], 1981) and (codes == codes[:, :1]).all()
        assert all(ORIGINAL_CODE.fullmatch(c) for c in codes[:, 0])
        # imputed samples: MAE logged is the MAE of these arrays
        mask = block["indicating_mask"][:, :, 0]
        mae = np.abs(mean[:, :, 0] - df["data"]["X_GT"])[mask].mean()
        assert run.data.metrics[f"{split}/mae"] == pytest.approx(mae, rel=1e-6)
        n_total += mean.shape[0]
    assert n_total == SIZES[SMALL_STORE["size"]].n_subjects
    ensemble = next(r for name, r in runs.items() if name.startswith("ensemble-"))
    results = _artifact(ensemble, f"imputation/ensemble_{ensemble.info.run_name}_results.pickle")
    assert "source_data" not in results and results["imputation"]["test"]["mean"].ndim == 2


def test_classification_runs_carry_upstream_quality(small_store):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=small_store.tracking_uri)
    experiment = client.get_experiment_by_name(small_store.experiment_name)
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    with_links = [r for r in runs if "mlflow_run_imputation" in r.data.params]
    assert with_links
    for run in with_links:
        imputation = client.get_run(run.data.params["mlflow_run_imputation"])
        assert float(run.data.params["Imputation_mae"]) == pytest.approx(
            imputation.data.metrics["test/mae"], rel=1e-5)
