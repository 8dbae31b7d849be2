"""The main-text figures 3 (metric raincloud) and 7 (prediction instability) and their numbers,
checked against the database with hand-written SQL and numpy."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from plr_luigi.study import schema
from plr_luigi.study.configs import load_figure_config, load_standard_pipelines

pytestmark = pytest.mark.slow

LEVELS = "outlier_method = ? AND imputation_method = ? AND classifier = ? AND featurization = ?"


def _figure(built, stem: str) -> dict:
    return json.loads((built["outputs"] / "figures" / f"{stem}.json").read_text())


def _numbers(built) -> dict[str, str]:
    tex = (built["outputs"] / "numbers.tex").read_text()
    return dict(re.findall(r"\\newcommand\{\\(\w+)\}\{(.*)\}", tex))


def _standard_config_ids(con) -> dict[str, str]:
    ids = {}
    for name, p in load_standard_pipelines().items():
        levels = [p["outlier_method"], p["imputation_method"], p["classifier"],
                  p["featurization"]]
        row = con.execute(f"SELECT config_id FROM essential_metrics WHERE {LEVELS} UNION ALL "
                          f"SELECT config_id FROM standard_pipeline_only_metrics WHERE {LEVELS}",
                          levels * 2).fetchone()
        ids[name] = row[0]
    return ids


def test_instability_figure_plots_each_standard_pipelines_subjects(built, con):
    data = _figure(built, "prediction_instability")
    ids = _standard_config_ids(con)
    assert len(ids) == len(load_standard_pipelines()) and data["missing_pipelines"] == []
    got = pd.DataFrame(data["data"]["subjects"])
    numbers = _numbers(built)
    for name, config_id in ids.items():
        expected = con.execute("SELECT * FROM prediction_instability WHERE config_id = ? "
                               "ORDER BY subject_code", [config_id]).df()
        mine = got[got.pipeline == name].reset_index(drop=True)
        assert len(mine) == len(expected) > 0, name
        pd.testing.assert_frame_equal(mine[expected.columns], expected, check_dtype=False)
        width = float((expected.p_q97_5 - expected.p_q02_5).mean())
        assert data["mean_interval_width"][name] == pytest.approx(width)
        assert f"{load_standard_pipelines()[name]['label']} {width:.3f}" in data["caption"]
        macro = "instabilityWidth" + "".join(p.capitalize() for p in name.split("_"))
        assert float(numbers[macro]) == pytest.approx(width, abs=5e-4)
        # Each subject's cloud: its sampled bootstrap predictions, in iteration order.
        samples = con.execute("SELECT subject_code, iteration, y_prob FROM "
                              "bootstrap_prediction_samples WHERE config_id = ? ORDER BY "
                              "subject_code, iteration", [config_id]).df()
        n_boot = con.execute("SELECT n_bootstrap FROM "
                             f"{schema.EVERY_EXTRACTED_CONFIGURATION} WHERE config_id = ?",
                             [config_id]).fetchone()[0]
        assert len(samples) == len(expected) * min(200, n_boot)
        for code, part in samples.groupby("subject_code"):
            assert data["data"]["samples"][name][code] == pytest.approx(part.y_prob.tolist())
    assert not re.search(r"PLR\d+", json.dumps(data))


def test_sampled_predictions_are_kept_for_the_standard_pipelines_alone(con):
    kept = {r[0] for r in con.execute("SELECT DISTINCT config_id FROM "
                                      "bootstrap_prediction_samples").fetchall()}
    assert kept == set(_standard_config_ids(con).values())
    # They are the run's bootstrap predictions: their mean is near the subject's mean over all
    # iterations, and inside its 2.5-97.5 % band most of the time.
    joined = con.execute("SELECT s.y_prob, i.p_q02_5, i.p_q97_5 FROM "
                         "bootstrap_prediction_samples s JOIN prediction_instability i "
                         "USING (config_id, subject_code)").df()
    inside = joined.y_prob.between(joined.p_q02_5, joined.p_q97_5).mean()
    assert 0.9 < inside <= 1.0


def test_instability_summary_agrees_with_the_predictions_table(con):
    """Both come from the same bootstrap array: the summary's mean is the bootstrap-mean
    probability of `predictions`, and each subject's band is ordered."""
    joined = con.execute("SELECT p.y_prob, p.y_prob_std, p.y_true, i.* FROM predictions p "
                         "JOIN prediction_instability i USING (config_id, subject_code)").df()
    n_predictions = con.execute("SELECT count(*) FROM predictions").fetchone()[0]
    assert len(joined) == n_predictions > 0
    assert np.allclose(joined.p_mean, joined.y_prob) and np.allclose(joined.p_std,
                                                                     joined.y_prob_std)
    assert (joined.y_true == joined["y_true_1"]).all()
    ordered = joined[["p_q02_5", "p_q05", "p_q25", "p_q50", "p_q75", "p_q95", "p_q97_5"]]
    assert (ordered.diff(axis=1).iloc[:, 1:] >= -1e-12).all().all()


