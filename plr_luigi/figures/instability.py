"""Prediction instability (figure 7, after Riley et al. 2023): for each standard CatBoost
pipeline, every test subject's bootstrap predictions against their mean.

A subject is a vertical bar at its bootstrap-mean probability: thin from the 2.5th to the
97.5th percentile, thick over the quartiles, a dot at the median. A stable model keeps the bars
short and on the diagonal. The headline of each panel is the mean width of the 95% band.
"""

from __future__ import annotations

import pandas as pd

from plr_luigi.figures.style import mark_synthetic
from plr_luigi.study import schema
from plr_luigi.study.display import pipeline_colour
from plr_luigi.study.unavailable import DataUnavailableError

I = schema.PREDICTION_INSTABILITY  # noqa: E741 -- the table, as CAL/DCA elsewhere
CLASS_STYLE = {0: ("#4d4d4d", "Control"), 1: ("#d6604d", "Glaucoma")}


def mean_interval_widths(rows: pd.DataFrame) -> dict[str, float]:
    """Per pipeline: the mean over test subjects of the 95% bootstrap interval width."""
    width = rows[I.p_q97_5] - rows[I.p_q02_5]
    return {name: float(w) for name, w in width.groupby(rows["pipeline"], sort=False).mean()
            .items()}


def plot_prediction_instability(rows: pd.DataFrame, pipelines: dict[str, dict],
                                missing: list[str], synthetic: bool):
    """rows: prediction_instability rows of the pipelines found, with a `pipeline` column;
    pipelines: name -> spec, in panel order; missing: names the database lacks."""
    import matplotlib.pyplot as plt

    names = [n for n in pipelines if n in set(rows["pipeline"])]
    if not names:
        raise DataUnavailableError("prediction instability: none of the standard CatBoost "
                                   "pipelines is in the database")
    widths = mean_interval_widths(rows)
    ncols = min(2, len(names))
    nrows = (len(names) + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 4.9 * nrows), squeeze=False,
                             sharex=True, sharey=True, layout="constrained")
    for ax, name in zip(axes.flat, names, strict=False):
        part = rows[rows["pipeline"] == name]
        ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=0.8)
        for label, (colour, class_name) in CLASS_STYLE.items():
            subjects = part[part[I.y_true] == label]
            ax.vlines(subjects[I.p_mean], subjects[I.p_q02_5], subjects[I.p_q97_5],
                      color=colour, linewidth=0.8, alpha=0.6)
            ax.vlines(subjects[I.p_mean], subjects[I.p_q25], subjects[I.p_q75], color=colour,
                      linewidth=2.6, alpha=0.8)
            ax.scatter(subjects[I.p_mean], subjects[I.p_q50], s=9, color=colour, zorder=3,
                       label=f"{class_name} (n = {len(subjects)})")
        ax.set_title(f"{pipelines[name]['label']}: mean 95% interval width "
                     f"{widths[name]:.3f}", fontsize=9, color=pipeline_colour(name))
        ax.set(xlim=(0, 1), ylim=(0, 1), aspect="equal")
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("Bootstrap-mean predicted probability")
    for ax in axes[:, 0]:
        ax.set_ylabel("Bootstrap predictions\n(median, quartiles, 2.5-97.5%)")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=8, frameon=False)
    title = ("Prediction instability: each test subject's bootstrap predictions, standard "
             "CatBoost pipelines")
    if missing:
        title += "\nnot in the database: " + ", ".join(pipelines[m]["label"] for m in missing)
    fig.suptitle(title, fontsize=10, x=0.02, ha="left")
    if synthetic:
        mark_synthetic(fig)
    return fig
