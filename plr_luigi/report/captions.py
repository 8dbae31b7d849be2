"""The caption of each figure on the report page, by figure name (the stem of its files)."""

from __future__ import annotations

from plr_luigi.study.display import display_name, factor_label
from plr_luigi.study.factors import FACTORS

_FIXED = {
    "metric_raincloud": "Figure 3. AUROC, Brier score, calibration slope, O:E ratio and net "
                        "benefit at a 0.15 threshold over all configurations, by level of each "
                        "factor: half-violin (density), box (quartiles, whiskers at 1.5 IQR) and "
                        "one point per configuration. Dashed lines: a perfectly calibrated model.",
    "prediction_instability": "Figure 7. Prediction instability (after Riley et al. 2023): per "
                              "test subject 200 sampled bootstrap predictions against its mean "
                              "and the 95 % band, one panel per standard pipeline; titles give "
                              "the mean width of the 95 % band.",
    "heatmap_outlier_imputation": "Mean AUROC of each outlier-detection x imputation pair.",
    "specification_curve": "Specification curve: every configuration ranked by AUROC with its "
                           "95 % bootstrap CI; below, the levels each one uses.",
    "critical_difference_top_pipelines": "Critical-difference diagram of the best "
                                         "configurations: average AUROC ranks over bootstrap "
                                         "iterations (Friedman test, Nemenyi critical "
                                         "difference); bars join configurations not "
                                         "significantly different.",
    "variance_decomposition": "Share of the AUROC variance over configurations explained by "
                              "each factor (eta squared and partial eta squared, type II ANOVA, "
                              "bootstrap 95 % CIs).",
    "calibration_dca": "Figure 1. Calibration (10 uniform bins, LOESS with its band, the ground "
                       "truth's calibration slope, O:E, Brier and IPA) and decision curves "
                       "(1-30 %) of the standard pipelines.",
    "probability_distributions": "Figure 4. Predicted probabilities of glaucoma by true class: A "
                                 "the ground truth with class means and discrimination slope, "
                                 "B four standard pipelines.",
    "roc_risk_coverage": "S1. ROC with a subject-bootstrap band and risk-coverage (|p - 0.5| "
                         "order, error rate, AURC) of the standard pipelines.",
    "selective_classification": "S2. AUROC, net benefit at 15 % and scaled Brier of the most "
                                "confident subjects (|p - 0.5|) against the fraction kept.",
    "shap_importance": "Figure 5. Mean |SHAP| per handcrafted feature (exact TreeSHAP of member "
                       "0 of each bootstrap ensemble on the test subjects; bar: mean over the "
                       "bootstrap models, whiskers: 2.5-97.5 percentiles), A ground truth, B "
                       "best ensemble; colour: stimulus; *: VIF > 10 in the training data; "
                       "diamond: the same for the ensemble's mean over both members.",
    "shap_configurations": "S7. Mean |SHAP| per handcrafted feature for each standard pipeline "
                           "and the mean over the best configurations by AUROC (whiskers: "
                           "range of their means).",
    "feature_vif": "Extended. Variance inflation factor of each handcrafted feature in the "
                   "training data of every explained configuration; dashed: 10.",
    "demo_traces": "The light protocol and the pupil traces of the demo subjects (public "
                   "codes), from the private source database.",
}


def figure_caption(name: str, subset: dict[str, str] | None) -> str:
    """The figure's caption, with the subset of configurations it shows (from its JSON)."""
    caption = _FIXED.get(name)
    for factor in FACTORS:
        if name == f"forest_{factor}":
            caption = (f"AUROC (mean and 95 % bootstrap CI) by {factor_label(factor).lower()} "
                       "level.")
        elif name == f"critical_difference_{factor}":
            caption = (f"Critical-difference diagram of the {factor_label(factor).lower()} "
                       "levels (Friedman test over bootstrap iterations, Nemenyi critical "
                       "difference).")
    caption = caption or name.replace("_", " ").capitalize() + "."
    if subset:
        caption += " Configurations: " + ", ".join(
            f"{factor_label(f)} {display_name(f, level)}" for f, level in subset.items()) + "."
    elif subset is not None:
        caption += " Configurations: all."
    return caption