def test_raincloud_by_pipeline_type_is_fig_3(built, con):
    """Fig 3: the CatBoost + handcrafted configurations by outlier category, with AUROC, IPA
    = 1 - Brier / (prev (1 - prev)), net benefit at 10 % and O:E, recomputed here."""
    data = _figure(built, "metric_raincloud")
    expected = con.execute("SELECT config_id, outlier_method, auroc, brier, n_events, n_test, "
                           "net_benefit_10pct, o_e_ratio FROM essential_metrics WHERE "
                           "classifier = 'CatBoost' AND featurization = 'simple1.0'").df()
    prevalence = expected.n_events / expected.n_test
    expected["ipa"] = 1 - expected.brier / (prevalence * (1 - prevalence))
    types = {"pupil-gt": "ground_truth", "LOF": "traditional", "MOMENT-gt-finetune":
             "foundation_model", "TimesNet-gt": "deep_learning"}
    got = pd.DataFrame(data["data"]).set_index("config_id").loc[expected.config_id]
    assert len(got) == len(expected) > 0
    assert set(data["metrics"]) == {"auroc", "ipa", "net_benefit_10pct", "o_e_ratio"}
    for metric in data["metrics"]:
        assert np.allclose(got[metric], expected.set_index("config_id")[metric])
    for outlier, pipeline_type in types.items():
        assert set(got.pipeline_type[got.outlier_method == outlier]) <= {pipeline_type}
    assert set(got.pipeline_type[got.outlier_method.str.startswith("ensemble")]) == \
        {"ensemble"}
    assert data["manuscript_item"] == "Fig 3"
    assert "TimesNet-orig" not in set(got.outlier_method)


def test_raincloud_plots_every_configuration_and_its_numbers_are_the_quartiles(built, con):
    data = _figure(built, "metric_raincloud_by_level")
    metrics = load_figure_config()["raincloud_metrics"]
    expected = con.execute(f"SELECT config_id, {', '.join(metrics)} FROM essential_metrics "
                           "ORDER BY config_id").df()
    got = pd.DataFrame(data["data"])
    assert got.config_id.tolist() == expected.config_id.tolist()
    assert np.allclose(got[list(metrics)], expected[list(metrics)], equal_nan=True)
    numbers = _numbers(built)
    for metric, spec in metrics.items():
        values = expected[metric].dropna().to_numpy(float)
        q1, median, q3 = np.percentile(values, [25, 50, 75])
        assert float(numbers[f"median{spec['macro']}"]) == pytest.approx(median, abs=5e-4)
        assert float(numbers[f"lowerQuartile{spec['macro']}"]) == pytest.approx(q1, abs=5e-4)
        assert float(numbers[f"upperQuartile{spec['macro']}"]) == pytest.approx(q3, abs=5e-4)
        assert int(numbers[f"nUndefined{spec['macro']}"]) == expected[metric].isna().sum()
