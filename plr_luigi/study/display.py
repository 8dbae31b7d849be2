"""How factor levels, factors and pipelines are named and coloured (configs/figures.yaml)."""

from __future__ import annotations

from collections.abc import Mapping

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


def level_colour(level: str) -> str:
    config = load_figure_config()
    category = config["level_categories"].get(level, "classifier")
    return config["category_colours"][category]


def pipeline_colour(name: str) -> str:
    """Colour of a standard pipeline: the colour of its category (configs/pipelines.yaml)."""
    category = load_standard_pipelines()[name]["category"]
    return load_figure_config()["category_colours"][category]


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
