"""The factor levels and standard pipelines the synthetic store draws from (configs/*.yaml).

Read here rather than through plr_luigi.factors so that the generator depends only on the
configuration files, not on the extraction code it is meant to exercise.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

from plr_luigi.study.configs import CONFIGS_DIR, load_yaml

logger = logging.getLogger(__name__)

# Run-name tokens of the real store that are not factors.yaml's upper-case keys:
# `LogisticRegression_eval-roc_auc__...` (TabPFN and TabM occur either way; upper case here).
STORE_TOKENS = {"LogisticRegression": "LogisticRegression"}

@dataclass(frozen=True)
class Levels:
    classifiers: dict[str, str]  # run-name key (CATBOOST) -> canonical name (CatBoost)
    outlier_valid: tuple[str, ...]
    outlier_invalid: tuple[str, ...]
    imputation_valid: tuple[str, ...]
    imputation_invalid: tuple[str, ...]
    featurization_valid: tuple[str, ...]
    legacy_outlier_method: str
    legacy_featurization: str
    # (outlier, imputation, classifier canonical, featurization) of each standard pipeline
    standard_pipelines: tuple[tuple[str, str, str, str], ...]

    def classifier_key(self, canonical: str) -> str:
        """The run-name token the real store writes: factors.yaml's, but for the classifiers
        the study's training config spelled in mixed case (mlflow-store.md)."""
        return STORE_TOKENS.get(canonical) or next(
            k for k, v in self.classifiers.items() if v == canonical)


def _read_yaml(name: str) -> dict:
    return load_yaml(CONFIGS_DIR / name)


@lru_cache(maxsize=1)
def load_levels() -> Levels:
    factors = _read_yaml("factors.yaml")
    pipelines = _read_yaml("pipelines.yaml")["standard_pipelines"]
    standard = tuple(
        (p["outlier_method"], p["imputation_method"], p["classifier"], p["featurization"])
        for p in pipelines.values())
    return Levels(
        classifiers=dict(factors["classifiers"]),
        outlier_valid=tuple(factors["outlier_methods"]["valid"]),
        outlier_invalid=tuple(factors["outlier_methods"].get("invalid") or ()),
        imputation_valid=tuple(factors["imputation_methods"]["valid"]),
        imputation_invalid=tuple(factors["imputation_methods"].get("invalid") or ()),
        featurization_valid=tuple(factors["featurizations"]["valid"]),
        legacy_outlier_method=factors["legacy_outlier_method"],
        legacy_featurization=factors["legacy_featurization"],
        standard_pipelines=standard,
    )
