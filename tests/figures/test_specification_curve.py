"""The specification curve drawn from plain frames, without a build: shapes a real store can
have."""

from __future__ import annotations

import matplotlib
import pandas as pd

from plr_luigi.figures.specification import plot_specification_curve

matplotlib.use("Agg")


def _configuration(outlier: str, auroc: float) -> dict:
    return {"outlier_method": outlier, "imputation_method": "CSDI", "classifier": "CatBoost",
            "featurization": "MOMENT-embedding", "auroc": auroc, "auroc_ci_lo": auroc - 0.02,
            "auroc_ci_hi": auroc + 0.02}


def test_a_single_configuration_is_drawn_without_level_rows():
    """One configuration varies in no factor (a store found with it crashed the build)."""
    import matplotlib.pyplot as plt

    fig = plot_specification_curve(pd.DataFrame([_configuration("LOF", 0.78)]), "all", None,
                                   synthetic=False)
    top, bottom = fig.axes
    assert top.lines[0].get_ydata().tolist() == [0.78]
    assert bottom.get_yticks().tolist() == []
    plt.close(fig)


def test_each_level_of_a_varying_factor_gets_a_row_marking_its_configurations():
    import matplotlib.pyplot as plt

    configs = pd.DataFrame([_configuration("LOF", 0.9), _configuration("MOMENT-gt-finetune", 0.8),
                            _configuration("LOF", 0.7)])
    fig = plot_specification_curve(configs, "all", 0.85, synthetic=False)
    _, bottom = fig.axes
    rows = {label.get_text(): line.get_xdata().tolist()
            for label, line in zip(bottom.get_yticklabels(), bottom.lines, strict=True)}
    assert sorted(rows.values()) == [[1, 3], [2]]
    plt.close(fig)
