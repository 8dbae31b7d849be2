"""Preprocessing quality against AUROC: outlier F1 and imputation MAE, one panel each."""

from __future__ import annotations

import textwrap

import pandas as pd

from plr_luigi.figures.style import mark_synthetic, panel_title

FAMILY_MARKERS = {"plain": "o", "thresholded": "s", "point-adjusted": "^", "ground truth": "*"}


def plot_preprocessing_quality(f1: pd.DataFrame, mae: pd.DataFrame, stats: dict,
                               subset_label: str, note: str, synthetic: bool):
    """f1 / mae: upstream_queries.outlier_f1_vs_auroc / imputation_mae_vs_auroc; stats: panel
    -> {r, p, n} or {unavailable: reason}."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10.0, 4.6), layout="constrained",
                                      sharey=True)
    for family, rows in f1.groupby("f1_definition"):
        left.scatter(rows["f1"], rows["auroc"], marker=FAMILY_MARKERS.get(family, "o"),
                     label=f"{family} F1", alpha=0.8)
    left.legend(fontsize=8, loc="lower right")
    right.scatter(mae["mae"], mae["auroc"], alpha=0.8, color="tab:purple")
    for ax, panel, xlabel in ((left, "outlier", "Outlier detection F1 (outlier_test)"),
                              (right, "imputation", "Imputation MAE (test, standardised)")):
        s = stats[panel]
        text = (s["unavailable"] if "unavailable" in s else
                f"r = {s['r']:.2f}, n = {s['n']}, p = {s['p']:.3g}")
        panel_title(ax, text, fontsize=10, loc="left")
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
    left.set_ylabel(f"AUROC ({subset_label})")
    fig.suptitle("Preprocessing quality vs AUROC", fontsize=11, x=0.01, ha="left")
    fig.get_layout_engine().set(rect=(0, 0.1, 1, 0.9))
    fig.text(0.01, 0.01, textwrap.fill(note, 150), fontsize=7, ha="left", va="bottom")
    if synthetic:
        mark_synthetic(fig)
    return fig
