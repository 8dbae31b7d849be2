"""Display names, colours and the synthetic-data mark, from configs/figures.yaml."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import yaml

from plr_luigi.factors import CONFIGS_DIR, FACTORS

FIGURE_CONFIG_PATH = CONFIGS_DIR / "figures.yaml"
PIPELINES_CONFIG_PATH = CONFIGS_DIR / "pipelines.yaml"
SYNTHETIC_MARK = "SYNTHETIC DATA"


@lru_cache(maxsize=4)
def load_figure_config(path: Path = FIGURE_CONFIG_PATH) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@lru_cache(maxsize=4)
def load_standard_pipelines(path: Path = PIPELINES_CONFIG_PATH) -> dict[str, dict[str, str]]:
    """name -> label, category and the four factor levels, in the file's order."""
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)["standard_pipelines"]


def factor_label(factor: str) -> str:
    return load_figure_config()["factor_labels"][factor]


def display_name(factor: str, level: str) -> str:
    return load_figure_config()["display_names"].get(factor, {}).get(level, level)


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


def mark_synthetic(fig) -> None:
    """A watermark that no crop of the plot area removes: diagonal, across the whole figure."""
    fig.text(0.5, 0.5, SYNTHETIC_MARK, transform=fig.transFigure, fontsize=40, color="red",
             alpha=0.18, ha="center", va="center", rotation=30, zorder=100)
