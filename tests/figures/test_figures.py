"""Figures, tables, numbers and the report page, checked against the database they come from.

Expected values are re-queried here with hand-written SQL (and the statistics recomputed with
scipy / statsmodels directly), not with the functions that produced the outputs.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3

import numpy as np
import pandas as pd
import pytest
from support.settings import plr_settings

from plr_luigi.database import queries
from plr_luigi.study import schema
from plr_luigi.study.configs import load_standard_pipelines
from plr_luigi.study.display import display_name
from plr_luigi.tasks import AurocHeatmap, DemoTraces, ReproduceAll, RocRiskCoverage

pytestmark = pytest.mark.slow

# The standard-pipeline figures: Fig 1, Fig 4, S1 (from the predictions), S2.
PIPELINE_FIGURES = ["calibration_dca", "probability_distributions", "roc_risk_coverage",
                    "selective_classification"]
FIGURES = ["forest_outlier_method", "forest_imputation_method", "forest_classifier",
           "heatmap_outlier_imputation", "specification_curve", "specification_curve_all",
           "critical_difference_top_pipelines", "critical_difference_outlier_method",
           "critical_difference_imputation_method", "critical_difference_outlier_category",
           "critical_difference_classifier", "variance_decomposition", *PIPELINE_FIGURES,
           "demo_traces", "metric_raincloud", "metric_raincloud_by_level",
           "prediction_instability"]
TABLES = ["top_pipelines", "factorial_anova", "by_outlier_method", "by_imputation_method",
          "by_classifier", "stratos", "cohort", "hyperparameters", "variance_decomposition"]
CATBOOST_HANDCRAFTED = "classifier = 'CatBoost' AND featurization = 'simple1.0'"


def _figure(built, stem: str) -> dict:
    return json.loads((built["outputs"] / "figures" / f"{stem}.json").read_text())


def _rows(con, sql: str) -> pd.DataFrame:
    return con.execute(sql).df()


@pytest.mark.parametrize("stem", FIGURES)
def test_every_figure_has_its_three_files_and_says_synthetic(built, stem):
    """What each figure plots is checked against its JSON in test_figure_data.py and in the
    per-figure tests below; here: every figure exists as PNG, PDF and JSON, is not blank, and
    says where its numbers came from."""
    from PIL import Image

    path = built["outputs"] / "figures" / stem
    pixels = np.asarray(Image.open(path.with_suffix(".png")).convert("L"), dtype=float)
    assert pixels.std() > 10, "blank figure"
    assert path.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.with_suffix(".pdf").read_bytes()[:5] == b"%PDF-"
    data = _figure(built, stem)
    assert data["synthetic"] is True and data["provenance"]["synthetic"] == "true"
    assert data["data"], "nothing plotted"


def test_heatmap_json_is_the_mean_auroc_per_cell(built, con):
    data = _figure(built, "heatmap_outlier_imputation")
    expected = _rows(con, f"SELECT outlier_method, imputation_method, avg(auroc) AS auroc, "
                          f"count(*) AS n FROM essential_metrics WHERE {CATBOOST_HANDCRAFTED} "
                          "GROUP BY 1, 2 ORDER BY 1, 2")
    got = pd.DataFrame(data["data"])
    assert list(zip(got.row_level, got.column_level, strict=True)) == \
        list(zip(expected.outlier_method, expected.imputation_method, strict=True))
    assert np.allclose(got.auroc, expected.auroc) and list(got.n) == list(expected.n)


def test_specification_curve_json_ranks_the_catboost_handcrafted_configurations(built, con):
    """S8: the CatBoost + handcrafted configurations; the extended curve: every one."""
    ground_truth = _rows(con, "SELECT auroc FROM essential_metrics WHERE outlier_method = "
                              "'pupil-gt' AND imputation_method = 'pupil-gt' AND "
                              f"{CATBOOST_HANDCRAFTED}").auroc[0]
    for stem, where in (("specification_curve", f"WHERE {CATBOOST_HANDCRAFTED}"),
                        ("specification_curve_all", "")):
        figure = _figure(built, stem)
        data = pd.DataFrame(figure["data"])
        expected = _rows(con, "SELECT config_id, auroc, auroc_ci_lo, auroc_ci_hi "
                              f"FROM essential_metrics {where} ORDER BY auroc DESC, config_id")
        assert list(data.config_id) == list(expected.config_id)
        assert np.allclose(data[["auroc", "auroc_ci_lo", "auroc_ci_hi"]],
                           expected[["auroc", "auroc_ci_lo", "auroc_ci_hi"]])
        assert figure["reference_line"]["ground_truth_auroc"] == pytest.approx(ground_truth)
    assert _figure(built, "specification_curve")["manuscript_item"] == "S8"
    assert _figure(built, "specification_curve_all")["manuscript_item"] == "extended"


def _friedman_reference(wide: pd.DataFrame) -> tuple[float, float, float]:
    from scipy import stats

    statistic, p = stats.friedmanchisquare(*wide.to_numpy().T)
    k, n = wide.shape[1], wide.shape[0]
    cd = stats.studentized_range.ppf(0.95, k, np.inf) / np.sqrt(2) * np.sqrt(k * (k + 1) /
                                                                          (6 * n))
    return statistic, p, cd


def test_critical_difference_of_the_best_pipelines(built, con):
    data = _figure(built, "critical_difference_top_pipelines")
    top = _rows(con, "SELECT config_id FROM essential_metrics ORDER BY auroc DESC, config_id "
                     "LIMIT 15").config_id.tolist()
    long = _rows(con, "SELECT config_id, iteration, auroc FROM bootstrap_auroc")
    wide = long[long.config_id.isin(top)].pivot(index="iteration", columns="config_id",
                                                values="auroc")
    statistic, p, cd = _friedman_reference(wide)
    result = data["data"]
    assert set(result["ranks"]) == set(top) == set(data["labels"])
    assert result["statistic"] == pytest.approx(statistic)
    assert result["p_value"] == pytest.approx(p)
    assert result["critical_difference"] == pytest.approx(cd)
    ranks = (-wide).rank(axis=1).mean()
    assert result["ranks"] == pytest.approx(ranks.to_dict())
    assert not any(re.search(r"[0-9a-f]{32}", label) for label in data["labels"].values())


def _study_blocks(frame: pd.DataFrame, treatment: str, block: str) -> pd.DataFrame:
    """The study's completeness rule, written out: blocks holding >= 80 % of the treatments,
    then the treatments present in every kept block."""
    n_treatments = frame[treatment].nunique()
    held = frame.groupby(block)[treatment].nunique()
    kept = held[held >= 0.8 * n_treatments].index
    cells = frame[frame[block].isin(kept)].groupby([block, treatment]).auroc.mean()
    return cells.unstack(treatment).dropna(axis=1)


def _category(outlier_method: str) -> str:
    """manuscript.md's outlier categories, written out."""
    if outlier_method == "pupil-gt":
        return "ground_truth"
    if outlier_method.startswith("ensemble"):
        return "ensemble"
    if re.search("MOMENT|UniTS", outlier_method):
        return "foundation_model"
    return "deep_learning" if "TimesNet" in outlier_method else "traditional"


