"""Outlier difficulty: the shares of easy and hard annotated outliers by class."""

from __future__ import annotations

import pandas as pd

from plr_luigi.figures.style import mark_synthetic, panel_title


def plot_outlier_difficulty(shares: pd.DataFrame, synthetic: bool):
    """shares: outlier_difficulty.difficulty_shares output."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.6), layout="constrained")
    labels = [f"{c}\n({int(n):,} outliers, {int(s)} subjects)" for c, n, s in
              zip(shares["class"], shares["n_outliers"], shares["n_subjects"], strict=True)]
    ax.barh(labels, shares["easy_share"], color="tab:green", label="easy (> 3 SD of pupil_gt)")
    ax.barh(labels, shares["hard_share"], left=shares["easy_share"], color="tab:red",
            label="hard")
    for y, share in enumerate(shares["easy_share"]):
        ax.text(share, y, f" {share:.1%}", va="center", fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of annotated outlier samples")
    panel_title(ax, "Outlier difficulty by class", fontsize=10, loc="left")
    ax.legend(fontsize=8, loc="lower right")
    ax.invert_yaxis()
    if synthetic:
        mark_synthetic(fig)
    return fig
