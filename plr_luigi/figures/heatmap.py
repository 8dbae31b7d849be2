"""Heatmap of mean AUROC over two factors (outlier detection x imputation)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from plr_luigi.figures.style import mark_synthetic, panel_title
from plr_luigi.study.display import display_name, factor_label


def plot_heatmap(cells: pd.DataFrame, rows: str, columns: str, subset_label: str,
                 synthetic: bool):
    """cells: plr_luigi.queries.heatmap_cells output. Rows and columns are ordered by their
    mean AUROC (best top left); a combination that was not run stays an empty, hatched cell."""
    import matplotlib.pyplot as plt

    grid = cells.pivot(index="row_level", columns="column_level", values="auroc")
    grid = grid.loc[grid.mean(axis=1).sort_values(ascending=False).index,
                    grid.mean(axis=0).sort_values(ascending=False).index]
    fig, ax = plt.subplots(figsize=(2.8 + 1.0 * grid.shape[1], 1.8 + 0.45 * grid.shape[0]),
                           layout="constrained")
    ax.set_facecolor("#f0f0f0")
    ax.patch.set_hatch("///")
    ax.patch.set_edgecolor("#d0d0d0")
    image = ax.imshow(np.ma.masked_invalid(grid.to_numpy(dtype=float)), cmap="viridis",
                      aspect="auto")
    low, high = image.get_clim()
    for (i, j), value in np.ndenumerate(grid.to_numpy(dtype=float)):
        if not np.isnan(value):
            # Dark text on the bright end of viridis, light text elsewhere.
            text_colour = "black" if value > low + 0.6 * (high - low) else "white"
            ax.text(j, i, f"{value:.3f}", ha="center", va="center", fontsize=8,
                    color=text_colour)
    ax.set_xticks(range(grid.shape[1]),
                  [display_name(columns, c) for c in grid.columns], rotation=35, ha="right")
    ax.set_yticks(range(grid.shape[0]), [display_name(rows, r) for r in grid.index])
    ax.set_xlabel(factor_label(columns))
    ax.set_ylabel(factor_label(rows))
    fig.colorbar(image, ax=ax, label="Mean AUROC", shrink=0.8)
    panel_title(ax, f"Mean AUROC, {factor_label(rows).lower()} x {factor_label(columns).lower()}"
                f"\n{subset_label}; hatched: not run", fontsize=10, loc="left")
    if synthetic:
        mark_synthetic(fig)
    return fig