@pytest.mark.parametrize("scope, treatment, block", [
    ("outlier_method", "outlier_method", "imputation_method"),
    ("imputation_method", "imputation_method", "outlier_method"),
    ("outlier_category", "category", "imputation_method")])
def test_critical_differences_rank_levels_within_the_other_factors_levels(built, con, scope,
                                                                          treatment, block):
    """S3 (a), (b), (c): CatBoost + handcrafted; blocks are the other factor's levels (never
    bootstrap iterations), after the completeness rule."""
    figure = _figure(built, f"critical_difference_{scope}")
    frame = _rows(con, "SELECT outlier_method, imputation_method, auroc FROM essential_metrics "
                       f"WHERE {CATBOOST_HANDCRAFTED}")
    frame["category"] = frame.outlier_method.map(_category)
    wide = _study_blocks(frame, treatment, block)
    statistic, p, cd = _friedman_reference(wide)
    assert sorted(figure["blocks"]) == sorted(map(str, wide.index))
    assert len(wide) >= 3 and figure["data"]["n_blocks"] == len(wide)
    assert set(figure["data"]["ranks"]) == set(wide.columns)
    assert figure["data"]["statistic"] == pytest.approx(statistic)
    assert figure["data"]["p_value"] == pytest.approx(p)
    assert figure["data"]["critical_difference"] == pytest.approx(cd)
    assert figure["manuscript_item"] == "S3"


def test_the_extended_classifier_critical_difference_uses_preprocessing_blocks(built, con):
    figure = _figure(built, "critical_difference_classifier")
    assert figure["manuscript_item"] == "extended"
    frame = _rows(con, "SELECT classifier, outlier_method || ' + ' || imputation_method AS "
                       "pipeline, auroc FROM essential_metrics WHERE featurization = 'simple1.0'")
    wide = _study_blocks(frame, "classifier", "pipeline")
    assert sorted(figure["blocks"]) == sorted(wide.index)
    assert figure["data"]["statistic"] == pytest.approx(_friedman_reference(wide)[0])


