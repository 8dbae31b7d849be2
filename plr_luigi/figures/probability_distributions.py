"""Fig 4: predicted probabilities by outcome. A: the ground truth, a density per class, a rug
of the subjects, the class means and the discrimination slope between them; B: 2x2 densities of
four standard pipelines."""

from __future__ import annotations

from plr_luigi.figures.pipeline_style import (
    CLASS_COLOURS,
    CLASS_NAMES,
    population_sentence,
    title_with_missing,
)
from plr_luigi.figures.style import mark_synthetic, panel_title
from plr_luigi.study.display import pipeline_colour


def _densities(ax, d: dict, rug: bool, means: bool) -> None:
    for label in (0, 1):
        colour = CLASS_COLOURS[label]
        ax.fill_between(d["grid"], d[f"density_{label}"], color=colour, alpha=0.3, linewidth=0)
        ax.plot(d["grid"], d[f"density_{label}"], color=colour, linewidth=1.1,
                label=f"{CLASS_NAMES[label]} (n = {d[f'n_{label}']})")
        values = [p for p, y in zip(d["y_prob"], d["y_true"], strict=True) if y == label]
        if rug:
            ax.plot(values, [0] * len(values), "|", color=colour, markersize=10, alpha=0.6,
                    transform=ax.get_xaxis_transform())
        if means:
            ax.axvline(d[f"mean_{label}"], color=colour, linestyle="--", linewidth=1)
    ax.set_xlim(0, 1)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)


def plot_probability_distributions(data: dict, pipelines: dict[str, dict], panel_a: str | None,
                                   panel_b: list[str], missing: list[str], synthetic: bool):
    """data: pipeline name -> pipeline_performance.class_densities with the subjects' y_true
    and y_prob (lists, as in the JSON); panel_a: the ground truth's name (None when missing);
    panel_b: the pipelines of B, in order (those in data)."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(13.0, 6.0), layout="constrained")
    left, right = fig.subfigures(1, 2, width_ratios=[1.0, 1.15])
    ax = left.subplots()
    if panel_a is not None:
        d = data[panel_a]
        _densities(ax, d, rug=True, means=True)
        top = ax.get_ylim()[1]
        ax.annotate("", xy=(d["mean_1"], 0.9 * top), xytext=(d["mean_0"], 0.9 * top),
                    arrowprops={"arrowstyle": "<->", "color": "black", "linewidth": 0.8})
        ax.text((d["mean_0"] + d["mean_1"]) / 2, 0.93 * top,
                f"Discrimination slope: {d['discrimination_slope']:.3f}", ha="center",
                fontsize=8)
        panel_title(ax, f"A  {pipelines[panel_a]['label']} (dashed: class means)", loc="left",
                        fontsize=10)
    else:
        panel_title(ax, "A  the ground truth is not in the database", loc="left", fontsize=10)
    ax.set(xlabel="Predicted probability of glaucoma", ylabel="Density")
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    axes = right.subplots(2, 2, sharex=True, squeeze=False)
    for ax, name in zip(axes.flat, panel_b, strict=False):
        _densities(ax, data[name], rug=True, means=False)
        panel_title(ax, pipelines[name]["label"], fontsize=9, color=pipeline_colour(name))
    for ax in axes.flat[len(panel_b):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("Predicted probability")
    for ax in axes[:, 0]:
        ax.set_ylabel("Density")
    right.suptitle("B  Standard pipelines", x=0.02, ha="left", fontsize=10)
    fig.suptitle(title_with_missing("Predicted probabilities of glaucoma by outcome (test "
                                    "subjects)", pipelines, missing),
                 fontsize=10, x=0.02, ha="left")
    if synthetic:
        mark_synthetic(fig)
    return fig


def distributions_caption(data: dict, pipelines: dict[str, dict], panel_a: str | None,
                          panel_b: list[str], counts: dict[str, tuple[int, int]],
                          missing: list[str]) -> str:
    """What is plotted, A's class means and discrimination slope, and the n per class plotted
    (not the cohort's 152 / 56 that the published legend gives)."""
    text = ("Figure 4. Predicted probability of glaucoma (bootstrap mean) of each test subject "
            "by true class: Gaussian kernel densities (Silverman's bandwidth), a rug of the "
            "subjects. ")
    if panel_a is not None:
        d = data[panel_a]
        text += (f"A: {pipelines[panel_a]['label']}, class means (dashed) {d['mean_0']:.3f} "
                 f"(control, n = {d['n_0']}) and {d['mean_1']:.3f} (glaucoma, n = "
                 f"{d['n_1']}); discrimination slope {d['discrimination_slope']:.3f}. ")
    return (text + "B: " + ", ".join(pipelines[n]["label"] for n in panel_b) + ". Plotted: the "
            "test subjects, not the 152 / 56 of the whole cohort that the published legend "
            "gives. " + population_sentence(pipelines, counts, missing))
