"""Critical-difference diagram (Demšar 2006): average ranks on an axis, bars joining treatments
whose ranks differ by less than the Nemenyi critical difference."""

from __future__ import annotations

from plr_luigi.figures.style import mark_synthetic, panel_title

AXIS_WIDTH_IN = 4.5  # width of the rank axis
CHAR_WIDTH_IN = 0.058  # a generous mean glyph width at 8 pt, to reserve room for the labels
LINE_STEP = 0.3  # vertical room per label line, in data units


def plot_critical_difference(result: dict, labels: dict[str, str], colours: dict[str, str],
                             title: str, synthetic: bool, blocks: str = "bootstrap iterations"):
    """result: plr_luigi.statistics.friedman_nemenyi output; labels and colours per treatment;
    blocks: what a block is (e.g. "imputation methods").
    The better half of the treatments is named on the left, the rest on the right. Labels sit
    inside the axes, in margins sized from their length, so nothing is clipped."""
    import matplotlib.pyplot as plt

    ranks = result["ranks"]  # best first
    names = list(ranks)
    k = len(names)
    left, right = names[:(k + 1) // 2], names[(k + 1) // 2:]
    text = {n: f"{labels[n]} ({ranks[n]:.2f})" for n in names}
    widest = max(len(line) for n in names for line in text[n].split("\n"))
    lines = max(text[n].count("\n") + 1 for n in names)
    label_in = 0.4 + CHAR_WIDTH_IN * widest
    per_inch = (k - 1) / AXIS_WIDTH_IN
    margin = label_in * per_inch
    step = LINE_STEP * lines + 0.05
    cliques = result["cliques"]
    n_side = max(len(left), len(right))
    height = 2.4 + 0.12 * len(cliques) + 0.3 * lines * n_side
    fig, ax = plt.subplots(figsize=(AXIS_WIDTH_IN + 2 * label_in, height), layout="constrained")
    ax.set_xlim(1 - margin, k + margin)
    ax.hlines(0, 1, k, color="black", linewidth=1)
    for r in range(1, k + 1):
        ax.vlines(r, 0, 0.12, color="black", linewidth=1)
        ax.text(r, 0.18, str(r), ha="center", va="bottom", fontsize=8)
    cd = result["critical_difference"]
    ax.plot([1, 1 + cd], [0.75, 0.75], color="black", linewidth=2)
    ax.text(1 + cd / 2, 0.85, f"CD = {cd:.2f}", ha="center", va="bottom", fontsize=8)
    # Clique bars just below the axis, then the treatments' elbows below them.
    for i, clique in enumerate(cliques):
        y = -0.25 - 0.18 * i
        ax.hlines(y, ranks[clique[0]] - 0.03, ranks[clique[-1]] + 0.03, color="black",
                  linewidth=3)
    first_label = -0.25 - 0.18 * len(cliques) - 0.2
    for side, group in (("left", left), ("right", right[::-1])):
        for j, name in enumerate(group):
            y = first_label - step * j
            x_end = 0.9 - 0.1 * per_inch if side == "left" else k + 0.1 + 0.1 * per_inch
            ax.plot([ranks[name], ranks[name], x_end], [0, y, y], color=colours[name],
                    linewidth=1)
            ax.text(x_end, y, text[name], ha="right" if side == "left" else "left",
                    va="center", fontsize=8, color=colours[name], linespacing=1.1)
    ax.set_ylim(first_label - step * (n_side - 0.4), 1.15)
    ax.axis("off")
    p = result["p_value"]
    p_text = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
    panel_title(ax, f"{title}\nFriedman chi2 = {result['statistic']:.1f}, {p_text}; "
                f"{result['n_blocks']} {blocks} as blocks;\nNemenyi alpha = "
                f"{result['alpha']}; average rank in brackets (1 = best)", fontsize=9,
                loc="left")
    if synthetic:
        mark_synthetic(fig)
    return fig