def _anova_eta_squared(con) -> pd.Series:
    """Type II eta squared by nested-model comparison, refitted here with statsmodels OLS."""
    import statsmodels.formula.api as smf

    frame = _rows(con, "SELECT outlier_method, imputation_method, classifier, featurization, "
                       "auroc FROM essential_metrics")
    factors = ["outlier_method", "imputation_method", "classifier", "featurization"]

    def ssr(terms):
        return smf.ols("auroc ~ " + " + ".join(f"C({t})" for t in terms), data=frame).fit().ssr

    total = ((frame.auroc - frame.auroc.mean()) ** 2).sum()
    full = ssr(factors)
    eta = {f: (ssr([g for g in factors if g != f]) - full) / total for f in factors}
    return pd.Series({**eta, "Residual": full / total})


def test_variance_decomposition_json_is_the_type_one_anova(built, con):
    """Fig 6: eta squared = anova_lm(typ=1) sum_sq / total, per panel, refitted here."""
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    figure = _figure(built, "variance_decomposition")
    panels = {"A": (CATBOOST_HANDCRAFTED, ["outlier_method", "imputation_method"]),
              "B": ("featurization = 'simple1.0'",
                    ["classifier", "outlier_method", "imputation_method"])}
    for name, (where, factors) in panels.items():
        frame = _rows(con, f"SELECT {', '.join(factors)}, auroc FROM essential_metrics "
                           f"WHERE {where}")
        table = anova_lm(smf.ols("auroc ~ " + " + ".join(f"C({f})" for f in factors),
                                 data=frame).fit(), typ=1)
        expected = table.sum_sq / table.sum_sq.sum()
        got = pd.DataFrame(figure["data"][name]["rows"]).set_index("factor")
        assert figure["data"][name]["n_configurations"] == len(frame)
        for factor in factors:
            assert got.loc[factor, "eta_sq"] == pytest.approx(expected[f"C({factor})"])
        assert got.loc["Residual", "eta_sq"] == pytest.approx(expected["Residual"])
        assert got["eta_sq_order_averaged"].sum() == pytest.approx(1.0)
    assert figure["manuscript_item"] == "Fig 6"


def _standard_config_ids(con) -> dict[str, str]:
    ids = {}
    for name, p in load_standard_pipelines().items():
        levels = [p["outlier_method"], p["imputation_method"], p["classifier"],
                  p["featurization"]]
        where = ("outlier_method = ? AND imputation_method = ? AND classifier = ? AND "
                 "featurization = ?")
        row = con.execute(f"SELECT config_id FROM essential_metrics WHERE {where} UNION ALL "
                          f"SELECT config_id FROM standard_pipeline_only_metrics WHERE {where}",
                          levels * 2).fetchone()
        if row:
            ids[name] = row[0]
    return ids


def _predictions(con, config_id: str) -> tuple[np.ndarray, np.ndarray]:
    rows = _rows(con, f"SELECT y_true, y_prob FROM predictions WHERE config_id = '{config_id}' "
                      "ORDER BY subject_code")
    return rows.y_true.to_numpy(int), rows.y_prob.to_numpy(float)


@pytest.mark.parametrize("stem", PIPELINE_FIGURES)
def test_every_standard_pipeline_is_drawn_and_the_caption_gives_the_n_plotted(built, con, stem):
    data = _figure(built, stem)
    ids = _standard_config_ids(con)
    assert len(ids) == len(load_standard_pipelines()) and data["missing_pipelines"] == []
    assert [p["pipeline"] for p in data["pipelines"]] == list(ids)
    n, events = con.execute("SELECT count(*), sum(y_true) FROM predictions WHERE config_id = ?",
                            [next(iter(ids.values()))]).fetchone()
    assert f"n = {n} test subjects ({n - events} control, {events} glaucoma)" in data["caption"]
    assert f"{len(ids)} of {len(ids)}" in data["caption"]


def test_calibration_dca_is_drawn_from_each_pipelines_predictions(built, con):
    """Fig 1: the bins are the database's calibration curves at their midpoints; the box is
    the ground truth's, with the published least-squares slope and the logistic one
    (essential_metrics) side by side; decision curves from 1 to 30 %."""
    from scipy.stats import linregress

    data = _figure(built, "calibration_dca")
    ids = _standard_config_ids(con)
    for name, config_id in ids.items():
        bins = _rows(con, f"SELECT bin_index, prob_true, n FROM calibration_curves WHERE "
                          f"config_id = '{config_id}' ORDER BY bin_index")
        points = data["data"][name]["points"]
        assert points["midpoint"] == pytest.approx(((bins.bin_index + 0.5) / 10).tolist())
        assert points["observed"] == pytest.approx(bins.prob_true.tolist())
        assert points["n"] == bins.n.tolist()
        dca = _rows(con, f"SELECT threshold, net_benefit_model FROM dca_curves WHERE config_id "
                         f"= '{config_id}' AND threshold <= 0.30 ORDER BY threshold")
        curve = data["data"][name]["decision_curve"]
        assert curve["threshold"] == pytest.approx(dca.threshold.tolist())
        assert curve["net_benefit_model"] == pytest.approx(dca.net_benefit_model.tolist())
    assert data["box_pipeline"] == "ground_truth"
    box = data["data"]["ground_truth"]["summary"]
    y, p = _predictions(con, ids["ground_truth"])
    logit = np.log(p / (1 - p))
    assert box["calibration_slope_ols_published"] == pytest.approx(linregress(logit, y).slope)
    essential = con.execute("SELECT calibration_slope, o_e_ratio, brier_of_mean_prob, "
                            "prevalence FROM essential_metrics WHERE config_id = ?",
                            [ids["ground_truth"]]).fetchone()
    assert box["calibration_slope_logistic"] == pytest.approx(essential[0], rel=1e-6)
    assert box["o_e_ratio"] == pytest.approx(essential[1])
    assert box["brier"] == pytest.approx(essential[2])
    assert box["ipa"] == pytest.approx(1 - essential[2] / (y.mean() * (1 - y.mean())))
    assert data["prevalence"] == pytest.approx(y.mean())
    assert "as published (least squares" in data["caption"] and "logistic" in data["caption"]


