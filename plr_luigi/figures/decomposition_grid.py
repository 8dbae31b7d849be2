"""The decomposition grid: methods (rows) x preprocessing categories (columns), the three
components of each with their bootstrap 95% CIs."""

from __future__ import annotations

from plr_luigi.figures.style import mark_synthetic, panel_title

COLOURS = ("tab:blue", "tab:orange", "tab:green")


def plot_decomposition_grid(grid: dict, methods: tuple[str, ...], method_labels: dict[str, str],
                            categories: tuple[str, ...], synthetic: bool):
    """grid: category -> decomposition.decompose_category result, or None (no signals)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(methods), len(categories), figsize=(15, 11), sharex=True,
                             layout="constrained", squeeze=False)
    # The panels share x: each band (fill_between, a collection) would otherwise rescale the x
    # of all of them as it is added; the shared x is scaled once, from every panel's data, below.
    for ax in axes.flat:
        ax.set_autoscalex_on(False)
    for col, category in enumerate(categories):
        result = grid.get(category)
        for row, method in enumerate(methods):
            ax = axes[row][col]
            if row == 0:
                panel_title(ax, category, fontsize=10)
            if col == 0:
                ax.set_ylabel(method_labels[method], fontsize=9)
            if result is None:
                ax.text(0.5, 0.5, "no signals", ha="center", va="center",
                        transform=ax.transAxes, color="grey")
                continue
            summary, time = result[method], result["time"]
            for k, colour in enumerate(COLOURS):
                ax.fill_between(time, summary["ci_lo"][k], summary["ci_hi"][k], color=colour,
                                alpha=0.25, linewidth=0)
                ax.plot(time, summary["mean"][k], color=colour, linewidth=1,
                        label=f"component {k + 1}")
            ax.grid(alpha=0.3)
    for ax in axes.flat:
        ax.autoscale(axis="x")
    for ax in axes[-1]:
        ax.set_xlabel("time (s)")
    axes[0][0].legend(fontsize=7, loc="lower left")
    fig.suptitle("Signal decomposition by preprocessing category (mean component waveform, "
                 "bootstrap 95% CI; standardised units, baseline-corrected)", fontsize=11)
    if synthetic:
        mark_synthetic(fig)
    return fig
