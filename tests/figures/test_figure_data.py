"""A figure shows exactly the data in its JSON: each PNG the build wrote is redrawn here from its
JSON alone with the same figure function, and the two must be the same picture; the plotted
artists carry the JSON's values."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from plr_luigi.study.configs import load_figure_config, load_standard_pipelines
from plr_luigi.tasks.output_base import subset_label

pytestmark = pytest.mark.slow


def _data(built, stem: str) -> dict:
    return json.loads((built["outputs"] / "figures" / f"{stem}.json").read_text())


def _redraw(stem: str, data: dict):
    from plr_luigi.figures.calibration_dca import plot_calibration_dca
    from plr_luigi.figures.forest import plot_forest
    from plr_luigi.figures.heatmap import plot_heatmap
    from plr_luigi.figures.instability import plot_prediction_instability
    from plr_luigi.figures.probability_distributions import plot_probability_distributions
    from plr_luigi.figures.raincloud import plot_metric_raincloud, plot_pipeline_type_raincloud
    from plr_luigi.figures.roc_risk_coverage import plot_roc_risk_coverage
    from plr_luigi.figures.selective_classification import plot_selective_classification
    from plr_luigi.figures.specification import plot_specification_curve
    from plr_luigi.figures.variance import plot_variance_decomposition

    synthetic, pipelines = data["synthetic"], load_standard_pipelines()
    if stem == "variance_decomposition":
        return plot_variance_decomposition(
            {name: {**panel, "rows": pd.DataFrame(panel["rows"])}
             for name, panel in data["data"].items()}, synthetic)
    if stem == "calibration_dca":
        return plot_calibration_dca(data["data"], pipelines, data["missing_pipelines"],
                                    data["box_pipeline"], data["prevalence"],
                                    tuple(data["dca_markers"]), synthetic)
    if stem == "probability_distributions":
        return plot_probability_distributions(data["data"], pipelines, data["panel_a"],
                                              data["panel_b"], data["missing_pipelines"],
                                              synthetic)
    if stem == "roc_risk_coverage":
        return plot_roc_risk_coverage(data["data"], pipelines, data["missing_pipelines"],
                                      synthetic)
    if stem == "prediction_instability":  # its data: the subjects' rows and their samples
        return plot_prediction_instability(pd.DataFrame(data["data"]["subjects"]),
                                           data["data"]["samples"], pipelines,
                                           data["missing_pipelines"], synthetic)
    frame = pd.DataFrame(data["data"])
    if stem.startswith("forest_"):
        return plot_forest(frame, data["factor"], subset_label(data["subset"]),
                           data["reference_line"]["ground_truth_auroc"], synthetic)
    if stem == "heatmap_outlier_imputation":
        return plot_heatmap(frame, "outlier_method", "imputation_method",
                            subset_label(data["subset"]), synthetic)
    if stem == "metric_raincloud":
        return plot_pipeline_type_raincloud(frame, data["metrics"], data["pipeline_types"],
                                            subset_label(data["subset"]), synthetic)
    if stem == "metric_raincloud_by_level":
        return plot_metric_raincloud(frame, data["metrics"], synthetic)
    if stem == "selective_classification":
        return plot_selective_classification(frame, pipelines, data["missing_pipelines"],
                                             synthetic)
    assert stem.startswith("specification_curve"), stem
    return plot_specification_curve(frame, subset_label(data["subset"]),
                                     data["reference_line"]["ground_truth_auroc"], synthetic)


def _pixels(source) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(source).convert("RGB"), dtype=np.int16)


@pytest.mark.parametrize("stem", ["forest_outlier_method", "forest_imputation_method",
                                  "forest_classifier", "heatmap_outlier_imputation",
                                  "specification_curve", "specification_curve_all",
                                  "variance_decomposition", "metric_raincloud",
                                  "metric_raincloud_by_level", "prediction_instability",
                                  "calibration_dca", "probability_distributions",
                                  "roc_risk_coverage", "selective_classification"])
def test_the_png_is_the_json_redrawn(built, stem):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = _redraw(stem, _data(built, stem))
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=load_figure_config()["dpi"], format="png")
    plt.close(fig)
    built_png = _pixels(built["outputs"] / "figures" / f"{stem}.png")
    redrawn = _pixels(buffer)
    assert built_png.shape == redrawn.shape
    assert np.array_equal(built_png, redrawn), "the PNG shows something its JSON does not hold"


def test_a_changed_value_changes_the_picture(built):
    """The comparison above is not blind: one level's AUROC and CI moved by 0.01 give another
    picture."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = _data(built, "forest_classifier")
    for column in ("auroc", "envelope_lo", "envelope_hi"):
        data["data"][0][column] -= 0.01
    fig = _redraw("forest_classifier", data)
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=load_figure_config()["dpi"], format="png")
    plt.close(fig)
    built_png = _pixels(built["outputs"] / "figures" / "forest_classifier.png")
    assert not np.array_equal(built_png, _pixels(buffer))


def test_forest_markers_sit_at_the_json_aurocs_best_on_top(built):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = _data(built, "forest_outlier_method")
    fig = _redraw("forest_outlier_method", data)
    markers = [line for line in fig.axes[0].lines if line.get_marker() == "o"]
    plotted = sorted(((float(m.get_ydata()[0]), float(m.get_xdata()[0])) for m in markers),
                     reverse=True)
    plt.close(fig)
    assert [x for _, x in plotted] == pytest.approx([row["auroc"] for row in data["data"]])
