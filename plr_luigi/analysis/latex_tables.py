"""LaTeX tables from query frames (pandas.DataFrame.to_latex, booktabs style)."""

from __future__ import annotations

import pandas as pd

from plr_luigi.study.configs import load_figure_config
from plr_luigi.study.display import display_name
from plr_luigi.study.factors import FACTORS

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
    caption = _caption(f"AUROC by {config['factor_labels'][factor].lower()} ({subset_label}).",
                       synthetic)
    return shown.to_latex(index=False, float_format="%.3f", na_rep="--", caption=caption,
                          label=label, position="htbp", escape=False)


def _caption(text: str, synthetic: bool) -> str:
    return f"{text} {SYNTHETIC_NOTE}" if synthetic else text


def top_pipelines_latex(frame: pd.DataFrame, synthetic: bool, label: str) -> str:
    """frame: plr_luigi.queries.configurations output (best first)."""
    config = load_figure_config()
    shown = pd.DataFrame({"Rank": range(1, len(frame) + 1)})
    for factor in FACTORS:
        shown[config["factor_labels"][factor]] = [display_name(factor, v) for v in frame[factor]]
    shown["AUROC"] = frame["auroc"].to_numpy()
    shown["95\\% CI"] = [f"{lo:.3f}--{hi:.3f}" for lo, hi in
                       zip(frame["auroc_ci_lo"], frame["auroc_ci_hi"], strict=True)]
    caption = _caption(f"The {len(frame)} configurations with the highest AUROC (95\\% "
                       "bootstrap CI).", synthetic)
    return _escape_cells(shown).to_latex(index=False, float_format="%.3f", caption=caption,
                                         label=label, position="htbp", escape=False)


def variance_latex(frame: pd.DataFrame, synthetic: bool, label: str) -> str:
    """frame: plr_luigi.statistics.bootstrap_variance_decomposition output."""
    config = load_figure_config()

    def interval(column: str) -> list[str]:
        return ["--" if pd.isna(v) else f"{v:.3f} ({lo:.3f}--{hi:.3f})" for v, lo, hi in
                zip(frame[column], frame[f"{column}_ci_lo"], frame[f"{column}_ci_hi"],
                    strict=True)]

    shown = pd.DataFrame({
        "Source": [config["factor_labels"].get(f, f) for f in frame["factor"]],
        "df": ["--" if pd.isna(d) else str(int(d)) for d in frame["df"]],
        "Sum of squares": frame["sum_sq"].map("{:.5f}".format),
        "$\\eta^2$ (95\\% CI)": interval("eta_sq"),
        "Partial $\\eta^2$ (95\\% CI)": interval("partial_eta_sq"),
    })
    n_boot = int(frame["n_bootstrap"].iloc[0])
    caption = _caption("Variance of AUROC over configurations explained by each factor (type II "
                       "ANOVA of main effects; Shared: explained by the factors only jointly); "
                       f"CIs over {n_boot} bootstrap iterations.", synthetic)
    return shown.to_latex(index=False, caption=caption, label=label, position="htbp",
                          escape=False)


def _escape_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Escape LaTeX specials in text cells (level names hold '_' and '&' nowhere else)."""
    # pandas 3 gives text columns the `str` dtype, older pandas `object`: both are text.
    return frame.apply(lambda col: col.str.replace("_", r"\_").str.replace("&", r"\&")
                       if col.dtype == object or pd.api.types.is_string_dtype(col.dtype)
                       else col)
