"""Contents of one classification run: params, MLflow metrics and the three pickles.

The metrics and dict_arrays pickles are plain dicts, lists, str, int, float and numpy arrays,
so that a restricted unpickler can load them; a CatBoost run's model pickle has the study's
shape (synth.models). Metrics are computed from the per-iteration predictions themselves, so
every stored number is consistent with the stored predictions.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field

import numpy as np

from plr_luigi.synth.bootstrap_metrics import METRICS, iteration_metrics, summarize
from plr_luigi.synth.cohort import FEATURE_NAMES, Cohort
from plr_luigi.synth.design import RunSpec
from plr_luigi.synth.models import dump_study_models, train_bootstrap_ensembles
from plr_luigi.synth.predictions import SplitModel, simulate_predictions

logger = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")
PREVALENCE_PARAM = "0.0354"
RUN_NOISE_SD = 0.12  # logit-scale iteration noise: gives the study's ~0.015 AUROC CI width
# Typical calibration of each classifier: >1 over-confident, <1 under-confident.
CONFIDENCE = {"CatBoost": 1.0, "XGBoost": 1.25, "TabPFN": 0.9, "TabM": 1.1,
              "LogisticRegression": 0.8}
HPARAMS = {
    "CatBoost": {"depth": [4, 6, 8], "lr": [0.03, 0.05, 0.1], "l2_leaf_reg": [1, 3, 5]},
    "XGBoost": {"max_depth": [3, 4, 6], "lr": [0.05, 0.1, 0.3], "n_estimators": [100, 300, 500]},
    "TabPFN": {"n_estimators": [4, 8, 16]},
    "TabM": {"lr": [0.001, 0.002, 0.003], "d_block": [256, 512], "n_blocks": [2, 3]},
    "LogisticRegression": {"C": [0.01, 0.1, 1.0], "penalty": ["l2"]},
}


@dataclass
class RunPayload:
    params: dict[str, str]
    metrics: dict[str, float] = field(default_factory=dict)
    # artifact folder -> (file name, object to pickle, or the pickle's bytes)
    pickles: dict[str, tuple[str, object]] = field(default_factory=dict)


def in_bag_mask(seed: int, n_train: int, n_boot: int) -> np.ndarray:
    """(n_train, n_boot) True where a training subject was drawn into iteration b's sample.
    Shared by all runs, as the study's training code used one bootstrap seed."""
    rng = np.random.default_rng([seed, 7])
    mask = np.zeros((n_train, n_boot), dtype=bool)
    draws = rng.integers(0, n_train, size=(n_train, n_boot))
    mask[draws, np.arange(n_boot)[None, :]] = True
    return mask


def _split_targets(test_target: float) -> dict[str, float]:
    # in-bag training predictions are optimistic, out-of-bag ones slightly below test
    return {"train": test_target + 0.6 * (1.0 - test_target), "val": max(0.5, test_target - 0.01),
            "test": test_target}