def test_probability_distributions_show_the_ground_truth_and_four_pipelines(built, con):
    data = _figure(built, "probability_distributions")
    ids = _standard_config_ids(con)
    assert data["panel_a"] == "ground_truth"
    assert data["panel_b"] == ["ground_truth", "best_ensemble", "best_single_foundation_model",
                               "traditional"]
    for name, config_id in ids.items():
        y, p = _predictions(con, config_id)
        d = data["data"][name]
        assert d["discrimination_slope"] == pytest.approx(p[y == 1].mean() - p[y == 0].mean())
        assert (d["n_0"], d["n_1"]) == ((y == 0).sum(), (y == 1).sum())
    assert "152 / 56" in data["caption"]  # says that what is plotted is not the cohort


def test_roc_and_risk_coverage_are_of_the_mean_predictions(built, con):
    from sklearn.metrics import roc_auc_score

    data = _figure(built, "roc_risk_coverage")
    for name, config_id in _standard_config_ids(con).items():
        y, p = _predictions(con, config_id)
        d = data["data"][name]
        assert d["roc"]["auroc"] == pytest.approx(roc_auc_score(y, p))
        assert data["auroc"][name] == pytest.approx(roc_auc_score(y, p))
        order = sorted(range(len(p)), key=lambda i: -abs(p[i] - 0.5))
        wrong = [int((p[i] > 0.5) != y[i]) for i in order]
        assert d["risk_coverage"]["risk"][-1] == pytest.approx(sum(wrong) / len(wrong))
        assert data["aurc"][name] == pytest.approx(d["aurc"])


def test_selective_classification_rows_are_retention_metrics_in_confidence_order(built, con):
    from sklearn.metrics import roc_auc_score

    data = _figure(built, "selective_classification")
    got = pd.DataFrame(data["data"])
    for name, config_id in _standard_config_ids(con).items():
        expected = _rows(con, f"SELECT * FROM retention_metrics WHERE config_id = "
                              f"'{config_id}' ORDER BY retained_fraction")
        mine = got[got.pipeline == name].drop(columns="pipeline").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine[expected.columns], expected, check_dtype=False)
        # The half kept is the most confident by |p - 0.5|, recomputed here.
        y, p = _predictions(con, config_id)
        kept = np.argsort(-np.abs(p - 0.5), kind="stable")[:round(0.5 * len(p))]
        half = expected[expected.retained_fraction == 0.5].iloc[0]
        assert half.auroc == pytest.approx(roc_auc_score(y[kept], p[kept]))
        direction = "rises" if half.auroc > expected.auroc.iloc[-1] else "falls"
        label = load_standard_pipelines()[name]["label"]
        assert f"{label} {expected.auroc.iloc[-1]:.3f} -> {half.auroc:.3f} ({direction})" \
            in data["caption"]


def test_a_missing_standard_pipeline_is_reported_not_substituted(built, tmp_path, monkeypatch,
                                                                 caplog):
    from plr_luigi.study import configs, display

    pipelines = {**load_standard_pipelines(),
                 "phantom": {"label": "Phantom pipeline", "category": "traditional",
                             "outlier_method": "LOF", "imputation_method": "linear",
                             "classifier": "CatBoost", "featurization": "simple1.0"}}
    for module in (configs, display):  # where the task and the colour lookup find it
        monkeypatch.setattr(module, "load_standard_pipelines", lambda: pipelines)
    with plr_settings(**{**built["settings"], "output_dir": str(tmp_path)}), \
            caplog.at_level(logging.WARNING):
        assert luigi_build([RocRiskCoverage()])
    data = json.loads((tmp_path / "figures" / "roc_risk_coverage.json").read_text())
    assert data["missing_pipelines"] == ["phantom"]
    assert set(data["data"]) == set(load_standard_pipelines())
    assert "not in the database: Phantom pipeline" in data["caption"]
    assert "phantom" in caplog.text


