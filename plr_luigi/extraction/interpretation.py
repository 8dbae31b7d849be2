"""SHAP importance and VIF of one explained configuration, from its run's pickles.

The run's dict_arrays pickle (x_train, x_test, feature names) is read with the data-only
unpickler, its model pickle with the model allow-list (store.safe_pickle.load_model_pickle:
CatBoost models and an inert stand-in for the study's ensemble class; the study's code is never
imported). A model pickle that names anything else, is unreadable or missing marks this
configuration's SHAP failed with the reason; its VIF (from x_train alone) is still computed.

Per bootstrap model, exact TreeSHAP by CatBoost's own implementation
(`get_feature_importance(type="ShapValues")`, log-odds units) on the run's x_test: of member 0,
as the study does, and of the ensemble's mean raw score (the mean of both members' SHAP
values, schema.MEMBER_RULES). Per feature, each model's mean |SHAP| over the test subjects;
then their mean and 2.5 / 97.5 percentiles over the bootstrap models. Only the run's one model
pickle is in memory at a time; no per-subject value is kept.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from plr_luigi.monitoring.task_guard import process_rss_mb
from plr_luigi.store.mlflow_store import MissingArtifactError, RunSummary, local_artifact
from plr_luigi.store.safe_pickle import (
    CorruptPickleError,
    StudyEnsembleState,
    UnsafePickleError,
    load_model_pickle,
    load_pickle,
)
from plr_luigi.study import schema

logger = logging.getLogger(__name__)

EXPLAINED = "explained"
FAILED = "failed"
INTERVAL_PERCENTILES = (2.5, 97.5)
S = schema.SHAP_IMPORTANCE
V = schema.VIF


class ModelShapeError(ValueError):
    """The model pickle loaded but is not a list of the study's two-member ensembles."""


@dataclass(frozen=True)
class Interpretation:
    shap: pd.DataFrame  # schema.SHAP_IMPORTANCE rows; empty when SHAP failed
    vif: pd.DataFrame  # schema.VIF rows
    outcome: str  # EXPLAINED or FAILED
    reason: str | None
    n_models: int
    seconds: float
    peak_rss_mb: float


def dict_arrays_artifact_path(run_name: str) -> str:
    return f"dict_arrays/dictArrays_{run_name}.pickle"


def model_artifact_path(run_name: str) -> str:
    return f"model/model_{run_name}.pickle"


def member_shap(model, test_pool) -> np.ndarray:
    """(n_subjects, n_features) exact TreeSHAP values of one CatBoost model on test_pool (a
    catboost.Pool of the test subjects), in log-odds."""
    # CatBoost's own threads (every core): one thread costs 10-20 % less CPU but makes a
    # 1-worker build's SHAP up to 1.5x slower (BENCHMARKS.md §8).
    values = model.get_feature_importance(test_pool, type="ShapValues")
    return values[:, :-1]  # the last column is the expected value


def ensemble_members(obj, index: int) -> list:
    """The CatBoost members of bootstrap model `index`; ModelShapeError if it is not one of
    the study's ensembles holding CatBoost models."""
    from catboost import CatBoostClassifier

    if not isinstance(obj, StudyEnsembleState):
        raise ModelShapeError(f"bootstrap model {index} is a {type(obj).__name__}, not the "
                              "study's ensemble")
    members = obj.ensemble
    if not members or not all(isinstance(m, CatBoostClassifier) for m in members):
        raise ModelShapeError(f"bootstrap model {index} does not hold a list of CatBoost models")
    return members


def mean_abs_shap_per_model(models: list, x_test: np.ndarray,
                            on_model: Callable[[int], None] = lambda b: None
                            ) -> dict[str, np.ndarray]:
    """Member rule -> (n_models, n_features): each bootstrap model's mean |SHAP| over the
    test subjects."""
    from catboost import Pool

    if not isinstance(models, list) or not models:
        raise ModelShapeError("the model pickle is not a non-empty list of bootstrap models")
    # One Pool for every model: each reads the same rows, and building a Pool per call was a
    # third of the SHAP time of a small test set (the values are the same).
    test_pool = Pool(x_test)
    rows: dict[str, list[np.ndarray]] = {rule: [] for rule in schema.MEMBER_RULES}
    for b, model in enumerate(models):
        values = [member_shap(m, test_pool) for m in ensemble_members(model, b)]
        rows["member0"].append(np.abs(values[0]).mean(axis=0))
        rows["ensemble_mean"].append(np.abs(np.mean(values, axis=0)).mean(axis=0))
        on_model(b)
    return {rule: np.vstack(r) for rule, r in rows.items()}


