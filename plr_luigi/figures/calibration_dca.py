"""Fig 1: calibration (A) and decision curves (B) of the standard pipelines, one figure.

A: the 10 uniform bins at their midpoints, sized by count, a LOESS smooth of them with its 95 %
band, and the ground truth's calibration slope (both: the published least-squares one and the
logistic one), O:E, Brier and IPA in a box. B: net benefit over thresholds 1-30 %, treat-all
and treat-none, markers at 5/10/15/20 %, a vertical line at the test prevalence.
"""

from __future__ import annotations

from plr_luigi.figures.pipeline_style import population_sentence, title_with_missing
from plr_luigi.figures.style import mark_synthetic, panel_title
from plr_luigi.study.display import pipeline_colour


def summary_box_text(label: str, summary: dict) -> str:
    ols = summary["calibration_slope_ols_published"]
    return (f"{label} (n = {summary['n']}):\n"
            f"Calibration slope, OLS (published): {ols:.2f}\n"
            f"Calibration slope, logistic: {summary['calibration_slope_logistic']:.2f}\n"
            f"O:E {summary['o_e_ratio']:.2f}   Brier {summary['brier']:.3f}   "
            f"IPA {summary['ipa']:.2f}")


def _point_size(n, largest: int):
    return [12 + 110 * count / largest for count in n]


def plot_calibration_dca(data: dict, pipelines: dict[str, dict], missing: list[str],
                         box_pipeline: str | None, prevalence: float, markers: tuple,
                         synthetic: bool):
    """data: pipeline name -> {points, smooth, decision_curve, summary} (lists, as in the
    figure's JSON), in panel order; box_pipeline: whose summary the box shows (the ground
    truth), None when it is missing."""
    import matplotlib.pyplot as plt

    fig, (cal, dca) = plt.subplots(1, 2, figsize=(12.0, 6.0), layout="constrained")
    cal.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=0.8)
    largest = max(max(d["points"]["n"]) for d in data.values())
    for name, d in data.items():
        colour, label = pipeline_colour(name), pipelines[name]["label"]
        smooth = d["smooth"]
        cal.fill_between(smooth["x"], smooth["band_lo"], smooth["band_hi"], color=colour,
                         alpha=0.07, linewidth=0)
        cal.plot(smooth["x"], smooth["smooth"], color=colour, linewidth=1.4, label=label)
        cal.scatter(d["points"]["midpoint"], d["points"]["observed"],
                    s=_point_size(d["points"]["n"], largest), color=colour, alpha=0.75,
                    edgecolors="white", linewidths=0.5)
    if box_pipeline is not None:
        cal.text(0.02, 0.98, summary_box_text(pipelines[box_pipeline]["label"],
                                              data[box_pipeline]["summary"]),
                 transform=cal.transAxes, ha="left", va="top", fontsize=7.5,
                 bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.9,
                       "edgecolor": "#999999"})
    cal.set(xlim=(0, 1), ylim=(0, 1), aspect="equal", xlabel="Predicted probability (bin "
            "midpoint; point area: subjects in the bin)", ylabel="Observed proportion")
    panel_title(cal, "A  Calibration (LOESS of the bins, 95 % band)", loc="left", fontsize=10)
    cal.grid(alpha=0.3)

    first = next(iter(data.values()))["decision_curve"]
    dca.axhline(0, color="#666666", linestyle="--", linewidth=0.8, label="Treat none")
    dca.plot(first["threshold"], first["net_benefit_treat_all"], color="black", linestyle=":",
             linewidth=1.2, label="Treat all")
    top = 0.0
    for name, d in data.items():
        curve, colour = d["decision_curve"], pipeline_colour(name)
        dca.plot(curve["threshold"], curve["net_benefit_model"], color=colour, linewidth=1.4)
        at = [i for i, t in enumerate(curve["threshold"]) if round(t, 2) in markers]
        dca.scatter([curve["threshold"][i] for i in at],
                    [curve["net_benefit_model"][i] for i in at], color=colour, s=22, zorder=3)
        top = max(top, *curve["net_benefit_model"])
    dca.axvline(prevalence, color="#999999", linewidth=0.8)
    dca.text(prevalence, 0.98, f" prevalence {prevalence:.1%}",
             transform=dca.get_xaxis_transform(), fontsize=7.5, color="#666666", va="top")
    top = max(top, max(first["net_benefit_treat_all"]))
    dca.set(xlim=(0, max(first["threshold"])), ylim=(-0.05, top * 1.1 + 0.01),
            xlabel="Threshold probability (markers at " +
                   ", ".join(f"{m:.0%}" for m in markers) + ")", ylabel="Net benefit")
    dca.xaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    panel_title(dca, "B  Decision curves", loc="left", fontsize=10)
    dca.grid(alpha=0.3)
    handles, labels = cal.get_legend_handles_labels()
    extra_h, extra_l = dca.get_legend_handles_labels()
    fig.legend(handles + extra_h, labels + extra_l, loc="outside lower center",
               ncols=min(4, len(labels) + len(extra_l)), fontsize=8, frameon=False)
    fig.suptitle(title_with_missing("Calibration and decision curves of the standard pipelines",
                                    pipelines, missing), fontsize=10, x=0.02, ha="left")
    if synthetic:
        mark_synthetic(fig)
    return fig


def calibration_dca_caption(pipelines: dict[str, dict], box: str | None, data: dict,
                            counts: dict[str, tuple[int, int]], missing: list[str]) -> str:
    """The caption: what is drawn, the box's values with both slopes, the population."""
    text = ("Figure 1. A: calibration in 10 uniform bins drawn at their midpoints (point area: "
            "subjects in the bin; empty bins absent), a LOESS smooth of the bin points (span "
            "0.8) and its 95 % band (200 subject resamples, binned and smoothed again). B: net "
            "benefit over thresholds 1-30 % with treat-all (dotted) and treat-none (dashed), "
            "markers at 5/10/15/20 %, the vertical line at the test prevalence. ")
    if box is not None:
        s = data[box]["summary"]
        text += (f"Box: {pipelines[box]['label']}; calibration slope as published (least "
                 f"squares of y on logit(p)) {s['calibration_slope_ols_published']:.2f}, the "
                 f"logistic calibration slope {s['calibration_slope_logistic']:.2f} (the sound "
                 "one: the coefficient of logit(p) in a logistic model of the outcome), O:E "
                 f"{s['o_e_ratio']:.2f}, Brier {s['brier']:.3f} (of the bootstrap-mean "
                 f"probabilities), IPA {s['ipa']:.2f}. ")
    return text + population_sentence(pipelines, counts, missing)
