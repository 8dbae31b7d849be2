"""Forest plot: AUROC with its 95% bootstrap CI per level of one factor."""

from __future__ import annotations

import pandas as pd

from plr_luigi.figures.style import mark_synthetic
from plr_luigi.study.configs import load_figure_config
from plr_luigi.study.display import display_name, level_colour


def plot_forest(frame: pd.DataFrame, factor: str, subset_label: str, synthetic: bool):
    """frame: plr_luigi.queries.factor_comparison output, best level first."""
    import matplotlib.pyplot as plt

    config = load_figure_config()
    n = len(frame)
    fig, ax = plt.subplots(figsize=(7.0, 1.2 + 0.38 * n), layout="constrained")
    rows = range(n)[::-1]  # best level on top
    for y, (_, row) in zip(rows, frame.iterrows(), strict=True):
        colour = level_colour(row["level"])
        ax.errorbar(row["auroc"], y, xerr=[[row["auroc"] - row["auroc_ci_lo"]],
                                           [row["auroc_ci_hi"] - row["auroc"]]],
                    fmt="o", color=colour, ecolor=colour, capsize=3, markersize=5)
    ax.set_yticks(list(rows))
    ax.set_yticklabels([f"{display_name(factor, lvl)} (n={k})" for lvl, k in
                        zip(frame["level"], frame["n_configurations"], strict=True)])
    reference = config["reference_auroc"]
    ax.axvline(reference, color="grey", linestyle="--", linewidth=1)
    # Inside the axes, along the line: a label above the axes would compete with the title.
    ax.text(reference, -0.6, f"published {reference:.2f} ", rotation=90, fontsize=8,
            color="grey", ha="right", va="bottom")
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel("AUROC (mean over configurations, 95% bootstrap CI)")
    ax.set_title(f"AUROC by {config['factor_labels'][factor].lower()}\n{subset_label}",
                 fontsize=10, loc="left")
    ax.grid(axis="x", alpha=0.3)
    if synthetic:
        mark_synthetic(fig)
    return fig
