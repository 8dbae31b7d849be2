"""S1: ROC curves of the standard pipelines' mean predictions with a 95 % band from subject
resamples (AUROC in the legend), and risk-coverage curves (most confident subjects first by
|p - 0.5|; risk = error rate at threshold 0.5; AURC in the legend)."""

from __future__ import annotations

from plr_luigi.figures.pipeline_style import population_sentence, title_with_missing
from plr_luigi.figures.style import mark_synthetic, panel_title
from plr_luigi.study.display import pipeline_colour


def plot_roc_risk_coverage(data: dict, pipelines: dict[str, dict], missing: list[str],
                           synthetic: bool):
    """data: pipeline name -> {roc, risk_coverage, aurc} (lists, as in the JSON)."""
    import matplotlib.pyplot as plt

    fig, (roc, rc) = plt.subplots(1, 2, figsize=(12.0, 6.0), layout="constrained")
    roc.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=0.8)
    for name, d in data.items():
        colour, label = pipeline_colour(name), pipelines[name]["label"]
        curve = d["roc"]
        roc.fill_between(curve["fpr"], curve["tpr_ci_lo"], curve["tpr_ci_hi"], color=colour,
                         alpha=0.07, linewidth=0)
        roc.plot(curve["fpr"], curve["tpr"], color=colour,
                 label=f"{label} (AUROC {curve['auroc']:.3f})")
        rc.step(d["risk_coverage"]["coverage"], d["risk_coverage"]["risk"], where="post",
                color=colour, label=f"{label} (AURC {d['aurc']:.3f})")
    roc.set(xlim=(0, 1), ylim=(0, 1.01), aspect="equal", xlabel="False positive rate",
            ylabel="True positive rate")
    panel_title(roc, "A  ROC of the mean predictions (95 % band: 200 subject resamples)",
                     loc="left", fontsize=10)
    rc.set(xlim=(0, 1.0), ylim=(0, None), xlabel="Coverage (fraction of subjects kept, most "
           "confident |p - 0.5| first)", ylabel="Risk (error rate at threshold 0.5)")
    panel_title(rc, "B  Risk-coverage", loc="left", fontsize=10)
    for ax in (roc, rc):
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right" if ax is roc else "upper left", fontsize=7.5,
                  frameon=False)
    fig.suptitle(title_with_missing("ROC and risk-coverage of the standard pipelines",
                                    pipelines, missing), fontsize=10, x=0.02, ha="left")
    if synthetic:
        mark_synthetic(fig)
    return fig


def roc_risk_coverage_caption(pipelines: dict[str, dict], counts: dict[str, tuple[int, int]],
                              missing: list[str]) -> str:
    return ("S1. A: ROC curves of the bootstrap-mean predictions with a 95 % band (2.5 / 97.5 "
            "percentiles over 200 resamples of the test subjects, seeded), AUROC in the legend. "
            "B: risk-coverage: subjects ordered by |p - 0.5|, most confident first; risk = "
            "error rate at threshold 0.5 of the subjects kept; AURC (area under the curve, "
            "trapezoids) in the legend, lower is better. "
            + population_sentence(pipelines, counts, missing))
