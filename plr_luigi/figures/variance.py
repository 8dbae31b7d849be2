"""Variance decomposition (Fig 6): the share of AUROC variance each factor explains, eta
squared from sequential (type I) sums of squares, one panel per model."""

from __future__ import annotations

import numpy as np

from plr_luigi.analysis.statistics import RESIDUAL
from plr_luigi.figures.style import mark_synthetic, panel_title
from plr_luigi.study.display import factor_label


def plot_variance_decomposition(panels: dict[str, dict], synthetic: bool):
    """panels: statistical_inputs.variance_panels output. Bars: type I eta squared (the
    published statistic); open diamonds: the order-averaged share."""
    import matplotlib.pyplot as plt

    n_rows = max(len(p["rows"]) for p in panels.values())
    fig, axes = plt.subplots(1, len(panels), figsize=(4.8 * len(panels), 1.6 + 0.5 * n_rows),
                             squeeze=False, layout="constrained")
    for ax, (name, panel) in zip(axes[0], panels.items(), strict=True):
        rows = panel["rows"]
        y = np.arange(len(rows))[::-1]
        colours = ["#bdbdbd" if f == RESIDUAL else "#2166ac" for f in rows["factor"]]
        ax.barh(y, rows["eta_sq"], color=colours, height=0.6, label="type I (published)")
        ax.plot(rows["eta_sq_order_averaged"], y, "D", mfc="none", mec="black", markersize=6,
                label="averaged over factor orders")
        for yi, value, other in zip(y, rows["eta_sq"], rows["eta_sq_order_averaged"],
                                    strict=True):
            ax.text(max(value, other, 0) + 0.04, yi, f"{100 * value:.1f} %", va="center",
                    fontsize=8)
        ax.set_yticks(y, [RESIDUAL if f == RESIDUAL else factor_label(f)
                          for f in rows["factor"]])
        ax.set_xlim(0, 1.1)
        ax.set_xlabel("Eta squared (share of AUROC variance)")
        formula = " + ".join(factor_label(f).lower() for f in panel["factors"])
        panel_title(ax, f"{name}  {panel['title']}, n = {panel['n_configurations']}\n"
                    f"AUROC ~ {formula}", fontsize=9, loc="left")
        ax.grid(axis="x", alpha=0.3)
    axes[0][0].legend(fontsize=7, loc="lower right")
    fig.suptitle("AUROC variance by factor: eta squared from sequential (type I) sums of "
                 "squares,\nfactors entering in the order of the formula", fontsize=10, x=0.01,
                 ha="left")
    if synthetic:
        mark_synthetic(fig)
    return fig
