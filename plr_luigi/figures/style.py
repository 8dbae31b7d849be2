"""Display names, colours and the synthetic-data mark, from configs/figures.yaml."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from plr_luigi.factors import CONFIGS_DIR

FIGURE_CONFIG_PATH = CONFIGS_DIR / "figures.yaml"
SYNTHETIC_MARK = "SYNTHETIC DATA"


@lru_cache(maxsize=4)
def load_figure_config(path: Path = FIGURE_CONFIG_PATH) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def display_name(factor: str, level: str) -> str:
    return load_figure_config()["display_names"].get(factor, {}).get(level, level)


def level_colour(level: str) -> str:
    config = load_figure_config()
    category = config["level_categories"].get(level, "classifier")
    return config["category_colours"][category]


def mark_synthetic(fig) -> None:
    """A watermark that no crop of the plot area removes: diagonal, across the whole figure."""
    fig.text(0.5, 0.5, SYNTHETIC_MARK, transform=fig.transFigure, fontsize=40, color="red",
             alpha=0.18, ha="center", va="center", rotation=30, zorder=100)