def _split_block(proba: np.ndarray, labels: np.ndarray,
                 codes: list[str]) -> tuple[dict, dict, dict]:
    n_boot = proba.shape[1]
    metrics = iteration_metrics(proba, labels)
    y_pred = np.where(np.isnan(proba), np.nan, (proba >= 0.5).astype(np.float64))
    if not np.isnan(proba).any():
        y_pred = y_pred.astype(np.int64)
    predictions = {"y_pred_proba": proba, "y_pred": y_pred,
                   "label": np.repeat(labels[:, None], n_boot, axis=1)}
    iteration = {"metrics": metrics, "preds": {"arrays": {"predictions": predictions}}}
    stats = {"metrics": {"scalars": {m: summarize(metrics["scalars"][m]) for m in METRICS}}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a subject in-bag in every iteration
        subjectwise = {"preds": {"y_pred_proba": {"mean": np.nanmean(proba, axis=1),
                                                  "std": np.nanstd(proba, axis=1)}},
                       "subject_code": np.array(codes), "labels": labels.astype(np.int64)}
    return iteration, stats, subjectwise


def _params(run: RunSpec, cohort: Cohort, rng: np.random.Generator) -> dict[str, str]:
    """All params but the upstream run ids, which only the writer knows."""
    params = {
        "model_name": run.classifier,
        "featurization_method": run.featurization,
        "glaucomaParam_prevalence": PREVALENCE_PARAM,
        "bootstrap_time": f"{rng.uniform(60, 900):.1f}",
        "training_time": f"{rng.uniform(0.5, 30):.2f}",
        "codes_train": str(list(cohort.train_codes)),
        "codes_test": str(list(cohort.test_codes)),
    }
    for name, choices in HPARAMS[run.classifier].items():
        params[f"hparam_{name}"] = str(choices[int(rng.integers(len(choices)))])
    return params


def _dict_arrays(cohort: Cohort, rng: np.random.Generator) -> dict:
    def features(split: str) -> np.ndarray:
        x = cohort.features(split)
        # preprocessing (outlier removal, imputation) perturbs the features a little per run
        return x + rng.normal(0.0, 0.05, x.shape) * x.std(axis=0)

    return {
        "x_train": features("train"), "x_test": features("test"),
        "y_train": cohort.split_frame("train")["label"].to_numpy(np.int64),
        "y_test": cohort.split_frame("test")["label"].to_numpy(np.int64),
        "feature_names": list(FEATURE_NAMES),
        "subject_codes_train": np.array(cohort.train_codes),
        "subject_codes_test": np.array(cohort.test_codes),
    }


def _models(rng: np.random.Generator, n_boot: int, total_bytes: int) -> list[dict]:
    """Stand-ins for the other classifiers' bootstrap models: incompressible, so reading them
    costs real I/O."""
    per_model = max(1, total_bytes // (8 * n_boot))
    return [{"iteration": b, "weights": rng.random(per_model)} for b in range(n_boot)]


def build_run_payload(run: RunSpec, cohort: Cohort, in_bag: np.ndarray, seed: int, n_boot: int,
                      model_bytes: int, model_iterations: int | None = None) -> RunPayload:
    """Everything logged for one run. A FAILED run stops after its data preparation: params
    and the dict_arrays pickle, no metrics and no model. model_iterations: trees per CatBoost
    model (None: configs/models.yaml's)."""
    rng = np.random.default_rng([seed, run.seed_key])
    payload = RunPayload(_params(run, cohort, rng))
    payload.pickles["dict_arrays"] = (f"dictArrays_{run.name}.pickle", _dict_arrays(cohort, rng))
    if run.status == "FAILED":
        return payload

    confidence = CONFIDENCE[run.classifier] * float(rng.lognormal(0.0, 0.1))
    noise_sd = RUN_NOISE_SD * float(rng.lognormal(0.0, 0.25))
    shift = float(rng.normal(0.0, 0.15))
    targets = _split_targets(run.target_auroc)
    iteration, stats, subjectwise = {}, {}, {}
    for split in SPLITS:
        frame = cohort.split_frame("test" if split == "test" else "train")
        model = SplitModel(frame["label"].to_numpy(np.int64), frame["latent"].to_numpy(),
                           frame["noise_scale"].to_numpy(), noise_sd, confidence, shift)
        proba = simulate_predictions(model, targets[split], rng, n_boot,
                                     missing=~in_bag if split == "val" else None)
        iteration[split], stats[split], subjectwise[split] = _split_block(
            proba, model.labels, list(frame.index))
        for metric, summary in stats[split]["metrics"]["scalars"].items():
            payload.metrics[f"{split}/{metric}"] = summary["mean"]
            payload.metrics[f"{split}/{metric}_CI_lo"] = float(summary["ci"][0])
            payload.metrics[f"{split}/{metric}_CI_hi"] = float(summary["ci"][1])
    payload.pickles["metrics"] = (f"metrics_{run.name}.pickle", {
        "metrics_iter": iteration, "metrics_stats": stats, "subjectwise_stats": subjectwise})
    if run.classifier == "CatBoost":  # as the study's: bootstrap ensembles of CatBoost models
        arrays = payload.pickles["dict_arrays"][1]
        models = dump_study_models(train_bootstrap_ensembles(
            arrays["x_train"], arrays["y_train"], in_bag, rng, model_iterations))
    else:
        models = _models(rng, n_boot, model_bytes)
    payload.pickles["model"] = (f"model_{run.name}.pickle", models)
    return payload
