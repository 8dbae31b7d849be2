"""S2: selective classification of the standard pipelines: AUROC, net benefit at 15 % and
scaled Brier (IPA) of the subjects kept, against the retained fraction (most confident by
|p - 0.5| first; the retention_metrics table)."""

from __future__ import annotations

import pandas as pd

from plr_luigi.figures.pipeline_style import (
    legend_below,
    population_sentence,
    title_with_missing,
)
from plr_luigi.figures.style import mark_synthetic, panel_title
from plr_luigi.study import schema
from plr_luigi.study.display import pipeline_colour

RET = schema.RETENTION
PANELS = ((RET.auroc, "AUROC"),
          (RET.net_benefit, f"Net benefit at {schema.RETENTION_NET_BENEFIT_THRESHOLD:.0%}"),
          (RET.scaled_brier, "Scaled Brier (IPA)"))


def plot_selective_classification(rows: pd.DataFrame, pipelines: dict[str, dict],
                                  missing: list[str], synthetic: bool):
    """rows: retention_metrics rows of the pipelines found, with a `pipeline` column."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13.0, 4.6), sharex=True, layout="constrained")
    for ax, (column, title) in zip(axes, PANELS, strict=True):
        for name in (n for n in pipelines if n in set(rows["pipeline"])):
            part = rows[rows["pipeline"] == name]
            ax.plot(part[RET.retained_fraction], part[column], marker="o", markersize=2.5,
                    color=pipeline_colour(name), label=pipelines[name]["label"])
        panel_title(ax, title, fontsize=9)
        ax.set_xlabel("Retained fraction (most confident first)")
        ax.set_xlim(1.02, 0)  # as the study: from all subjects kept to few
        ax.grid(alpha=0.3)
    legend_below(fig, axes[0], ncols=5)
    fig.suptitle(title_with_missing("Selective classification of the standard pipelines",
                                    pipelines, missing), fontsize=10, x=0.02, ha="left")
    if synthetic:
        mark_synthetic(fig)
    return fig


def _direction(before: float, after: float) -> str:
    if after != after or before != before:  # NaN: the kept subjects are of one class
        return "undefined"
    return "rises" if after > before else "falls" if after < before else "is unchanged"


def selective_caption(pipelines: dict[str, dict], half: dict[str, dict[str, float]],
                      counts: dict[str, tuple[int, int]], missing: list[str]) -> str:
    """The caption, saying from the data whether AUROC rises or falls as retention drops
    (half: pipeline -> AUROC with all subjects kept and with the most confident half)."""
    trend = "; ".join(f"{pipelines[n]['label']} {half[n]['all']:.3f} -> {half[n]['kept']:.3f} "
                      f"({_direction(half[n]['all'], half[n]['kept'])})"
                      for n in pipelines if n in half)
    return ("S2. Selective classification: each pipeline's test subjects ordered by |p - 0.5| "
            "of the bootstrap-mean probability, most confident first; AUROC, net benefit at "
            f"{schema.RETENTION_NET_BENEFIT_THRESHOLD:.0%} and scaled Brier (IPA) of the "
            "subjects kept, against the fraction kept (5-100 %; AUROC and IPA undefined where "
            "the kept subjects are of one class). AUROC with all subjects -> with the most "
            f"confident half: {trend}. " + population_sentence(pipelines, counts, missing))
