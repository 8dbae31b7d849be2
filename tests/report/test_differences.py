"""The differences from the published methods: each (D) case with both values, read from the
outputs' JSON as the manuscript's configuration says, on hand-made outputs."""

from __future__ import annotations

import json

from plr_luigi.report.differences import differences
from plr_luigi.study.manuscript import ManuscriptItem, load_manuscript_items


def _item(name: str, *differences_: dict) -> ManuscriptItem:
    return ManuscriptItem(item=name, title=name, outputs=(), population="handcrafted",
                          population_levels={}, grouping="", statistic="",
                          differences=differences_)


TEXTS = {"published": "envelope", "sound": "CI of the mean", "why": "an envelope widens"}


def _write(path, document) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))


def test_rows_of_one_list_pairs_and_single_records_are_read(tmp_path):
    _write(tmp_path / "figures" / "forest.json", {"data": [
        {"level": "LOF", "envelope_lo": 0.8, "envelope_hi": 0.95, "mean_ci_lo": 0.86,
         "mean_ci_hi": 0.88},
        {"level": "MOMENT", "envelope_lo": 0.81, "envelope_hi": 0.9, "mean_ci_lo": 0.84,
         "mean_ci_hi": 0.85}]})
    _write(tmp_path / "figures" / "box.json", {"data": {"gt": {"summary": {
        "ols": 0.12, "logistic": 1.047}}}})
    forest = {**TEXTS, "values": [{"file": "figures/forest.json", "label": "level",
                                   "published": {"at": "data",
                                                 "value": ["envelope_lo", "envelope_hi"]},
                                   "sound": {"at": "data",
                                             "value": ["mean_ci_lo", "mean_ci_hi"]}}]}
    box = {**TEXTS, "values": [{"file": "figures/box.json", "label": "ground truth",
                                "published": {"at": "data.gt.summary", "value": "ols"},
                                "sound": {"at": "data.gt.summary", "value": "logistic"}}]}
    views = differences((_item("Fig 1", box), _item("Fig 2", forest)), tmp_path)
    assert [v.item for v in views] == ["Fig 1", "Fig 2"]
    assert views[0].rows == (("ground truth", "0.120", "1.047"),)
    assert views[1].rows == (("LOF", "0.800–0.950", "0.860–0.880"),
                             ("MOMENT", "0.810–0.900", "0.840–0.850"))
    assert views[1].source == "figures/forest.json: data" and views[1].unavailable is None


def test_two_lists_are_joined_on_the_label_and_filtered(tmp_path):
    _write(tmp_path / "tables" / "t2.json", {
        "unavailable": None,
        "published_treatment_coding": [{"term": "A", "omega_sq": 0.5},
                                       {"term": "B", "omega_sq": 0.1}],
        "sum_to_zero": [{"term": "B", "omega_sq": 0.2}]})
    _write(tmp_path / "figures" / "shap.json", {"data": {"gt": [
        {"feature": "Blue_PIPR", "member_rule": "member0", "mean_abs_shap": 0.3},
        {"feature": "Blue_PIPR", "member_rule": "ensemble_mean", "mean_abs_shap": 0.25}]}})
    t2 = {**TEXTS, "values": [{"file": "tables/t2.json", "label": "term",
                               "published": {"at": "published_treatment_coding",
                                             "value": "omega_sq"},
                               "sound": {"at": "sum_to_zero", "value": "omega_sq"}}]}
    shap = {**TEXTS, "values": [{"file": "figures/shap.json", "label": "feature",
                                 "published": {"at": "data.gt", "value": "mean_abs_shap",
                                               "where": {"member_rule": "member0"}},
                                 "sound": {"at": "data.gt", "value": "mean_abs_shap",
                                           "where": {"member_rule": "ensemble_mean"}}}]}
    t2_view, shap_view = differences((_item("T2", t2), _item("Fig 5", shap)), tmp_path)
    assert t2_view.rows == (("A", "0.500", "(absent)"), ("B", "0.100", "0.200"))
    assert shap_view.rows == (("Blue_PIPR", "0.300", "0.250"),)


def test_macros_are_paired_by_what_the_star_stands_for(tmp_path):
    def number(macro, display, unavailable=None):
        return {"macro": macro, "display": display, "unavailable": unavailable}

    _write(tmp_path / "numbers.json", {"unavailable": None, "numbers": [
        number("stratosCalibrationSlopeGroundTruth", "0.12"),
        number("stratosCalibrationSlopeLogisticGroundTruth", "1.05"),
        number("stratosCalibrationSlopeTraditional", "0.30"),
        number("stratosCalibrationSlopeLogisticTraditional", None, "constant predictions"),
        number("stratosCalibrationSlopeDeepLearning", "0.2")]})  # no sound one: left out
    spec = {**TEXTS, "values": [{"numbers": {"published": "stratosCalibrationSlope*",
                                             "sound": "stratosCalibrationSlopeLogistic*"}}]}
    (view,) = differences((_item("Numbers", spec),), tmp_path)
    assert view.rows == (("GroundTruth", "0.12", "1.05"),
                         ("Traditional", "0.30", "n/a (constant predictions)"))


