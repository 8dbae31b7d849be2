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
from plr_luigi.study.configs import load_standard_pipelines
from plr_luigi.tasks import AurocHeatmap, DemoTraces, PipelineCurves, ReproduceAll

pytestmark = pytest.mark.slow

CURVES = {"calibration": ("calibration_curves", "bin_index"),
          "decision_curve": ("dca_curves", "threshold"), "roc": ("roc_curves", "fpr"),
          "risk_coverage": ("retention_metrics", "retained_fraction"),
          "selective_classification": ("retention_metrics", "retained_fraction"),
          "probability_distributions": ("probability_distributions", "y_true, bin_index")}
FIGURES = ["forest_outlier_method", "forest_imputation_method", "forest_classifier",
           "heatmap_outlier_imputation", "specification_curve",
           "critical_difference_top_pipelines", "critical_difference_outlier_method",
           "critical_difference_imputation_method", "critical_difference_classifier",
           "variance_decomposition", *CURVES, "demo_traces", "metric_raincloud",
           "prediction_instability"]
TABLES = ["by_outlier_method", "by_imputation_method", "by_classifier", "top_pipelines",
          "variance_decomposition"]
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


def test_specification_curve_json_ranks_every_configuration(built, con):
    data = pd.DataFrame(_figure(built, "specification_curve")["data"])
    expected = _rows(con, "SELECT config_id, auroc, auroc_ci_lo, auroc_ci_hi "
                          "FROM essential_metrics ORDER BY auroc DESC, config_id")
    assert list(data.config_id) == list(expected.config_id)
    assert np.allclose(data[["auroc", "auroc_ci_lo", "auroc_ci_hi"]],
                       expected[["auroc", "auroc_ci_lo", "auroc_ci_hi"]])


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


@pytest.mark.parametrize("factor", ["outlier_method", "imputation_method", "classifier"])
def test_critical_difference_per_factor(built, con, factor):
    data = _figure(built, f"critical_difference_{factor}")
    where = (CATBOOST_HANDCRAFTED if factor != "classifier" else "featurization = 'simple1.0'")
    wide = _rows(con, f"SELECT e.{factor} AS level, b.iteration, avg(b.auroc) AS auroc "
                      "FROM bootstrap_auroc b JOIN essential_metrics e USING (config_id) "
                      f"WHERE {where} GROUP BY 1, 2").pivot(index="iteration", columns="level",
                                                            values="auroc")
    statistic, _, cd = _friedman_reference(wide)
    assert set(data["data"]["ranks"]) == set(wide.columns)
    assert data["data"]["statistic"] == pytest.approx(statistic)
    assert data["data"]["critical_difference"] == pytest.approx(cd)


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


def test_variance_decomposition_json_is_the_anova(built, con):
    data = pd.DataFrame(_figure(built, "variance_decomposition")["data"]).set_index("factor")
    expected = _anova_eta_squared(con)
    for factor in ("outlier_method", "imputation_method", "classifier", "featurization",
                   "Residual"):
        assert data.loc[factor, "eta_sq"] == pytest.approx(expected[factor])
        assert data.loc[factor, "eta_sq_ci_lo"] <= data.loc[factor, "eta_sq_ci_hi"]
    assert data["eta_sq"].sum() == pytest.approx(1.0)
    n_boot = _rows(con, "SELECT max(n_bootstrap) AS n FROM essential_metrics").n[0]
    assert (data["n_bootstrap"] == n_boot).all()


def _standard_config_ids(con) -> dict[str, str]:
    ids = {}
    for name, p in load_standard_pipelines().items():
        row = con.execute("SELECT config_id FROM essential_metrics WHERE outlier_method = ? AND "
                          "imputation_method = ? AND classifier = ? AND featurization = ?",
                          [p["outlier_method"], p["imputation_method"], p["classifier"],
                           p["featurization"]]).fetchone()
        if row:
            ids[name] = row[0]
    return ids


@pytest.mark.parametrize("kind", list(CURVES))
def test_pipeline_curve_json_is_the_table_rows_of_the_standard_pipelines(built, con, kind):
    table, order = CURVES[kind]
    data = _figure(built, kind)
    ids = _standard_config_ids(con)
    assert len(ids) == 4 and data["missing_pipelines"] == []
    got = pd.DataFrame(data["data"])
    for name, config_id in ids.items():
        expected = _rows(con, f"SELECT * FROM {table} WHERE config_id = '{config_id}' "
                              f"ORDER BY {order}")
        mine = got[got.pipeline == name].drop(columns="pipeline").reset_index(drop=True)
        assert len(mine) == len(expected) > 0, name
        pd.testing.assert_frame_equal(mine[expected.columns], expected, check_dtype=False)


