"""Fig 7, prediction instability (after Riley et al. 2023): one panel per standard pipeline;
per test subject the predictions of 200 sampled bootstrap models (grey points) against the
subject's mean prediction, the 95 % band of all its bootstrap predictions (the ribbon) and the
mean (a dot coloured by class, on the diagonal). A stable model keeps the points on the
diagonal. Each panel's title gives the mean width of the 95 % band over its subjects."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from plr_luigi.figures.pipeline_style import (
    CLASS_COLOURS,
    CLASS_NAMES,
    population_sentence,
    title_with_missing,
)
from plr_luigi.figures.style import mark_synthetic, panel_title
from plr_luigi.study import schema
from plr_luigi.study.display import pipeline_colour
from plr_luigi.study.unavailable import DataUnavailableError

I = schema.PREDICTION_INSTABILITY  # noqa: E741 -- the table, as CAL/DCA elsewhere
SAMPLED = "sampled bootstrap predictions"
# One band colour for every panel (as the study): the panels are compared by the band's width.
BAND_COLOUR = "#2166ac"
SAMPLE_COLOUR = "#8c8c8c"


def mean_interval_widths(rows: pd.DataFrame) -> dict[str, float]:
    """Per pipeline: the mean over test subjects of the 95% bootstrap interval width."""
    width = rows[I.p_q97_5] - rows[I.p_q02_5]
    return {name: float(w) for name, w in width.groupby(rows["pipeline"], sort=False).mean()
            .items()}


def samples_by_subject(samples: pd.DataFrame) -> dict[str, dict[str, list[float]]]:
    """bootstrap_prediction_samples rows (with `pipeline`) -> pipeline -> subject -> the
    sampled predictions, in iteration order: what the figure draws, as its JSON holds it."""
    ordered = samples.sort_values(["pipeline", "subject_code", "iteration"])
    return {name: {code: part["y_prob"].tolist()
                   for code, part in by_pipeline.groupby("subject_code", sort=True)}
            for name, by_pipeline in ordered.groupby("pipeline", sort=False)}


def plot_prediction_instability(rows: pd.DataFrame, samples: dict[str, dict[str, list[float]]],
                                pipelines: dict[str, dict], missing: list[str],
                                synthetic: bool):
    """rows: prediction_instability rows of the pipelines found, with a `pipeline` column;
    samples: samples_by_subject of their sampled bootstrap predictions; pipelines: name ->
    spec, in panel order; missing: names the database lacks."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    names = [n for n in pipelines if n in set(rows["pipeline"])]
    if not names:
        raise DataUnavailableError("prediction instability: none of the standard pipelines is "
                                   "in the database")
    widths = mean_interval_widths(rows)
    ncols = 3 if len(names) > 4 else min(2, len(names))
    nrows = (len(names) + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.4 * ncols, 4.6 * nrows), squeeze=False,
                             sharex=True, sharey=True, layout="constrained")
    for ax, name in zip(axes.flat, names, strict=False):
        part = rows[rows["pipeline"] == name].sort_values(I.p_mean)
        ax.plot([0, 1], [0, 1], color="black", linewidth=0.6)
        ax.fill_between(part[I.p_mean], part[I.p_q02_5], part[I.p_q97_5], color=BAND_COLOUR,
                        alpha=0.18, linewidth=0,
                        label="95 % of all bootstrap predictions")
        by_subject = samples.get(name, {})
        # Arrays, not lists: scatter converts a list of 20,000 floats element by element.
        sampled = [by_subject.get(code, []) for code in part[I.subject_code]]
        xs = np.repeat(part[I.p_mean].to_numpy(float), [len(p) for p in sampled])
        ys = np.fromiter(itertools.chain.from_iterable(sampled), float, len(xs))
        ax.scatter(xs, ys, s=2.5, color=SAMPLE_COLOUR, alpha=0.15, linewidths=0,
                   label=SAMPLED)
        for label, colour in CLASS_COLOURS.items():
            subjects = part[part[I.y_true] == label]
            ax.scatter(subjects[I.p_mean], subjects[I.p_mean], s=10, color=colour, zorder=3,
                       label=f"{CLASS_NAMES[label]} (mean prediction)")
        n_per_subject = max((len(v) for v in by_subject.values()), default=0)
        panel_title(ax, f"{pipelines[name]['label']}\nmean 95 % width {widths[name]:.3f} "
                        f"({len(part)} subjects, {n_per_subject} sampled models)", fontsize=9,
                        color=pipeline_colour(name))
        ax.set(xlim=(0, 1), ylim=(0, 1), aspect="equal")
        ax.grid(alpha=0.3)
    xlabel = "Predicted risk, mean of the bootstrap models"
    for ax in axes[-1]:
        ax.set_xlabel(xlabel)
    for index in range(len(names), nrows * ncols):  # an empty slot: the panel above is lowest
        axes.flat[index].set_visible(False)
        above = axes.flat[index - ncols]
        above.tick_params(labelbottom=True)
        above.set_xlabel(xlabel)
    for ax in axes[:, 0]:
        ax.set_ylabel("Predicted risk, bootstrap models")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    # The sampled points are drawn nearly transparent; their legend marker must be seen.
    handles[labels.index(SAMPLED)] = Line2D([], [], marker="o", linestyle="", markersize=3,
                                            color=SAMPLE_COLOUR)
    fig.legend(handles, labels, loc="outside lower center", ncols=4, fontsize=8, frameon=False)
    fig.suptitle(title_with_missing("Prediction instability of the standard pipelines (test "
                                    "subjects)", pipelines, missing),
                 fontsize=10, x=0.02, ha="left")
    if synthetic:
        mark_synthetic(fig)
    return fig


def instability_caption(pipelines: dict[str, dict], widths: dict[str, float],
                        counts: dict[str, tuple[int, int]], missing: list[str]) -> str:
    return ("Figure 7. Prediction instability (Riley et al. 2023): per test subject, the "
            f"predictions of {schema.N_SAMPLED_BOOTSTRAP} sampled bootstrap models (grey; the "
            "same seeded sample of iterations for every subject of a run) against the "
            "subject's mean prediction (dot, by class), and the band from the 2.5th to the "
            "97.5th percentile of all its bootstrap predictions. Mean 95 % width: "
            + ", ".join(f"{pipelines[n]['label']} {widths[n]:.3f}"
                        for n in pipelines if n in widths)
            + ". " + population_sentence(pipelines, counts, missing))
