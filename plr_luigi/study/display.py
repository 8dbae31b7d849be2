"""How factor levels, factors and pipelines are named and coloured (configs/figures.yaml)."""

from __future__ import annotations

from collections.abc import Mapping

from plr_luigi.study.categories import UncategorisedLevelError, category_colour, method_category
from plr_luigi.study.configs import load_figure_config, load_standard_pipelines
from plr_luigi.study.factors import FACTORS


def factor_label(factor: str) -> str:
    return load_figure_config()["factor_labels"][factor]


def display_name(factor: str, level: str) -> str:
    return load_figure_config()["display_names"].get(factor, {}).get(level, level)


def short_name(factor: str, level: str) -> str:
    """The level's short name for a table too wide with display names (figures.yaml
    `short_names`), or its display name where it has none."""
    short = load_figure_config().get("short_names", {}).get(factor, {}).get(level)
    return short or display_name(factor, level)


def level_colour(level: str, factor: str = "outlier_method") -> str:
    """Colour of a level's method category (plr_luigi.study.categories); a level of a factor
    without categories (classifier, featurization), or one no pattern matches, is grey."""
    if factor not in load_figure_config()["method_categories"]:
        return category_colour("classifier")
    try:
        return category_colour(method_category(factor, level))
    except UncategorisedLevelError:
        return category_colour("classifier")


def pipeline_colour(name: str) -> str:
    """Colour of a standard pipeline: the colour of its category (configs/pipelines.yaml)."""
    return category_colour(load_standard_pipelines()[name]["category"])


def configuration_label(row: Mapping[str, str], sep: str = ", ") -> str:
    """A configuration in words: 'Ensemble (all) + CSDI, CatBoost, Handcrafted (8 features)';
    sep joins the preprocessing part to the classifier part (a newline for narrow places)."""
    outlier, imputation, classifier, featurization = (display_name(f, row[f]) for f in FACTORS)
    return f"{outlier} + {imputation}{sep}{classifier}, {featurization}"


def population_label(levels: Mapping[str, object]) -> str:
    """A population of configurations in words: 'Handcrafted (8 features), every classifier'
    (levels: the factor levels it holds fixed, configs/manuscript.yaml `populations`)."""
    fixed = [display_name(f, str(levels[f])) for f in FACTORS if f in levels]
    every = "every classifier" if "classifier" not in levels else ""
    return ", ".join([*fixed, *([every] if every else [])]) or "every configuration"
