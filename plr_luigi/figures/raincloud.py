"""Multi-metric rainclouds: how metrics spread over configurations, by group.

- plot_pipeline_type_raincloud (Fig 3, as published): 2 x 2 panels, AUROC, IPA, net benefit at
  10 % and O:E (configs/figures.yaml pipeline_type_raincloud_metrics), one row per pipeline
  type (outlier category), CatBoost + handcrafted configurations.
- plot_metric_raincloud (extended): one row of panels per factor, one column per metric
  (raincloud_metrics), over every configuration, by factor level.

For each group: a half-violin (the density over the group's configurations) above its line, a
box (quartiles, whiskers at 1.5 IQR) on it and the configurations as jittered points below.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from plr_luigi.figures.style import mark_synthetic, panel_title
from plr_luigi.study.categories import category_colour, category_label
from plr_luigi.study.display import display_name, factor_label, level_colour
from plr_luigi.study.factors import FACTORS
from plr_luigi.study.unavailable import DataUnavailableError

# Vertical layout around a level's line at y: violin above, box on it, points below.
_VIOLIN_HEIGHT, _BOX_HEIGHT, _RAIN_OFFSET, _RAIN_SPREAD = 0.75, 0.14, -0.22, 0.14
_JITTER_SEED = 0  # fixed, so the picture is the same on every build of the same data


def level_order(frame: pd.DataFrame, factor: str) -> list[str]:
    """A factor's levels by median AUROC, best first (ties by name)."""
    medians = frame.groupby(factor)["auroc"].median()
    return sorted(medians.index, key=lambda level: (-medians[level], level))


def _half_violin(ax, values: np.ndarray, y: float, colour: str) -> None:
    if len(values) < 2 or np.ptp(values) == 0:
        return  # no density to draw: the box and the points still show the values
    parts = ax.violinplot([values], positions=[y], orientation="horizontal",
                          widths=2 * _VIOLIN_HEIGHT, showextrema=False)
    for body in parts["bodies"]:
        vertices = body.get_paths()[0].vertices
        vertices[:, 1] = np.maximum(vertices[:, 1], y)  # keep the upper half
        body.set(facecolor=colour, edgecolor=colour, alpha=0.35)


def _boxes(ax, groups: list[tuple[np.ndarray, float, str]]) -> None:
    """One box per (values, y, colour), in one boxplot call: a call per box costs the same
    again per box (boxplot merges its styles with every rcParam on each call). Boxes are drawn
    above the violins and points (zorder), so drawing them together changes nothing seen."""
    if not groups:
        return
    values, positions, colours = zip(*groups, strict=True)
    parts = ax.boxplot(list(values), positions=list(positions), orientation="horizontal",
                       widths=_BOX_HEIGHT, showfliers=False, patch_artist=True,
                       boxprops={"facecolor": "white"}, medianprops={"linewidth": 1.5})
    for i, colour in enumerate(colours):
        parts["boxes"][i].set_edgecolor(colour)
        parts["medians"][i].set_color(colour)
        for line in (*parts["whiskers"][2 * i:2 * i + 2], *parts["caps"][2 * i:2 * i + 2]):
            line.set_color(colour)


def _panel(ax, frame: pd.DataFrame, factor: str, levels: list[str], metric: str,
           reference: float | None, rng: np.random.Generator, colour_of=None) -> None:
    positions = np.arange(len(levels))[::-1].astype(float)  # first level on top
    boxed = []
    for level, y in zip(levels, positions, strict=True):
        values = frame.loc[frame[factor] == level, metric].dropna().to_numpy(float)
        if not len(values):
            continue
        colour = colour_of(level) if colour_of else level_colour(level, factor)
        _half_violin(ax, values, y, colour)
        boxed.append((values, y, colour))
        jitter = y + _RAIN_OFFSET + rng.uniform(-_RAIN_SPREAD / 2, _RAIN_SPREAD / 2, len(values))
        ax.scatter(values, jitter, s=5, color=colour, alpha=0.6, linewidths=0)
    _boxes(ax, boxed)
    if reference is not None:
        ax.axvline(reference, color="grey", linestyle="--", linewidth=0.8)
    ax.set_ylim(-0.6, len(levels) - 1 + _VIOLIN_HEIGHT + 0.1)
    ax.set_yticks(positions)
    ax.grid(axis="x", alpha=0.3)