def luigi_build(tasks) -> bool:
    import luigi

    return luigi.build(tasks, local_scheduler=True)


def test_demo_traces_show_twelve_anonymised_subjects_chosen_by_outlier_share(built,
                                                                           small_store):
    data = _figure(built, "demo_traces")
    subjects = pd.DataFrame(data["data"]["subjects"])
    codes = subjects.subject_code.tolist()
    assert len(codes) == 12 and all(re.fullmatch(r"[HG]\d{3}", c) for c in codes)
    assert [c[0] for c in codes] == list("HHHHHHGGGGGG")
    assert subjects.selection.tolist() == ["high"] * 2 + ["average"] * 2 + ["low"] * 2 \
        + ["high"] * 2 + ["average"] * 2 + ["low"] * 2
    assert set(data["data"]["traces"]) == set(codes)
    assert all(len(t["time"]) == 1981 and t["pupil_gt"] for t in data["data"]["traces"].values())
    assert set(data["data"]["light"]) == {"time", "Red", "Blue"}
    assert {w[0] for w in data["data"]["light_windows"]} == {"Red", "Blue"}
    assert "12 labelled subjects" in data["caption"] and "6 control, 6 glaucoma" in \
        data["caption"]
    # The rule, recomputed from the private source database and lookup.
    lookup = pd.read_csv(built["work"] / "data" / "private" / "subject_lookup.csv")
    with sqlite3.connect(small_store.source_db) as source:
        shares = pd.read_sql_query("SELECT subject_code AS original_code, avg(outlier_mask) AS "
                                   "share FROM pupil_data GROUP BY 1", source)
    shares = lookup.merge(shares, on="original_code")
    for label, prefix in ((0, "H"), (1, "G")):
        ordered = shares[shares.class_label == label].sort_values(["share", "subject_code"])
        low, high = list(ordered.subject_code[:2]), list(ordered.subject_code[-2:])
        rest = ordered.iloc[2:-2]
        median = shares[shares.class_label == label].share.median()
        nearest = rest.assign(d=(rest.share - median).abs()).sort_values(["d", "subject_code"])
        mine = [c for c in codes if c[0] == prefix]
        assert set(mine[:2]) == set(high) and set(mine[4:]) == set(low)
        assert set(mine[2:4]) == set(nearest.subject_code[:2])
    text = (built["outputs"] / "figures" / "demo_traces.json").read_text()
    assert not re.search(r"PLR\d+", text)


def test_demo_traces_without_a_source_database_are_marked_unavailable(built, tmp_path, caplog):
    with plr_settings(**{**built["settings"], "source_db": "", "output_dir": str(tmp_path)}), \
            caplog.at_level(logging.WARNING):
        assert luigi_build([DemoTraces()])
    figures = tmp_path / "figures"
    assert sorted(p.name for p in figures.iterdir()) == ["demo_traces.unavailable.json"]
    status = json.loads((figures / "demo_traces.unavailable.json").read_text())
    assert status["status"] == "unavailable" and "source_db" in status["reason"]
    assert "unavailable" in caplog.text


def _macros(built) -> list[dict]:
    tex = (built["outputs"] / "numbers.tex").read_text()
    pattern = re.compile(r"^% (?P<description>[^:\n]*): (?P<sql>.*?)(?: -> (?P<stat>\S+))?\n"
                         r"\\newcommand\{\\(?P<macro>\w+)\}\{(?P<text>.*)\}$", re.MULTILINE)
    return [m.groupdict() for m in pattern.finditer(tex)]


def _same(text: str, value) -> bool:
    from plr_luigi.analysis.latex import escape_latex

    if isinstance(value, str):
        return text == escape_latex(value)  # numbers.tex prints text escaped
    if isinstance(value, (int, np.integer)):
        return text == str(value)
    # Rounded to the decimals it prints (0.000, or 0.0 for a percentage).
    decimals = len(text.partition(".")[2])
    return abs(float(text) - float(value)) <= 0.5 * 10 ** -decimals + 1e-9


def test_every_plain_number_equals_its_recorded_query(built, con):
    from plr_luigi.database.interpretation_queries import attach_interpretation

    macros = _macros(built)
    assert len(macros) > 40
    # SHAP and VIF numbers query the interpretation database, as NumbersTex attaches it.
    attach_interpretation(con, built["db"].with_name("plr_interpretation.duckdb"))
    plain = [m for m in macros if m["stat"] is None]
    for m in plain:
        value = con.execute(m["sql"]).fetchone()[0]
        assert _same(m["text"], value), (m["macro"], m["text"], value)


