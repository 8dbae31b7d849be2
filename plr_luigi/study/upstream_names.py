"""Run names of the upstream experiments (PLR_OutlierDetection, PLR_Imputation) and the
canonical factor levels of configs/factors.yaml they stand for.

Outlier-detection runs are named after the method (`LOF`, `TimesNet`, `TimesNet-orig`,
`MOMENT_finetune_MOMENT-1-large_pupil_gt`, `UniTS_zeroshot_pupil_orig`, `ensemble-...`).
Imputation runs are `{imputer}__{outlier source}_impPLR_v0.1`: the imputer is the model with
its hyperparameters (`SAITS_dFfn128_nLayers2`, `MOMENT_finetune_MOMENT-1-large`), the source
the outlier run's key (`LOF`, `pupil_gt`, `MOMENT_finetune___gt`, whose triple underscore
makes an extra `__` segment, so the source is everything after the first `__`).
A name that fits none of these raises UnparsableRunNameError naming the run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from plr_luigi.study.categories import category_keys, category_label, outlier_category

IMPUTATION_SUFFIX = "_impPLR_v0.1"
GROUND_TRUTH = "pupil-gt"

# How each method family defines its outlier F1 (upstream-experiments.md): never average
# across families without saying so.
F1_PLAIN, F1_THRESHOLDED, F1_POINT_ADJUSTED = "plain", "thresholded", "point-adjusted"

# Outlier-detection runs named exactly as their method.
_TRADITIONAL = ("LOF", "OneClassSVM", "PROPHET", "SubPCA")

_FOUNDATION_RUN = re.compile(
    r"^(MOMENT|UniTS)_(finetune|zeroshot)(?:_MOMENT-1-\w+)?_pupil_(gt|orig)$")
_FOUNDATION_SOURCE = re.compile(r"^(MOMENT|UniTS)_(finetune|zeroshot)___(gt|orig)$")
_IMPUTERS = (  # imputer-token pattern -> canonical imputation_method
    (re.compile(r"^MOMENT_finetune_MOMENT-1-(large|base|small)$"), "MOMENT-finetune"),
    (re.compile(r"^MOMENT_zeroshot_MOMENT-1-(large|base|small)$"), "MOMENT-zeroshot"),
    (re.compile(r"^SAITS(_\w+)?$"), "SAITS"),
    (re.compile(r"^CSDI(_\w+)?$"), "CSDI"),
    (re.compile(r"^TimesNet(_\w+)?$"), "TimesNet"),
    (re.compile(r"^(ensemble-[A-Za-z-]+)$"), None),  # the token is the level itself
)


class UnparsableRunNameError(ValueError):
    """An upstream run name fits none of the study's naming schemes."""


@dataclass(frozen=True)
class OutlierRunName:
    outlier_method: str
    f1_definition: str


@dataclass(frozen=True)
class ImputationRunName:
    imputer: str
    imputation_method: str
    outlier_method: str  # canonical level of the outlier source
    is_ensemble: bool


def _outlier_level(name: str, foundation: re.Pattern) -> str | None:
    if name in _TRADITIONAL or name == "TimesNet-orig" or name.startswith("ensemble"):
        return name
    if name == "TimesNet":
        return "TimesNet-gt"
    match = foundation.match(name)
    if match:
        model, mode, source = match.groups()
        return f"{model}-{source}-{mode}"
    return None


def f1_definition(outlier_method: str) -> str:
    if outlier_method.startswith(("MOMENT", "ensembleThresholded")):
        return F1_THRESHOLDED
    if outlier_method.startswith(("TimesNet", "UniTS")):
        return F1_POINT_ADJUSTED
    return F1_PLAIN


def parse_outlier_run_name(run_name: str) -> OutlierRunName:
    level = _outlier_level(run_name, _FOUNDATION_RUN)
    if level is None:
        raise UnparsableRunNameError(
            f"outlier-detection run name {run_name!r} is not a known method name (LOF, "
            "OneClassSVM, PROPHET, SubPCA, TimesNet[-orig], MOMENT_<mode>_MOMENT-1-<size>_pupil_"
            "<gt|orig>, UniTS_<mode>_pupil_<gt|orig>, ensemble...)")
    return OutlierRunName(level, f1_definition(level))


def parse_imputation_run_name(run_name: str) -> ImputationRunName:
    def fail(why: str) -> UnparsableRunNameError:
        return UnparsableRunNameError(
            f"imputation run name {run_name!r} {why}; expected "
            f"{{imputer}}__{{outlier source}}{IMPUTATION_SUFFIX}")

    if not run_name.endswith(IMPUTATION_SUFFIX) or "__" not in run_name:
        raise fail("lacks the __ separator or the suffix")
    imputer, source = run_name[:-len(IMPUTATION_SUFFIX)].split("__", 1)
    method = None
    for pattern, level in _IMPUTERS:
        if pattern.match(imputer):
            method = level or imputer
            break
    if method is None:
        raise fail(f"has an unknown imputer {imputer!r}")
    outlier = GROUND_TRUTH if source == "pupil_gt" else _outlier_level(source, _FOUNDATION_SOURCE)
    if outlier is None:
        raise fail(f"has an unknown outlier source {source!r}")
    return ImputationRunName(imputer, method, outlier, imputer.startswith("ensemble"))


def preprocessing_categories() -> tuple[str, ...]:
    """The decomposition grid's categories, by name, in the study's order (study.categories;
    read when asked: importing this module reads no configuration)."""
    return tuple(category_label(key) for key in category_keys())


def preprocessing_category(outlier_method: str) -> str:
    """The decomposition grid's category of an outlier method (its name, study.categories)."""
    return category_label(outlier_category(outlier_method))
