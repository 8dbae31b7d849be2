"""Method categories as the study defines them (configs/figures.yaml `method_categories`):
ground truth, ensemble, foundation model, deep learning, traditional.

The outlier method's category is the "pipeline type" of Fig 3, S3 (c) and S8 and the
decomposition grid's category; the imputation method's colours its level in the forest plots.
One definition, read here, so that no figure decides by itself that TimesNet is a foundation
model."""

from __future__ import annotations

import re
from functools import lru_cache

from plr_luigi.study.configs import load_figure_config


class UncategorisedLevelError(ValueError):
    """A level that no pattern of its factor matches (an invalid level such as `anomaly`)."""


@lru_cache(maxsize=1)
def _patterns() -> dict[str, tuple[tuple[str, re.Pattern], ...]]:
    return {factor: tuple((category, re.compile(pattern)) for category, pattern in rules)
            for factor, rules in load_figure_config()["method_categories"].items()}


def method_category(factor: str, level: str) -> str:
    """The category key (ground_truth, ensemble, ...) of a level of outlier_method or
    imputation_method: the first of the factor's patterns found in it."""
    for category, pattern in _patterns()[factor]:
        if pattern.search(level):
            return category
    raise UncategorisedLevelError(f"{factor} level {level!r} has no method category")


def outlier_category(outlier_method: str) -> str:
    """The pipeline type of a configuration: its outlier method's category key."""
    return method_category("outlier_method", outlier_method)


def category_keys() -> tuple[str, ...]:
    """Every category key, in the study's order (ground truth first)."""
    return tuple(load_figure_config()["category_labels"])


def category_label(category: str) -> str:
    return load_figure_config()["category_labels"][category]


def category_colour(category: str) -> str:
    return load_figure_config()["category_colours"][category]
