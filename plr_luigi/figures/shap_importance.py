"""SHAP importance bars (Fig 5, S7) and the VIF figure (extended).

Bars: mean |SHAP| of member 0 over the bootstrap models (the study's rule) with its 95%
percentile interval, coloured by the feature's stimulus (`Blue_*`, `Red_*`, other); a black
diamond beside each bar: the same for the ensemble's mean (a difference from the published
method). Features with VIF > threshold in that configuration's training data are marked.
"""

from __future__ import annotations

import pandas as pd

from plr_luigi.figures.style import mark_synthetic, panel_title

STIMULUS_COLOURS = {"Blue": "#1f5fbf", "Red": "#c62828", "other": "#7f7f7f"}
STUDY_RULE = "member0"
SOUND_RULE = "ensemble_mean"


def stimulus(feature: str) -> str:
    prefix = feature.split("_", 1)[0]
    return prefix if prefix in ("Blue", "Red") else "other"


def _panel(ax, rows: pd.DataFrame, title: str, high_vif: set[str], vif_threshold: float) -> None:
    study = rows[rows["member_rule"] == STUDY_RULE].sort_values("mean_abs_shap")
    sound = rows[rows["member_rule"] == SOUND_RULE].set_index("feature")
    y = range(len(study))
    colours = [STIMULUS_COLOURS[stimulus(f)] for f in study["feature"]]
    ax.barh(list(y), study["mean_abs_shap"], color=colours, alpha=0.85,
            xerr=[study["mean_abs_shap"] - study["ci_lo"], study["ci_hi"] - study["mean_abs_shap"]],
            error_kw={"ecolor": "black", "capsize": 2, "linewidth": 0.8})
    if len(sound):
        ax.plot(sound.loc[study["feature"], "mean_abs_shap"], [v + 0.3 for v in y], "kD",
                markersize=3.5)
    ax.set_yticks(list(y))
    ax.set_yticklabels([f"{f} *" if f in high_vif else f for f in study["feature"]], fontsize=8)
    n = int(study["n_models"].max()) if len(study) else 0
    panel_title(ax, f"{title}\n({n} bootstrap models)", fontsize=8, loc="left")
    ax.set_xlabel("mean |SHAP| (log-odds), 95% bootstrap interval", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    if high_vif:
        ax.text(0.99, 0.01, f"* VIF > {vif_threshold:g}", transform=ax.transAxes, ha="right",
                va="bottom", fontsize=7)


def _legend(fig) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [Patch(color=c, label=f"{k} stimulus" if k != "other" else "no stimulus")
               for k, c in STIMULUS_COLOURS.items()]
    handles.append(Line2D([], [], marker="D", color="black", linestyle="", markersize=4,
                          label="ensemble mean (both members)"))
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=8, frameon=False)


def plot_shap_panels(panels: list[tuple[str, pd.DataFrame, set[str]]], vif_threshold: float,
                     synthetic: bool, ncols: int = 2):
    """One panel per (title, shap_importance rows of one configuration, features with high
    VIF)."""
    import matplotlib.pyplot as plt

    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.8 * ncols, 3.4 * nrows + 0.6),
                             squeeze=False, layout="constrained")
    for ax, (title, rows, high_vif) in zip(axes.flat, panels, strict=False):
        _panel(ax, rows, title, high_vif, vif_threshold)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    fig.get_layout_engine().set(rect=(0, 0.06, 1, 0.94))
    _legend(fig)
    if synthetic:
        mark_synthetic(fig)
    return fig


def plot_vif(frame: pd.DataFrame, vif_threshold: float, synthetic: bool):
    """VIF per feature (rows) and explained configuration (points), threshold line."""
    import matplotlib.pyplot as plt

    features = sorted(frame["feature"].unique())
    fig, ax = plt.subplots(figsize=(7.0, 1.0 + 0.4 * len(features)), layout="constrained")
    position = {f: i for i, f in enumerate(features)}
    n_configs = frame["config_id"].nunique()
    for i, (_, rows) in enumerate(frame.groupby("config_id", sort=True)):
        offset = (i / max(1, n_configs - 1) - 0.5) * 0.5  # configurations side by side
        ax.scatter(rows["vif"], [position[f] + offset for f in rows["feature"]], s=14,
                   color=[STIMULUS_COLOURS[stimulus(f)] for f in rows["feature"]], alpha=0.7)
    ax.axvline(vif_threshold, color="black", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    ax.set_yticks(range(len(features)))
    ax.set_yticklabels(features, fontsize=8)
    ax.set_xlabel(f"variance inflation factor in x_train (log scale); dashed: {vif_threshold:g}")
    panel_title(ax, f"Collinearity of the handcrafted features, {n_configs} "
                    "explained configurations (one point each)", fontsize=9, loc="left")
    ax.grid(axis="x", alpha=0.3)
    if synthetic:
        mark_synthetic(fig)
    return fig
