"""The factor registry (configs/factors.yaml) and the parsing of classification run names.

Run names are `{CLS}_eval-{metric}__{featurization}__{imputation}__{outlier}`; older runs use
`{CLS}__{imputation}` and carry the legacy outlier method. Every level is checked against the
registry: an unknown level is an error that names the run, an invalid one a reason to skip it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from plr_luigi.study.configs import FACTOR_REGISTRY_PATH, load_yaml

logger = logging.getLogger(__name__)

# Database column names of the four factors, in the order they appear in a run name (reversed).
FACTORS = ("outlier_method", "imputation_method", "classifier", "featurization")


class UnknownFactorLevelError(ValueError):
    """A run name holds a level that the factor registry does not know."""


@dataclass(frozen=True)
class FactorRegistry:
    # run-name token, upper-cased -> canonical name. The real store's tokens are not of one
    # case (CATBOOST, but LogisticRegression; TabPFN / TabM either way): matched ignoring case.
    classifiers: dict[str, str]
    valid: dict[str, frozenset[str]]  # factor -> levels valid for the manuscript
    invalid: dict[str, frozenset[str]]  # factor -> levels known but excluded
    legacy_outlier_method: str
    legacy_featurization: str

    @classmethod
    def from_dict(cls, raw: dict) -> FactorRegistry:
        plural = {"outlier_method": "outlier_methods", "imputation_method": "imputation_methods",
                  "featurization": "featurizations"}
        valid = {f: frozenset(raw[key]["valid"]) for f, key in plural.items()}
        invalid = {f: frozenset(raw[key].get("invalid") or ()) for f, key in plural.items()}
        classifiers = {token.upper(): name for token, name in raw["classifiers"].items()}
        valid["classifier"] = frozenset(classifiers.values())
        invalid["classifier"] = frozenset()
        return cls(classifiers, valid, invalid, raw["legacy_outlier_method"],
                   raw["legacy_featurization"])


@lru_cache(maxsize=4)
def load_factor_registry(path: Path = FACTOR_REGISTRY_PATH) -> FactorRegistry:
    return FactorRegistry.from_dict(load_yaml(path))


@dataclass(frozen=True)
class ParsedRunName:
    outlier_method: str
    imputation_method: str
    classifier: str
    featurization: str
    legacy: bool

    @property
    def configuration(self) -> tuple[str, str, str, str]:
        return (self.outlier_method, self.imputation_method, self.classifier, self.featurization)


def parse_run_name(run_name: str, registry: FactorRegistry) -> ParsedRunName:
    """Split a run name into its factors; raises UnknownFactorLevelError naming what is wrong."""
    parts = run_name.split("__")
    if len(parts) == 4:
        head, featurization, imputation, outlier = parts
        legacy = False
    elif len(parts) == 2:
        head, imputation = parts
        featurization, outlier = registry.legacy_featurization, registry.legacy_outlier_method
        legacy = True
    else:
        raise UnknownFactorLevelError(
            f"run name {run_name!r} has {len(parts)} '__'-separated fields; expected 4 "
            "(CLS_eval-metric__featurization__imputation__outlier) or 2 (legacy CLS__imputation)"
        )
    cls_key = head.split("_eval-")[0]
    if cls_key.upper() not in registry.classifiers:
        raise UnknownFactorLevelError(f"run {run_name!r}: unknown classifier {cls_key!r}")
    parsed = ParsedRunName(outlier, imputation, registry.classifiers[cls_key.upper()],
                           featurization, legacy)
    for factor in ("outlier_method", "imputation_method", "featurization"):
        level = getattr(parsed, factor)
        if level not in registry.valid[factor] | registry.invalid[factor]:
            raise UnknownFactorLevelError(f"run {run_name!r}: unknown {factor} level {level!r}")
    return parsed


def invalid_levels(parsed: ParsedRunName, registry: FactorRegistry) -> list[str]:
    """The factors of a parsed run whose level is known but excluded from the manuscript."""
    return [f"{factor}={getattr(parsed, factor)}" for factor in FACTORS
            if getattr(parsed, factor) in registry.invalid[factor]]
