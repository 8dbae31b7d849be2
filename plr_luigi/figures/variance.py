"""Variance decomposition: share of AUROC variance explained by each factor, with CIs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from plr_luigi.analysis.statistics import RESIDUAL, SHARED
from plr_luigi.figures.style import mark_synthetic
from plr_luigi.study.display import factor_label


def plot_variance_decomposition(frame: pd.DataFrame, synthetic: bool):
    """frame: plr_luigi.statistics.bootstrap_variance_decomposition output. Left: eta squared
    (shares of the total variance, adding up to 1); right: partial eta squared (factors only)."""
    import matplotlib.pyplot as plt

    special = {SHARED: "Shared by factors", RESIDUAL: RESIDUAL}
    names = [special.get(f) or factor_label(f) for f in frame["factor"]]
    y = np.arange(len(frame))[::-1]
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 1.6 + 0.45 * len(frame)), sharey=True,
                             layout="constrained")
    panels = (("eta_sq", "Eta squared (share of total variance)"),
              ("partial_eta_sq", "Partial eta squared"))
    for ax, (column, title) in zip(axes, panels, strict=True):
        shown = frame[column].notna().to_numpy()
        values = frame[column].to_numpy(dtype=float)
        lo = frame[f"{column}_ci_lo"].to_numpy(dtype=float)
        hi = frame[f"{column}_ci_hi"].to_numpy(dtype=float)
        colours = ["#bdbdbd" if f in special else "#2166ac" for f in frame["factor"]]
        ax.barh(y[shown], values[shown], color=np.array(colours)[shown], height=0.6)
        # The interval is drawn on its own, not as +- around the bar: replicates are
        # decompositions of single iterations, whose sampling noise the mean AUROC averages
        # out, so the interval need not contain the point estimate.
        ax.hlines(y[shown], lo[shown], hi[shown], color="black", linewidth=1)
        ax.plot(np.r_[lo[shown], hi[shown]], np.r_[y[shown], y[shown]], "|", color="black",
                markersize=7)
        for yi, value, top in zip(y[shown], values[shown], np.fmax(hi, values)[shown],
                                  strict=True):
            ax.text(top + 0.02, yi, f"{value:.2f}", va="center", fontsize=8)
        ax.set_xlim(0, 1.1)
        ax.set_xlabel("Share of variance")
        ax.set_title(title, fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(y, names)
    n_boot = int(frame["n_bootstrap"].iloc[0])
    fig.suptitle("AUROC variance by factor (type II ANOVA of main effects; 95% CI over "
                 f"{n_boot} bootstrap iterations)", fontsize=10, x=0.02, ha="left")
    if synthetic:
        mark_synthetic(fig)
    return fig
