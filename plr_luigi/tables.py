"""LaTeX tables from query frames (pandas.DataFrame.to_latex, booktabs style)."""

from __future__ import annotations

import pandas as pd

from plr_luigi.figures.style import display_name, load_figure_config

SYNTHETIC_NOTE = r"\textbf{Synthetic data:} not study results."


def factor_summary_latex(frame: pd.DataFrame, factor: str, subset_label: str,
                         synthetic: bool, label: str) -> str:
    """frame: plr_luigi.queries.factor_summary output."""
    config = load_figure_config()
    shown = pd.DataFrame({
        config["factor_labels"][factor]: [display_name(factor, lvl) for lvl in frame["level"]],
        "Mean AUROC": frame["mean"], "SD": frame["sd"], "Min": frame["min"],
        "Max": frame["max"], "n": frame["n"].astype(int),
    })
    caption = f"AUROC by {config['factor_labels'][factor].lower()} ({subset_label})."
    if synthetic:
        caption += " " + SYNTHETIC_NOTE
    return shown.to_latex(index=False, float_format="%.3f", na_rep="--", caption=caption,
                          label=label, position="htbp", escape=False)