def test_numbers_equal_independent_queries(built, con):
    n = {m["macro"]: m["text"] for m in _macros(built)}
    one = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
    assert n["nConfigurations"] == str(one("SELECT count(*) FROM essential_metrics"))
    assert _same(n["aurocMean"], one("SELECT avg(auroc) FROM essential_metrics"))
    assert _same(n["aurocMin"], one("SELECT min(auroc) FROM essential_metrics"))
    assert n["nAurocAtLeastNinety"] == str(
        one("SELECT count(*) FROM essential_metrics WHERE auroc >= 0.9"))
    best = con.execute("SELECT auroc, auroc_ci_lo, auroc_ci_hi, classifier FROM "
                       "essential_metrics WHERE featurization = 'simple1.0' "
                       "ORDER BY auroc DESC LIMIT 1").fetchone()
    assert [_same(n[k], v) for k, v in zip(["bestAuroc", "bestAurocCiLo", "bestAurocCiHi",
                                           "bestClassifier"], best, strict=True)] == [True] * 4
    gt = con.execute("SELECT auroc, auroc_ci_lo FROM essential_metrics WHERE outlier_method = "
                     "'pupil-gt' AND imputation_method = 'pupil-gt' AND classifier = 'CatBoost' "
                     "AND featurization = 'simple1.0'").fetchone()
    assert _same(n["groundTruthAuroc"], gt[0]) and _same(n["groundTruthAurocCiLo"], gt[1])
    for cls, best_auroc in con.execute("SELECT classifier, max(auroc) FROM essential_metrics "
                                       "GROUP BY 1").fetchall():
        assert _same(n[f"bestAuroc{cls}"], best_auroc)
    assert n["nClassifierLevels"] == str(one("SELECT count(DISTINCT classifier) FROM "
                                             "essential_metrics"))
    top = _rows(con, "SELECT config_id FROM essential_metrics ORDER BY auroc DESC, config_id "
                     "LIMIT 15").config_id
    long = _rows(con, "SELECT config_id, iteration, auroc FROM bootstrap_auroc")
    wide = long[long.config_id.isin(top)].pivot(index="iteration", columns="config_id",
                                                values="auroc")
    statistic, p, cd = _friedman_reference(wide)
    assert float(n["friedmanChiSqTop"]) == pytest.approx(statistic, abs=0.05)
    assert n["friedmanPTop"] == ("$<$0.001" if p < 0.001 else f"{p:.3f}")
    assert float(n["nemenyiCdTop"]) == pytest.approx(cd, abs=5e-3)
    eta = _anova_eta_squared(con)
    assert _same(n["etaSqClassifier"], eta["classifier"])
    assert _same(n["etaSqOutlierMethod"], eta["outlier_method"])
    assert _same(n["etaSqResidual"], eta["Residual"])


def _table_body(built, name: str) -> list[list[str]]:
    tex = (built["outputs"] / "tables" / f"{name}.tex").read_text()
    assert "Synthetic data" in tex
    assert not re.search(r"(?<!\\)%", tex), "an unescaped % comments out the rest of a line"
    body = tex.split("\\midrule")[1].split("\\bottomrule")[0].strip().splitlines()
    return [[c.strip().rstrip("\\").strip() for c in line.split("&")] for line in body]


HANDCRAFTED = "featurization = 'simple1.0'"


@pytest.mark.parametrize("factor", ["outlier_method", "imputation_method", "classifier"])
def test_factor_tables_match_the_database(built, con, factor):
    """T3-T5: the study's population, handcrafted features and every classifier."""
    rows = _table_body(built, f"by_{factor}")
    expected = _rows(con, f"SELECT {factor} AS level, avg(auroc) AS mean, min(auroc) AS lo, "
                          f"max(auroc) AS hi, count(*) AS n FROM essential_metrics "
                          f"WHERE {HANDCRAFTED} GROUP BY 1 ORDER BY mean DESC, level")
    assert len(rows) == len(expected)
    for cells, row in zip(rows, expected.itertuples(), strict=True):
        assert [float(cells[1]), float(cells[3]), float(cells[4])] == pytest.approx(
            [row.mean, row.lo, row.hi], abs=5e-4)
        assert int(cells[-1]) == row.n


def test_top_pipelines_table_matches_the_database(built, con):
    rows = _table_body(built, "top_pipelines")
    expected = _rows(con, "SELECT auroc, auroc_ci_lo, auroc_ci_hi FROM essential_metrics "
                          f"WHERE {HANDCRAFTED} ORDER BY auroc DESC, config_id LIMIT 10")
    assert len(rows) == len(expected) > 1  # top 10, or every one where there are fewer
    for rank, (cells, row) in enumerate(zip(rows, expected.itertuples(), strict=True), 1):
        assert cells[0] == str(rank) and len(cells) == 6  # featurization: in the caption
        assert float(cells[4]) == pytest.approx(row.auroc, abs=5e-4)
        lo, hi = (float(v) for v in cells[5].split("--"))
        assert (lo, hi) == pytest.approx((row.auroc_ci_lo, row.auroc_ci_hi), abs=5e-4)


