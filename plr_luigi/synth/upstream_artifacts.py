"""Contents of the synthetic outlier-detection and imputation runs: params, metrics, pickles.

Both start from the subjects' traces (traces.subject_traces): an outlier method flags each
true artefact with its detection probability (easy artefacts more often) plus false positives,
so that its precision is about its recall; an imputer reconstructs the flagged samples as the
ground truth plus its error and keeps every other sample as recorded, undetected artefacts
included. Metrics are computed from these very arrays; CI bounds are the 0.05th and 99.95th
percentiles of the subject-wise values, as the study's code writes them. Layouts follow
upstream-experiments.md; everything is dicts, lists, str, numbers and numpy arrays.
"""

from __future__ import annotations

import logging
import warnings
import zlib
from dataclasses import dataclass

import numpy as np

from plr_luigi.synth.cohort import Cohort
from plr_luigi.synth.pupil_traces import light_protocol, subject_traces
from plr_luigi.synth.upstream_design import UpstreamRun

logger = logging.getLogger(__name__)

SPLITS = ("train", "test")
CI_PERCENTILES = (0.05, 99.95)
EASY_SD = 3.0  # an artefact is easy when it deviates more than 3 SD of the subject's gt
N_TEST = 152 / 507  # the study's test share of all subjects
PLAIN_FAMILIES = ("LOF", "OneClassSVM", "PROPHET", "SubPCA", "ensemble-")


@dataclass(frozen=True)
class UpstreamContext:
    """Every subject's traces and the upstream train/test split of all subjects."""
    codes: np.ndarray  # original subject codes, cohort order
    labels: np.ndarray  # 0 control, 1 glaucoma, NaN unlabelled
    time: np.ndarray
    gt: np.ndarray
    orig: np.ndarray
    mask: np.ndarray  # true artefacts
    easy: np.ndarray  # true artefacts deviating more than EASY_SD SD of the subject's gt
    split_index: dict[str, np.ndarray]  # split -> row indices, in run order
    mean: float  # the global standardisation
    stdev: float
    seed: int


def make_context(cohort: Cohort, seed: int) -> UpstreamContext:
    time, gt, orig, mask = subject_traces(cohort, seed)
    easy = mask & (np.abs(orig - gt) > EASY_SD * gt.std(axis=1, keepdims=True))
    rng = np.random.default_rng([seed, 40])
    subjects = cohort.subjects
    labelled_test = np.flatnonzero(subjects["split"].to_numpy() == "test")
    labelled_train = np.flatnonzero(subjects["split"].to_numpy() == "train")
    unlabelled = rng.permutation(np.flatnonzero(subjects["label"].to_numpy() == -1))
    n_unlabelled_test = max(0, round(N_TEST * len(subjects)) - len(labelled_test))
    split_index = {
        "train": rng.permutation(np.concatenate([labelled_train, unlabelled[n_unlabelled_test:]])),
        "test": rng.permutation(np.concatenate([labelled_test, unlabelled[:n_unlabelled_test]])),
    }
    labels = subjects["label"].to_numpy(np.float64)
    return UpstreamContext(subjects["subject_code"].to_numpy(str), np.where(labels < 0, np.nan,
                                                                            labels),
                           time, gt, orig, mask, easy, split_index, float(gt.mean()),
                           float(gt.std()), seed)


def detected_mask(ctx: UpstreamContext, outlier_method: str, detection: float,
                  split: str) -> np.ndarray:
    """The samples the outlier method flags in one split; the same for every run of the method
    (its imputation runs impute exactly what it flagged). Ground truth flags the artefacts."""
    trues = ctx.mask[ctx.split_index[split]]
    if outlier_method == "pupil-gt":
        return trues.copy()
    rng = np.random.default_rng([ctx.seed, 41, zlib.crc32(f"{outlier_method}|{split}".encode())])
    easy = ctx.easy[ctx.split_index[split]]
    p_detect = np.where(easy, min(0.98, detection + 0.2), 0.85 * detection)
    hits = trues & (rng.random(trues.shape) < p_detect)
    # false positives so that precision is about the detection probability
    fp_rate = hits.sum() * (1.0 - detection) / detection / max(1, (~trues).sum())
    return hits | (~trues & (rng.random(trues.shape) < fp_rate))


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def _detection_scores(pred: np.ndarray, trues: np.ndarray, valid: np.ndarray) -> dict:
    """Per-subject (axis 1) and pooled accuracy, precision, recall, f1, fp over valid samples."""
    def counts(axis):
        return ((pred & trues & valid).sum(axis), (pred & ~trues & valid).sum(axis),
                (~pred & trues & valid).sum(axis), valid.sum(axis))

    out = {}
    for scope, axis in (("subjectwise", 1), ("global", None)):
        tp, fp, fn, n = (np.asarray(c, dtype=np.float64) for c in counts(axis))
        precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
        out[scope] = {"accuracy": _ratio(n - fp - fn, n), "precision": precision,
                      "recall": recall, "f1": _ratio(2 * tp, 2 * tp + fp + fn), "fp": fp}
    return out