def test_an_unavailable_or_missing_output_says_why_and_a_difference_without_values_is_listed(
        tmp_path):
    _write(tmp_path / "figures" / "forest.unavailable.json", {"reason": "no CatBoost run"})
    spec = {**TEXTS, "values": [
        {"file": "figures/forest.json", "label": "level",
         "published": {"at": "data", "value": "a"}, "sound": {"at": "data", "value": "b"}},
        {"file": "figures/never.json", "label": "level",
         "published": {"at": "data", "value": "a"}, "sound": {"at": "data", "value": "b"}}]}
    _write(tmp_path / "figures" / "shap.json", {"data": {"ground_truth": []}})
    spec["values"].append({"file": "figures/shap.json", "label": "feature",
                           "published": {"at": "data.best_ensemble", "value": "a"},
                           "sound": {"at": "data.best_ensemble", "value": "b"}})
    views = differences((_item("Fig 2", spec), _item("Numbers", TEXTS)), tmp_path)
    assert [v.unavailable for v in views] == [
        "no CatBoost run", "not built", "figures/shap.json holds no 'best_ensemble'", None]
    assert views[3].rows == () and views[3].why == "an envelope widens"


def test_every_difference_of_the_manuscript_names_published_sound_and_why():
    listed = [(item.item, d) for item in load_manuscript_items() for d in item.differences]
    assert {item for item, _ in listed} >= {"Fig 1", "Fig 2", "Fig 5", "Fig 6", "T2", "Numbers"}
    for item, difference in listed:
        assert all(difference[key].strip() for key in ("published", "sound", "why")), item


def _difference_of(item_name: str, published_starts: str) -> tuple:
    """The item of configs/manuscript.yaml with only its difference whose published method
    starts so."""
    import dataclasses

    (item,) = [i for i in load_manuscript_items() if i.item == item_name]
    (difference,) = [d for d in item.differences if d["published"].startswith(published_starts)]
    return (dataclasses.replace(item, differences=(difference,)),)


def test_t2_shows_the_printed_published_fit_beside_the_sum_to_zero_one(tmp_path):
    """T2 as the table task writes it (both real fits): each term's omega squared, the
    published one and the sum-to-zero one; the intercept only the published fit has."""
    import numpy as np
    import pandas as pd

    from plr_luigi.analysis.factorial_anova import CODING_PUBLISHED, CODING_SUM, type3_anova
    from plr_luigi.analysis.latex_tables import factorial_anova_table
    from plr_luigi.analysis.twins import twin_paths, write_with_twin

    rng = np.random.default_rng(2)
    frame = pd.DataFrame([(o, i, c) for o in "abc" for i in "xyz" for c in "pq" for _ in (1, 2)],
                         columns=["outlier_method", "imputation_method", "classifier"])
    frame["auroc"] = 0.8 + 0.03 * (frame["outlier_method"] == "b") + rng.normal(0, 0.01,
                                                                                len(frame))
    factors = ["outlier_method", "imputation_method", "classifier"]
    published = type3_anova(frame, "auroc", factors, CODING_PUBLISHED, 2)
    sound = type3_anova(frame, "auroc", factors, CODING_SUM, 2)
    table = factorial_anova_table(published, sound, len(frame), 0, 3, 2, "all", "q", True)
    write_with_twin(twin_paths(tmp_path / "tables" / "factorial_anova.tex"), table.latex(),
                    table.twin())  # as TexTableOutput writes it
    (view,) = differences(_difference_of("T2", "type III"), tmp_path)
    shown = {label: (p, s) for label, p, s in view.rows}
    assert shown.keys() == set(published["term"]) - {"Residual"}
    assert shown["Intercept"][1] == "(absent)"
    for term, omega in zip(sound["term"][:-1], sound["omega_sq"][:-1], strict=True):
        before = published.loc[published["term"] == term, "omega_sq"].item()
        assert shown[term] == (f"{before:.3f}", f"{omega:.3f}"), term


def test_the_duplicate_rule_shows_what_each_rule_keeps(tmp_path):
    def number(macro, display):
        return {"macro": macro, "display": display, "unavailable": None}

    _write(tmp_path / "numbers.json", {"unavailable": None, "numbers": [
        number("duplicateHighestRuleAurocMean", "0.861"),
        number("duplicateLaterRuleAurocMean", "0.853"),
        number("duplicateHighestRuleAurocMax", "0.870"),
        number("duplicateLaterRuleAurocMax", "0.869")]})
    (view,) = differences(_difference_of("Numbers", "of duplicate runs"), tmp_path)
    assert view.rows == (("Mean", "0.861", "0.853"), ("Max", "0.870", "0.869"))