@pytest.mark.parametrize("stem", TABLES)
def test_every_table_twin_names_its_manuscript_item(built, stem):
    from plr_luigi.study.manuscript import manuscript_fields

    twin = json.loads((built["outputs"] / "tables" / f"{stem}.json").read_text())
    assert twin["table"] == stem
    assert twin["manuscript_item"] == manuscript_fields(stem, "table")["manuscript_item"]
    assert twin.get("population") == manuscript_fields(stem, "table").get("population")


def test_the_factorial_anova_is_statsmodels_type_iii_or_says_why_not(built, con):
    """T2 over the handcrafted population, as published: statsmodels' type III table of the
    treatment-coded fit (the study's), its intercept row included; the sum-to-zero fit in the
    twin. A store too small for the factorial model gets n/a with the reason (its main effects
    alone leave < 10 residual df)."""
    from statsmodels.formula.api import ols
    from statsmodels.stats.anova import anova_lm

    frame = _rows(con, f"SELECT outlier_method, imputation_method, classifier, auroc "
                       f"FROM essential_metrics WHERE {HANDCRAFTED}")
    twin = json.loads((built["outputs"] / "tables" / "factorial_anova.json").read_text())
    main = ols("auroc ~ C(outlier_method, Sum) + C(imputation_method, Sum) + "
               "C(classifier, Sum)", data=frame).fit()
    if twin["unavailable"]:
        assert main.df_resid < 10 and "residual degrees of freedom" in twin["unavailable"]
        return
    order = twin["interaction_order"]
    factors = ("outlier_method", "imputation_method", "classifier")

    def reference(contrast: str):
        terms = " + ".join(f"C({f}{contrast})" for f in factors)
        return anova_lm(ols(f"auroc ~ ({terms})**{order}", data=frame).fit(), typ=3)

    published, sound = reference(""), reference(", Sum")
    rows = _table_body(built, "factorial_anova")
    assert len(rows) == len(published) - 1 and rows[0][0] == "Intercept"  # not the residual
    for cells, f_value in zip(rows, published["F"].iloc[:-1], strict=True):
        assert float(cells[2]) == pytest.approx(f_value, rel=5e-3, abs=5e-3)
    twin_sound = [r for r in twin["sum_to_zero"] if r["term"] != "Residual"]
    assert [r["F"] for r in twin_sound] == pytest.approx(list(sound["F"].iloc[1:-1]))