def summarise_importance(config_id: str, per_model: dict[str, np.ndarray],
                         feature_names: list[str]) -> pd.DataFrame:
    """schema.SHAP_IMPORTANCE rows: per member rule and feature, the mean over the bootstrap
    models and the percentile interval."""
    frames = []
    for rule, values in per_model.items():
        lo, hi = np.percentile(values, INTERVAL_PERCENTILES, axis=0)
        frames.append(pd.DataFrame({
            S.config_id: config_id, S.feature: feature_names, S.member_rule: rule,
            S.mean_abs_shap: values.mean(axis=0), S.ci_lo: lo, S.ci_hi: hi,
            S.n_models: len(values)}))
    return pd.concat(frames, ignore_index=True)[S.column_names]


def variance_inflation(config_id: str, x_train: np.ndarray,
                       feature_names: list[str]) -> pd.DataFrame:
    """schema.VIF rows: each feature's variance inflation factor in x_train, with an intercept
    in the design (statsmodels' function assumes one is there)."""
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    design = np.column_stack([np.ones(len(x_train)), x_train])
    return pd.DataFrame({V.config_id: config_id, V.feature: feature_names,
                         V.vif: [float(variance_inflation_factor(design, i + 1))
                                 for i in range(len(feature_names))]})


def interpret_run(run: RunSummary, study_ensemble_class: str, scratch_dir: Path,
                  progress: Callable[[str, int], None] = lambda stage, percent: None
                  ) -> Interpretation:
    """VIF and SHAP importance of one run. Raises only for a defect or an unreadable
    dict_arrays pickle; a model pickle that cannot be used gives outcome FAILED with the
    reason."""
    started = time.perf_counter()
    peak = process_rss_mb()

    def failed(reason: str, vif: pd.DataFrame) -> Interpretation:
        logger.warning("SHAP of %s (%s) failed: %s", run.run_name, run.run_id, reason)
        return Interpretation(pd.DataFrame(columns=S.column_names), vif, FAILED, reason, 0,
                              time.perf_counter() - started, max(peak, process_rss_mb()))

    try:
        with local_artifact(run, dict_arrays_artifact_path(run.run_name), scratch_dir) as path:
            arrays = load_pickle(path)
        features = [str(f) for f in arrays["feature_names"]]
        x_train = np.asarray(arrays["x_train"], dtype=float)
        x_test = np.asarray(arrays["x_test"], dtype=float)
    except (UnsafePickleError, CorruptPickleError, MissingArtifactError, KeyError) as err:
        return failed(f"dict_arrays unusable: {type(err).__name__}: {err}",
                      pd.DataFrame(columns=V.column_names))
    vif = variance_inflation(run.run_id, x_train, features)

    progress(f"{run.run_name}: reading the model pickle", 5)
    try:
        with local_artifact(run, model_artifact_path(run.run_name), scratch_dir) as path:
            models = load_model_pickle(path, study_ensemble_class)
    except (UnsafePickleError, CorruptPickleError, MissingArtifactError) as err:
        return failed(str(err), vif)
    peak = max(peak, process_rss_mb())
    n_models = len(models) if isinstance(models, list) else 0

    def on_model(b: int) -> None:
        nonlocal peak
        if b % 50 == 0 or b == n_models - 1:
            peak = max(peak, process_rss_mb())
            stage = f"{run.run_name}: explained {b + 1} of {n_models} bootstrap models"
            # a line in the build's log too: progress and memory of the heaviest read
            logger.info("%s (%.1f s, peak RSS %.0f MB)", stage, time.perf_counter() - started,
                        peak)
            progress(stage, 10 + 85 * (b + 1) // n_models)

    try:
        per_model = mean_abs_shap_per_model(models, x_test, on_model)
    except ModelShapeError as err:
        return failed(str(err), vif)
    return Interpretation(summarise_importance(run.run_id, per_model, features), vif, EXPLAINED,
                          None, n_models, time.perf_counter() - started, peak)


# The files of one configuration's interpretation (the task's target is the outcome, written
# last by atomic_paths' renames in this order).
INTERPRETATION_FILES = {"shap": "shap_importance.parquet", "vif": "vif.parquet",
                        "outcome": "outcome.json"}


def write_interpretation(result: Interpretation, paths: dict[str, Path]) -> None:
    """Write the SHAP and VIF rows (Parquet) and the outcome (JSON) to paths keyed as
    INTERPRETATION_FILES."""
    shap = result.shap.astype({S.mean_abs_shap: float, S.ci_lo: float, S.ci_hi: float,
                               S.n_models: "int32"})
    shap.to_parquet(paths["shap"], index=False)
    result.vif.astype({V.vif: float}).to_parquet(paths["vif"], index=False)
    paths["outcome"].write_text(json.dumps({
        "outcome": result.outcome, "reason": result.reason, "n_models": result.n_models,
        "seconds": round(result.seconds, 3), "peak_rss_mb": round(result.peak_rss_mb, 1)},
        indent=1), encoding="utf-8")
