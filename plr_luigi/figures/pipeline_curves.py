"""Curves of the standard pipelines (configs/pipelines.yaml), one figure per kind: calibration,
decision curves, ROC, risk-coverage, selective classification, probability distributions.

Every kind plots rows of one detail table of the results database (`CURVES[kind].table`), for
the standard pipelines found there; a pipeline the database lacks is named on the figure, never
replaced by a similar configuration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from plr_luigi.figures.style import mark_synthetic
from plr_luigi.study import schema
from plr_luigi.study.configs import load_standard_pipelines
from plr_luigi.study.display import pipeline_colour
from plr_luigi.study.unavailable import DataUnavailableError

CAL, DCA, ROC = schema.CALIBRATION, schema.DCA, schema.ROC
RET, DIST = schema.RETENTION, schema.PROBABILITY_DISTRIBUTIONS
CLASS_COLOURS = {0: "#4d4d4d", 1: "#d6604d"}
CLASS_NAMES = {0: "Control", 1: "Glaucoma"}


def _by_pipeline(rows: pd.DataFrame):
    """(name, label, colour, rows) per standard pipeline, in the order of pipelines.yaml."""
    pipelines = load_standard_pipelines()
    for name, spec in pipelines.items():
        part = rows[rows["pipeline"] == name]
        if len(part):
            yield name, spec["label"], pipeline_colour(name), part


def _legend_below(fig, ax) -> None:
    # Outside the axes: a legend inside would cover the curves it explains.
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(3, len(labels)),
               fontsize=8, frameon=False)


def _plot_calibration(fig, rows: pd.DataFrame) -> None:
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="Perfect calibration")
    for _, label, colour, part in _by_pipeline(rows):
        ax.plot(part[CAL.prob_pred], part[CAL.prob_true], marker="o", markersize=4,
                color=colour, label=label)
    ax.set(xlim=(0, 1), ylim=(0, 1), aspect="equal", xlabel="Mean predicted probability",
           ylabel="Observed fraction with glaucoma")
    ax.grid(alpha=0.3)
    _legend_below(fig, ax)


def _plot_decision_curve(fig, rows: pd.DataFrame) -> None:
    ax = fig.subplots()
    for k, (_, label, colour, part) in enumerate(_by_pipeline(rows)):
        # Treat-all depends on the test labels alone; the pipelines share one test set, so the
        # lines coincide and one legend entry names them.
        ax.plot(part[DCA.threshold], part[DCA.net_benefit_treat_all], color="#999999",
                linewidth=1, label="Treat all" if k == 0 else None)
        ax.plot(part[DCA.threshold], part[DCA.net_benefit_treat_none], color="black",
                linewidth=0.8, label="Treat none" if k == 0 else None)
        ax.plot(part[DCA.threshold], part[DCA.net_benefit_model], color=colour, label=label)
    top = rows[DCA.net_benefit_model].max()
    ax.set(xlim=(0, rows[DCA.threshold].max()), ylim=(-0.02, max(0.05, top * 1.15)),
           xlabel="Threshold probability", ylabel="Net benefit")
    ax.grid(alpha=0.3)
    _legend_below(fig, ax)


def _plot_roc(fig, rows: pd.DataFrame) -> None:
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="Chance")
    for _, label, colour, part in _by_pipeline(rows):
        ax.fill_between(part[ROC.fpr], part[ROC.tpr_ci_lo], part[ROC.tpr_ci_hi], color=colour,
                        alpha=0.12, linewidth=0)
        ax.plot(part[ROC.fpr], part[ROC.tpr], color=colour, label=label)
    ax.set(xlim=(0, 1), ylim=(0, 1.01), aspect="equal", xlabel="False positive rate",
           ylabel="True positive rate (bootstrap mean, 95% band)")
    ax.grid(alpha=0.3)
    _legend_below(fig, ax)


def _plot_risk_coverage(fig, rows: pd.DataFrame) -> None:
    ax = fig.subplots()
    for _, label, colour, part in _by_pipeline(rows):
        ax.plot(part[RET.retained_fraction], part[RET.brier], marker="o", markersize=3,
                color=colour, label=label)
    ax.set(xlim=(0, 1.02), ylim=(0, None), xlabel="Coverage (fraction of subjects retained, "
           "most certain first)", ylabel="Risk (Brier score of retained subjects)")
    ax.grid(alpha=0.3)
    _legend_below(fig, ax)


def _plot_selective_classification(fig, rows: pd.DataFrame) -> None:
    axes = fig.subplots(1, 3, sharex=True)
    panels = ((RET.auroc, "AUROC"), (RET.scaled_brier, "Scaled Brier score"),
              (RET.net_benefit, f"Net benefit at {schema.RETENTION_NET_BENEFIT_THRESHOLD:.2f}"))
    for ax, (column, title) in zip(axes, panels, strict=True):
        for _, label, colour, part in _by_pipeline(rows):
            ax.plot(part[RET.retained_fraction], part[column], marker="o", markersize=2.5,
                    color=colour, label=label)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("Retained fraction")
        ax.grid(alpha=0.3)
    _legend_below(fig, axes[0])


def _plot_probability_distributions(fig, rows: pd.DataFrame) -> None:
    groups = list(_by_pipeline(rows))
    ncols = 2 if len(groups) > 1 else 1
    axes = fig.subplots((len(groups) + ncols - 1) // ncols, ncols, sharex=True, squeeze=False)
    for ax, (_, label, colour, part) in zip(axes.flat, groups, strict=False):
        for y_true, by_class in part.groupby(DIST.y_true):
            edges = [*by_class[DIST.bin_lo], by_class[DIST.bin_hi].iloc[-1]]
            ax.stairs(by_class[DIST.count], edges, color=CLASS_COLOURS[y_true], fill=True,
                      alpha=0.35, label=CLASS_NAMES[y_true])
        ax.set_title(label, fontsize=9, color=colour)
        ax.set_xlim(0, 1)
        ax.set_ylabel("Subjects")
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(groups):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("Predicted probability of glaucoma")
    _legend_below(fig, axes.flat[0])


@dataclass(frozen=True)
class CurveKind:
    table: schema.Table
    order_by: tuple[str, ...]  # row order within a pipeline: the curve's x
    title: str
    size: tuple[float, float]
    draw: Callable


CURVES: dict[str, CurveKind] = {
    "calibration": CurveKind(CAL, (CAL.bin_index,), "Calibration", (5.5, 6.2),
                             _plot_calibration),
    "decision_curve": CurveKind(DCA, (DCA.threshold,), "Decision curves", (6.5, 5.0),
                                _plot_decision_curve),
    "roc": CurveKind(ROC, (ROC.fpr,), "ROC curves", (5.5, 6.2), _plot_roc),
    "risk_coverage": CurveKind(RET, (RET.retained_fraction,), "Risk-coverage curves",
                               (6.5, 5.0), _plot_risk_coverage),
    "selective_classification": CurveKind(RET, (RET.retained_fraction,),
                                          "Selective classification: metrics of the most "
                                          "certain subjects", (10.0, 4.2),
                                          _plot_selective_classification),
    "probability_distributions": CurveKind(DIST, (DIST.y_true, DIST.bin_index),
                                           "Predicted probabilities by class", (7.5, 6.0),
                                           _plot_probability_distributions),
}


def plot_pipeline_curves(kind: str, rows: pd.DataFrame, missing: list[str], subtitle: str,
                         synthetic: bool):
    """rows: the kind's table rows of the standard pipelines found, with a `pipeline` column;
    missing: names of standard pipelines the database lacks (named on the figure)."""
    import matplotlib.pyplot as plt

    if rows.empty:
        raise DataUnavailableError(f"{kind}: none of the standard pipelines is in the database")
    curve = CURVES[kind]
    fig = plt.figure(figsize=curve.size, layout="constrained")
    curve.draw(fig, rows)
    title = f"{curve.title}: standard pipelines ({subtitle})"
    if missing:
        labels = load_standard_pipelines()
        title += "\nnot in the database: " + ", ".join(labels[m]["label"] for m in missing)
    fig.suptitle(title, fontsize=10, x=0.02, ha="left")
    if synthetic:
        mark_synthetic(fig)
    return fig
