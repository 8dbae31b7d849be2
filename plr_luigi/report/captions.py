"""The caption of each figure on the report page, by figure name (the stem of its files)."""

from __future__ import annotations

from plr_luigi.study.display import display_name, factor_label
from plr_luigi.study.factors import FACTORS

_FIXED = {
    "metric_raincloud": "Figure 3. AUROC, IPA (scaled Brier: 1 - Brier / (prev (1 - prev)), "
                        "prev the test set's prevalence), net benefit at a 10 % threshold and "
                        "O:E ratio of the CatBoost configurations on handcrafted features, by "
                        "pipeline type (the outlier-detection method's category; n per type on "
                        "the axis): half-violin (density), box (quartiles, whiskers at 1.5 IQR) "
                        "and one point per configuration. Dashed: O:E 1.",
    "metric_raincloud_by_level": "Extended. AUROC, Brier score, calibration slope, O:E ratio "
                                 "and net benefit at a 0.15 threshold over all "
                                 "configurations, by level of each factor. Dashed lines: a "
                                 "perfectly calibrated model.",
    "prediction_instability": "Figure 7. Prediction instability (after Riley et al. 2023): per "
                              "test subject 200 sampled bootstrap predictions against its mean "
                              "and the 95 % band, one panel per standard pipeline; titles give "
                              "the mean width of the 95 % band.",
    "heatmap_outlier_imputation": "Mean AUROC of each outlier-detection x imputation pair.",
    "specification_curve": "S8. Specification curve: the CatBoost configurations on "
                           "handcrafted features ranked by AUROC with their 95 % bootstrap CIs, "
                           "coloured by pipeline type; dashed: the ground truth pipeline's "
                           "AUROC; below, the levels each one uses.",
    "specification_curve_all": "Extended. Specification curve of every configuration (all "
                               "classifiers and featurizations), as S8.",
    "critical_difference_top_pipelines": "Extended. Critical-difference diagram of the best "
                                         "configurations: average AUROC ranks over bootstrap "
                                         "iterations (Friedman test, Nemenyi critical "
                                         "difference). The iterations resample one data set, "
                                         "so they are not independent blocks: the diagram "
                                         "overstates the differences.",
    "critical_difference_outlier_method": "S3 (a). Critical-difference diagram of the "
                                          "outlier-detection methods: average AUROC ranks "
                                          "within each imputation method (Friedman test, "
                                          "Nemenyi critical difference), CatBoost on "
                                          "handcrafted features; blocks holding >= 80 % of "
                                          "the methods, then the methods complete in all.",
    "critical_difference_imputation_method": "S3 (b). Critical-difference diagram of the "
                                             "imputation methods: average AUROC ranks within "
                                             "each outlier-detection method, as S3 (a).",
    "critical_difference_outlier_category": "S3 (c). Critical-difference diagram of the "
                                            "pipeline types (outlier-detection categories): "
                                            "AUROC averaged per category and imputation "
                                            "method, ranked within each imputation method, as "
                                            "S3 (a).",
    "critical_difference_classifier": "Extended. Critical-difference diagram of the "
                                      "classifiers: average AUROC ranks within each "
                                      "preprocessing pipeline (outlier x imputation) on "
                                      "handcrafted features, with S3's completeness rule.",
    "variance_decomposition": "Figure 6. Share of the AUROC variance explained by each factor: "
                              "eta squared from sequential (type I) sums of squares "
                              "(statsmodels anova_lm), A CatBoost on handcrafted features, "
                              "auroc ~ outlier + imputation; B all classifiers on handcrafted "
                              "features, auroc ~ classifier + outlier + imputation (n per panel "
                              "in its title). Type I shares depend on the order the factors "
                              "enter: diamonds give each share averaged over every order.",
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
            item = {"outlier_method": "Figure 2 A. ", "imputation_method": "Figure 2 B. "}
            caption = (f"{item.get(factor, 'Extended. ')}AUROC by "
                       f"{factor_label(factor).lower()} level: point, the mean AUROC of the "
                       "level's configurations (n on the axis); whiskers, the lowest CI lower "
                       "bound to the highest CI upper bound of those configurations, an "
                       "envelope, not a confidence interval (the 95 % bootstrap CI of the "
                       "mean is in the JSON, mean_ci_lo / mean_ci_hi); dashed, the ground "
                       "truth pipeline's AUROC.")
    caption = caption or name.replace("_", " ").capitalize() + "."
    if subset:
        caption += " Configurations: " + ", ".join(
            f"{factor_label(f)} {display_name(f, level)}" for f, level in subset.items()) + "."
    elif subset is not None:
        caption += " Configurations: all."
    return caption
