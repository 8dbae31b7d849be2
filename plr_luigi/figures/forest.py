"""Forest plot (Fig 2): per level of one factor, the mean AUROC of its configurations with the
envelope of their CIs as whiskers, and the ground truth's AUROC as the reference line."""

from __future__ import annotations

import textwrap

import pandas as pd

from plr_luigi.figures.style import mark_synthetic, panel_title
from plr_luigi.study.configs import load_figure_config
from plr_luigi.study.display import display_name, level_colour

ENVELOPE_NOTE = ("whiskers: lowest CI lower bound to highest CI upper bound of the level's "
                 "configurations (an envelope, not a confidence interval)")


def plot_forest(frame: pd.DataFrame, factor: str, subset_label: str, reference: float | None,
                synthetic: bool):
    """frame: plr_luigi.queries.factor_comparison output, best level first; reference: the
    ground truth pipeline's AUROC (no line when it is not in the database)."""
    import matplotlib.pyplot as plt

    config = load_figure_config()
    n = len(frame)
    fig, ax = plt.subplots(figsize=(7.0, 1.5 + 0.38 * n), layout="constrained")
    rows = range(n)[::-1]  # best level on top
    for y, (_, row) in zip(rows, frame.iterrows(), strict=True):
        colour = level_colour(row["level"], factor)
        ax.errorbar(row["auroc"], y, xerr=[[row["auroc"] - row["envelope_lo"]],
                                           [row["envelope_hi"] - row["auroc"]]],
                    fmt="o", color=colour, ecolor=colour, capsize=3, markersize=5)
    ax.set_yticks(list(rows))
    ax.set_yticklabels([f"{display_name(factor, lvl)} (n={k})" for lvl, k in
                        zip(frame["level"], frame["n_configurations"], strict=True)])
    if reference is not None:
        ax.axvline(reference, color="grey", linestyle="--", linewidth=1)
        # Inside the axes, along the line: a label above the axes would compete with the title.
        ax.text(reference, -0.6, f"ground truth {reference:.3f} ", rotation=90, fontsize=8,
                color="grey", ha="right", va="bottom")
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel("\n".join(["AUROC: mean of the level's configurations",
                              *textwrap.wrap(ENVELOPE_NOTE, 80)]), fontsize=8)
    panel_title(ax, f"AUROC by {config['factor_labels'][factor].lower()}\n{subset_label}",
                fontsize=10, loc="left")
    ax.grid(axis="x", alpha=0.3)
    if synthetic:
        mark_synthetic(fig)
    return fig
