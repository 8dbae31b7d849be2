"""Specification curve (S8): configurations ranked by AUROC with their CIs, coloured by
pipeline type (outlier category), the ground truth's AUROC as a line, and below, the levels of
each varying factor that the ranked configurations use."""

from __future__ import annotations

import pandas as pd

from plr_luigi.figures.style import mark_synthetic, panel_title
from plr_luigi.study.categories import (
    UncategorisedLevelError,
    category_colour,
    category_keys,
    category_label,
    outlier_category,
)
from plr_luigi.study.display import display_name, factor_label, level_colour
from plr_luigi.study.factors import FACTORS


def _type_of(outlier_method: str) -> str:
    try:
        return outlier_category(outlier_method)
    except UncategorisedLevelError:
        return "classifier"  # grey: no category


def plot_specification_curve(configs: pd.DataFrame, title: str, reference: float | None,
                             synthetic: bool):
    """configs: plr_luigi.queries.configurations output (best first). Top: AUROC and CI per
    configuration in rank order, coloured by pipeline type; reference: the ground truth's
    AUROC (no line when absent); below: one row per level of each factor that varies, a mark
    where the ranked configuration uses it."""
    import matplotlib.pyplot as plt

    ranked = configs.reset_index(drop=True)
    x = ranked.index.to_numpy() + 1
    varying = [f for f in FACTORS if ranked[f].nunique() > 1]
    # Drawn bottom-up: the last factor first puts outlier detection on top, best level first.
    level_rows = [(f, level) for f in reversed(varying)
                  for level in ranked.groupby(f)["auroc"].mean().sort_values().index]
    fig, (top, bottom) = plt.subplots(
        2, 1, sharex=True, layout="constrained", figsize=(max(8.0, 0.06 * len(x) + 6), 9.5),
        gridspec_kw={"height_ratios": [1.0, max(1.2, 0.075 * len(level_rows))]})
    types = ranked["outlier_method"].map(_type_of)
    for category in [*category_keys(), "classifier"]:
        mine = (types == category).to_numpy()
        if not mine.any():
            continue
        colour = category_colour(category)
        top.vlines(x[mine], ranked["auroc_ci_lo"][mine], ranked["auroc_ci_hi"][mine],
                   color=colour, alpha=0.45, linewidth=1.2)
        top.plot(x[mine], ranked["auroc"][mine], "o", color=colour, markersize=3,
                 label=category_label(category) if category != "classifier" else "other")
    if reference is not None:
        top.axhline(reference, color="grey", linestyle="--", linewidth=1,
                    label=f"ground truth {reference:.3f}")
    top.set_ylabel("AUROC (95% bootstrap CI)")
    top.grid(alpha=0.3)
    top.legend(loc="lower left", fontsize=7, frameon=False, ncols=2)
    panel_title(top, f"Specification curve: {len(x)} configurations ({title}) ranked by AUROC",
                fontsize=10, loc="left")
    for y, (factor, level) in enumerate(level_rows):
        used = x[(ranked[factor] == level).to_numpy()]
        bottom.plot(used, [y] * len(used), "|", markersize=6, markeredgewidth=1.5,
                    color=level_colour(level, factor))
    bottom.set_yticks(range(len(level_rows)),
                      [display_name(f, level) for f, level in level_rows], fontsize=7)
    bottom.set_ylim(-0.7, len(level_rows) - 0.3)
    # Factor blocks separated by lines and named at their middle, right of the panel.
    # (A single configuration varies in no factor: no blocks.)
    starts = [i for i, (f, _) in enumerate(level_rows) if i == 0 or level_rows[i - 1][0] != f]
    for start, end in zip(starts, [*starts[1:], len(level_rows)][:len(starts)], strict=True):
        if start:
            bottom.axhline(start - 0.5, color="black", linewidth=0.6)
        bottom.text(1.01, (start + end - 1) / 2, factor_label(level_rows[start][0]),
                    transform=bottom.get_yaxis_transform(),
                    rotation=90, va="center", ha="left", fontsize=8)
    bottom.set_xlabel("Configuration rank (1 = highest AUROC)")
    bottom.set_xlim(0, len(x) + 1)
    bottom.grid(axis="x", alpha=0.3)
    if synthetic:
        mark_synthetic(fig)
    return fig