def plot_metric_raincloud(frame: pd.DataFrame, metrics: dict[str, dict], synthetic: bool):
    """frame: one row per configuration with the four factors and the metric columns;
    metrics: column -> {label, reference (optional)} in column order."""
    import matplotlib.pyplot as plt

    if frame.empty:
        raise DataUnavailableError("raincloud: the database holds no configuration")
    orders = {factor: level_order(frame, factor) for factor in FACTORS}
    fig, axes = plt.subplots(
        len(FACTORS), len(metrics), figsize=(3.1 * len(metrics) + 1.6,
                                             0.5 * sum(map(len, orders.values())) + 2.2),
        sharex="col", squeeze=False, layout="constrained",
        gridspec_kw={"height_ratios": [max(2, len(orders[f])) for f in FACTORS]})
    rng = np.random.default_rng(_JITTER_SEED)
    for row, factor in zip(axes, FACTORS, strict=True):
        for ax, (metric, spec) in zip(row, metrics.items(), strict=True):
            _panel(ax, frame, factor, orders[factor], metric, spec.get("reference"), rng)
            ax.set_yticklabels([] if ax is not row[0] else
                               [display_name(factor, level) for level in orders[factor]],
                               fontsize=8)
        row[0].set_ylabel(factor_label(factor), fontsize=9, fontweight="bold")
    for ax, spec in zip(axes[-1], metrics.values(), strict=True):
        ax.set_xlabel(spec["label"])
    for ax, spec in zip(axes[0], metrics.values(), strict=True):
        panel_title(ax, spec["label"], fontsize=9)
    fig.suptitle(f"Extended: metrics over all {len(frame)} configurations, by factor level "
                 "(half-violin: density; box: quartiles; points: configurations)",
                 fontsize=10, x=0.01, ha="left")
    if synthetic:
        mark_synthetic(fig)
    return fig


def plot_pipeline_type_raincloud(frame: pd.DataFrame, metrics: dict[str, dict],
                                 types: list[str], subset_label: str, synthetic: bool):
    """Fig 3. frame: analysis.pipeline_types.with_pipeline_types output; metrics: column ->
    {label, reference (optional)}, four of them (2 x 2); types: the pipeline types to show,
    in the study's order (top to bottom)."""
    import matplotlib.pyplot as plt

    if frame.empty:
        raise DataUnavailableError(f"raincloud: no configuration with {subset_label}")
    n_rows = (len(metrics) + 1) // 2
    fig, axes = plt.subplots(n_rows, 2, figsize=(9.5, 1.0 + 2.2 * n_rows * len(types) / 4),
                             squeeze=False, layout="constrained")
    rng = np.random.default_rng(_JITTER_SEED)
    counts = frame["pipeline_type"].value_counts()
    for ax, (metric, spec) in zip(axes.flat, metrics.items(), strict=False):
        _panel(ax, frame, "pipeline_type", types, metric, spec.get("reference"), rng,
               colour_of=category_colour)
        ax.set_yticklabels([f"{category_label(t)} (n={counts.get(t, 0)})" for t in types],
                           fontsize=8)
        panel_title(ax, spec["label"], fontsize=9, loc="left")
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_axis_off()
    fig.suptitle(f"{len(frame)} configurations ({subset_label}) by pipeline type "
                 "(outlier-detection category)", fontsize=10, x=0.01, ha="left")
    if synthetic:
        mark_synthetic(fig)
    return fig