def test_a_missing_standard_pipeline_is_reported_not_substituted(built, tmp_path, monkeypatch,
                                                                 caplog):
    from plr_luigi.study import configs, display

    pipelines = {**load_standard_pipelines(),
                 "phantom": {"label": "Phantom pipeline", "category": "traditional",
                             "outlier_method": "LOF", "imputation_method": "linear",
                             "classifier": "CatBoost", "featurization": "simple1.0"}}
    for module in (configs, display):  # where the task and the colour lookup find it
        monkeypatch.setattr(module, "load_standard_pipelines", lambda: pipelines)
    monkeypatch.setattr("plr_luigi.figures.pipeline_curves.load_standard_pipelines",
                        lambda: pipelines)
    with plr_settings(**{**built["settings"], "output_dir": str(tmp_path)}), \
            caplog.at_level(logging.WARNING):
        assert luigi_build([PipelineCurves(kind="roc")])
    data = json.loads((tmp_path / "figures" / "roc.json").read_text())
    assert data["missing_pipelines"] == ["phantom"]
    assert {row["pipeline"] for row in data["data"]} == set(load_standard_pipelines())
    assert "phantom" in caplog.text


def luigi_build(tasks) -> bool:
    import luigi

    return luigi.build(tasks, local_scheduler=True)


def test_demo_traces_show_eight_anonymised_subjects_chosen_by_outlier_share(built, small_store):
    data = _figure(built, "demo_traces")
    subjects = pd.DataFrame(data["data"]["subjects"])
    codes = subjects.subject_code.tolist()
    assert len(codes) == 8 and all(re.fullmatch(r"[HG]\d{3}", c) for c in codes)
    assert [c[0] for c in codes] == list("HHHHGGGG")
    assert set(data["data"]["traces"]) == set(codes)
    assert all(len(t["time"]) == 1981 and t["pupil_gt"] for t in data["data"]["traces"].values())
    assert set(data["data"]["light"]) == {"time", "Red", "Blue"}
    # The rule, recomputed from the private source database and lookup.
    lookup = pd.read_csv(built["work"] / "data" / "private" / "subject_lookup.csv")
    with sqlite3.connect(small_store.source_db) as source:
        shares = pd.read_sql_query("SELECT subject_code AS original_code, avg(outlier_mask) AS "
                                   "share FROM pupil_data GROUP BY 1", source)
    shares = lookup.merge(shares, on="original_code")
    for label, prefix in ((0, "H"), (1, "G")):
        ordered = shares[shares.class_label == label].sort_values(["share", "subject_code"])
        expected = [*ordered.subject_code[:2], *ordered.subject_code[-2:]]
        assert [c for c in codes if c[0] == prefix] == expected
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
    return abs(float(text) - float(value)) < 5e-4


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
                       "essential_metrics ORDER BY auroc DESC LIMIT 1").fetchone()
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


@pytest.mark.parametrize("factor", ["outlier_method", "imputation_method"])
def test_factor_tables_match_the_database(built, con, factor):
    rows = _table_body(built, f"by_{factor}")
    expected = _rows(con, f"SELECT {factor} AS level, avg(auroc) AS mean, min(auroc) AS lo, "
                          f"max(auroc) AS hi, count(*) AS n FROM essential_metrics "
                          f"WHERE {CATBOOST_HANDCRAFTED} GROUP BY 1 ORDER BY mean DESC, level")
    assert len(rows) == len(expected)
    for cells, row in zip(rows, expected.itertuples(), strict=True):
        assert [float(cells[1]), float(cells[3]), float(cells[4])] == pytest.approx(
            [row.mean, row.lo, row.hi], abs=5e-4)
        assert int(cells[-1]) == row.n


def test_top_pipelines_table_matches_the_database(built, con):
    rows = _table_body(built, "top_pipelines")
    expected = _rows(con, "SELECT auroc, auroc_ci_lo, auroc_ci_hi FROM essential_metrics "
                          "ORDER BY auroc DESC, config_id LIMIT 10")
    assert len(rows) == 10
    for rank, (cells, row) in enumerate(zip(rows, expected.itertuples(), strict=True), 1):
        assert cells[0] == str(rank)
        assert float(cells[5]) == pytest.approx(row.auroc, abs=5e-4)
        lo, hi = (float(v) for v in cells[6].split("--"))
        assert (lo, hi) == pytest.approx((row.auroc_ci_lo, row.auroc_ci_hi), abs=5e-4)


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
        assert recorder.build([ReproduceAll()]) == ["AurocHeatmap", "PrivacyAudit", "ReportPage",
                                                    "ReproduceAll", "Supplement"]
        assert AurocHeatmap().complete()


def test_standard_pipeline_specs_must_name_every_factor(con):
    with pytest.raises(ValueError, match="does not name"):
        queries.find_pipelines(con, {"vague": {"classifier": "CatBoost"}})