def _log_metric(metrics: dict[str, float], key: str, value, subjectwise: np.ndarray) -> None:
    metrics[key] = float(value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.nanpercentile(subjectwise, CI_PERCENTILES)
    metrics[f"{key}_CI_lo"], metrics[f"{key}_CI_hi"] = float(lo), float(hi)


def _sys_params(rng: np.random.Generator) -> dict[str, str]:
    return {"sys/hostname": f"gpu-node-{int(rng.integers(1, 9))}", "sys/python": "3.11.9",
            "sys/torch": "2.3.1"}


def outlier_payload(run: UpstreamRun, ctx: UpstreamContext) -> tuple[dict, dict, dict | None]:
    """(params, metrics, pickle object or None) of one outlier-detection run."""
    rng = np.random.default_rng([ctx.seed, 42, run.seed_key])
    params = {"model": run.name.split("_")[0], **_sys_params(rng)}
    if run.status == "FAILED":
        return params, {}, None
    if run.outlier_method is None:  # a debugging run under a name of no scheme
        return params, {"outlier_test/f1": float(rng.uniform(0.1, 0.5))}, None
    metrics: dict[str, float] = {}
    blocks = {}
    for split in SPLITS:
        trues = ctx.mask[ctx.split_index[split]]
        easy = ctx.easy[ctx.split_index[split]]
        pred = detected_mask(ctx, run.outlier_method, run.quality, split)
        everything = np.ones_like(trues)
        scores = _detection_scores(pred, trues, everything)
        block = {"scalars": {"global": {m: float(v) for m, v in scores["global"].items()},
                             "subjectwise": {m: v.tolist() for m, v in
                                             scores["subjectwise"].items()}},
                 "arrays": {"pred_mask": pred.astype(np.int64), "trues": trues}}
        # The study's train/test blocks evaluate the same masks as outlier_train/outlier_test.
        for prefix in ("", "outlier_"):
            blocks[f"{prefix}{split}"] = block
            for metric in scores["global"]:
                _log_metric(metrics, f"{prefix}{split}/{metric}", scores["global"][metric],
                            scores["subjectwise"][metric])
        # difficulty strata: the other stratum's artefacts are left out of the evaluation
        for suffix, stratum in (("easy", easy), ("medium", trues & ~easy)):
            strata = _detection_scores(pred, stratum, ~(trues & ~stratum))
            _log_metric(metrics, f"outlier_{split}/f1__{suffix}", strata["global"]["f1"],
                        strata["subjectwise"]["f1"])
    params["anomaly_threshold"] = f"{rng.uniform(0.5, 0.99):.3f}"
    if run.outlier_method.startswith(PLAIN_FAMILIES):
        return params, metrics, blocks
    return params, metrics, {"outlier_results": blocks}  # deeper, as the other families nest it


def _standardise(ctx: UpstreamContext, values: np.ndarray) -> np.ndarray:
    return (values - ctx.mean) / ctx.stdev


def _source_frame(ctx: UpstreamContext, split: str, imputed: np.ndarray) -> dict:
    idx = ctx.split_index[split]
    n, n_samples = len(idx), len(ctx.time)
    gt, orig = _standardise(ctx, ctx.gt[idx]), _standardise(ctx, ctx.orig[idx])
    trues, easy = ctx.mask[idx], ctx.easy[idx]
    red, blue = (np.tile(c, (n, 1)) for c in light_protocol(ctx.time))
    return {
        "time": np.tile(ctx.time, (n, 1)),
        "data": {"X": np.where(imputed, np.nan, orig), "X_GT": gt, "mask": imputed,
                 "CI_pos": gt + 0.1, "CI_neg": gt - 0.1},
        "labels": {"class_label": np.repeat(ctx.labels[idx][:, None], n_samples, axis=1),
                   "outlier_mask": trues,
                   "imputation_mask": imputed, "outlier_mask_easy": easy,
                   "outlier_mask_medium": trues & ~easy},
        "light": {"Red": red, "Blue": blue, "light_stimuli": red + blue},
        "metadata": {"subject_code": np.repeat(ctx.codes[idx][:, None], n_samples, axis=1)},
    }


def imputation_payload(run: UpstreamRun, ctx: UpstreamContext, source_detection: float,
                       outlier_run_id: str, outlier_f1: float) -> tuple[dict, dict, tuple | None]:
    """(params, metrics, (file name, pickle object) or None) of one imputation run."""
    from plr_luigi.synth.upstream_design import HYPERPARAMS

    rng = np.random.default_rng([ctx.seed, 43, run.seed_key])
    params = {"model": run.imputer.split("_")[0], **HYPERPARAMS.get(run.imputation_method, {}),
              **_sys_params(rng), "num_params": str(int(rng.integers(10**5, 4 * 10**8))),
              "Outlier_run_id": outlier_run_id, "OutlierBest_f1": f"{outlier_f1:.4f}"}
    if run.status == "FAILED":
        return params, {}, None
    if run.outlier_method is None:  # a debugging run under a name of no scheme
        return params, {"test/mae": float(rng.uniform(0.05, 0.3))}, None
    metrics: dict[str, float] = {}
    model_artifacts, source_df = {}, {}
    for split in SPLITS:
        idx = ctx.split_index[split]
        gt = _standardise(ctx, ctx.gt[idx])
        imputed = detected_mask(ctx, run.outlier_method, source_detection, split)
        error_sd = run.quality if run.quirk != "ensemble" else 0.075
        # smooth errors, as a model's are: white noise through a short moving average
        noise = rng.normal(0.0, error_sd * 2.0, gt.shape)
        error = np.apply_along_axis(np.convolve, 1, noise, np.ones(4) / 4, mode="same")
        mean = np.where(imputed, gt + error, _standardise(ctx, ctx.orig[idx]))
        absolute = np.where(imputed, np.abs(mean - gt), np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            per_subject = {"mae": np.nanmean(absolute, axis=1),
                           "mse": np.nanmean(absolute ** 2, axis=1),
                           "mre": np.nansum(absolute, axis=1)
                           / np.sum(np.where(imputed, np.abs(gt), 0.0), axis=1),
                           "missing_rate": imputed.mean(axis=1)}
        pooled = {"mae": np.nanmean(absolute), "mse": np.nanmean(absolute ** 2),
                  "mre": np.nansum(absolute) / np.sum(np.where(imputed, np.abs(gt), 0.0)),
                  "missing_rate": imputed.mean()}
        for metric, value in pooled.items():
            _log_metric(metrics, f"{split}/{metric}", value, per_subject[metric])
        if run.quirk == "ensemble":
            model_artifacts[split] = {"mean": mean}  # ensembles store 2-D means only
            continue
        model_artifacts[split] = {"imputation_dict": {
            "imputation": {"mean": mean[:, :, None], "imputation_ci_neg": None,
                           "imputation_ci_pos": None},
            "indicating_mask": imputed[:, :, None]}}
        source_df[split] = _source_frame(ctx, split, imputed)
    if run.deleted:
        return params, metrics, None
    if run.quirk == "ensemble":
        return params, metrics, (f"ensemble_{run.name}_results.pickle", {
            "imputation": model_artifacts, "ensemble_members": ["CSDI", "MOMENT", "SAITS",
                                                                "TimesNet"]})
    source_data = {"df": source_df, "preprocess": {"standardization": {
        "standardized": True, "mean": ctx.mean, "stdev": ctx.stdev}}}
    return params, metrics, (f"imputation_{params['model']}.pickle", {
        "source_data": source_data, "model_artifacts": {"imputation": model_artifacts}})