def test_duplicate_runs_are_the_stores_runs_with_what_each_rule_keeps(built, con):
    """duplicate_runs against the store itself (MLflow's client): each configuration run more
    than once, every run's logged test AUROC and end time, the later run (the extracted one)
    and the best one; the numbers count them and the report page shows both rules' AUROC.
    The synthetic store's duplicated configuration was rerun worse: the rules disagree."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=built["settings"]["tracking_uri"])
    table = _rows(con, f"SELECT * FROM {schema.DUPLICATE_RUNS.name}")
    assert len(table) >= 2
    disagreements = 0
    for config_id, runs in table.groupby("config_id"):
        logged = {run_id: client.get_run(run_id) for run_id in runs["run_id"]}
        later = max(logged, key=lambda r: logged[r].info.end_time)
        best = max(logged, key=lambda r: logged[r].data.metrics["test/AUROC"])
        assert runs.loc[runs["kept_later"], "run_id"].tolist() == [later] == [config_id]
        assert runs.loc[runs["kept_highest_auroc"], "run_id"].tolist() == [best]
        for row in runs.itertuples():
            assert row.logged_auroc == logged[row.run_id].data.metrics["test/AUROC"]
            assert row.end_time == logged[row.run_id].info.end_time
        assert _rows(con, f"SELECT count(*) AS n FROM {schema.EVERY_EXTRACTED_CONFIGURATION} "
                          f"WHERE config_id = '{config_id}'")["n"].item() == 1
        disagreements += best != later
    assert disagreements >= 1
    numbers = {n["macro"]: n for n in json.loads(
        (built["outputs"] / "numbers.json").read_text())["numbers"]}
    assert numbers["nDuplicateConfigurations"]["value"] == table["config_id"].nunique()
    assert numbers["nDuplicateRuleDisagreements"]["value"] == disagreements
    assert numbers["duplicateRuleMaxAurocDifference"]["value"] > 0
    page = (built["outputs"] / "report.html").read_text()
    differences = page[page.index('<section id="differences">'):]
    highest, later = (numbers[f"duplicate{rule}RuleAurocMean"]["display"]
                      for rule in ("Highest", "Later"))
    assert f"<td>Mean</td><td>{highest}</td><td>{later}</td>" in differences


def test_the_stratos_table_is_each_standard_pipelines_row(built, con):
    rows = _table_body(built, "stratos")
    pipelines = load_standard_pipelines()
    found = []
    for spec in pipelines.values():
        # the deep-learning pipeline's row is apart from the compared configurations
        row = _rows(con, "SELECT auroc, calibration_slope, o_e_ratio, brier, net_benefit_5pct, "
                         f"net_benefit_20pct FROM {schema.EVERY_EXTRACTED_CONFIGURATION} "
                         f"WHERE outlier_method = '{spec['outlier_method']}' AND "
                         f"imputation_method = '{spec['imputation_method']}' AND "
                         f"classifier = '{spec['classifier']}' AND "
                         f"featurization = '{spec['featurization']}'")
        if len(row):
            found.append((spec["label"], row.iloc[0]))
    assert len(rows) == len(found) > 0
    for cells, (label, row) in zip(rows, found, strict=True):
        assert cells[0] == label
        assert float(cells[1].split()[0]) == pytest.approx(row.auroc, abs=5e-4)
        assert [float(c) for c in (cells[2], cells[3], cells[4], cells[6], cells[9])] == \
            pytest.approx([row.calibration_slope, row.o_e_ratio, row.brier,
                           row.net_benefit_5pct, row.net_benefit_20pct], abs=5e-4)


def test_the_cohort_table_is_the_source_databases_classes(built):
    """Counts and age by class straight from the private source database, by SQL here."""
    with sqlite3.connect(built["settings"]["source_db"]) as source:
        by_class = dict((label, (n, mean)) for label, n, mean in source.execute(
            "SELECT class_label, count(*), avg(age) FROM (SELECT DISTINCT subject_code, "
            "class_label, age FROM pupil_data) WHERE class_label IS NOT NULL GROUP BY 1"))
        recorded = source.execute("SELECT count(DISTINCT subject_code) FROM pupil_data"
                                  ).fetchone()[0]
    rows = {cells[0]: cells for cells in _table_body(built, "cohort")}
    for name, label in (("Control", "control"), ("Glaucoma", "glaucoma")):
        n, mean = by_class[label]
        assert rows[name][1] == str(n)
        assert float(rows[name][3].split()[0]) == pytest.approx(mean, abs=0.05)
    assert rows["Recorded (preprocessing)"][1] == str(recorded)
    assert rows["Labelled (classification)"][1] == "208"


def test_the_hyperparameter_table_is_what_the_runs_logged(built, con):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=built["settings"]["tracking_uri"])
    kept = _rows(con, f"SELECT config_id, classifier FROM essential_metrics WHERE {HANDCRAFTED}")
    logged = {}
    for config_id, classifier in kept.itertuples(index=False):
        for name, value in client.get_run(config_id).data.params.items():
            if name.startswith("hparam_"):
                key = (classifier, name.removeprefix("hparam_"))
                logged.setdefault(key, {}).setdefault(value, 0)
                logged[key][value] += 1
    twin = json.loads((built["outputs"] / "tables" / "hyperparameters.json").read_text())
    shown = {(row["Classifier"], row["Hyperparameter"]): row["Values (configurations)"]
             for row in twin["tables"][0]["rows"]}
    assert len(shown) == len(logged) > 0
    for (classifier, name), counts in logged.items():
        cell = shown[(display_name("classifier", classifier), name)]
        assert sorted(cell.split(", ")) == sorted(f"{v} ({n})" for v, n in counts.items())


def test_variance_table_matches_the_anova(built, con):
    rows = {cells[0]: cells for cells in _table_body(built, "variance_decomposition")}
    eta = _anova_eta_squared(con)
    assert float(rows["Classifier"][3].split()[0]) == pytest.approx(eta["classifier"], abs=5e-4)
    assert float(rows["Residual"][3].split()[0]) == pytest.approx(eta["Residual"], abs=5e-4)
    assert set(rows) == {"Outlier detection", "Imputation", "Classifier", "Featurization",
                         "Shared", "Residual"}


def test_deleting_one_figure_reruns_that_task_alone(built, recorder):
    """The figure's task reruns, then what is built from it: the report page (complete only
    while everything it shows is), the supplement (the figure's rewritten PDF), the privacy
    audit of the changed files, and the wrapper."""
    with plr_settings(**built["settings"]):
        (built["outputs"] / "figures" / "heatmap_outlier_imputation.json").unlink()
        assert recorder.build([ReproduceAll()]) == [
            "ReproduceAll", "figures.AurocHeatmap", "report.PrivacyAudit", "report.ReportPage",
            "report.Supplement"]
        assert AurocHeatmap().complete()


def test_standard_pipeline_specs_must_name_every_factor(con):
    with pytest.raises(ValueError, match="does not name"):
        queries.find_pipelines(con, {"vague": {"classifier": "CatBoost"}})
