"""The outputs built on the upstream experiments, checked against the database they come from
with hand-written SQL and scipy directly."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from scipy.stats import pearsonr

pytestmark = pytest.mark.slow

SUBSET = "e.classifier = 'CatBoost' AND e.featurization = 'simple1.0'"


def test_preprocessing_quality_is_pearson_of_the_pipelines_rows(built, con):
    from PIL import Image

    stem = built["outputs"] / "figures" / "preprocessing_quality"
    figure = json.loads(stem.with_suffix(".json").read_text())
    assert figure["synthetic"] is True and "point-adjusted" in figure["note"]
    pixels = np.asarray(Image.open(stem.with_suffix(".png")).convert("L"), dtype=float)
    assert pixels.std() > 10 and stem.with_suffix(".pdf").read_bytes()[:5] == b"%PDF-"
    f1 = con.execute(f"""
        SELECT e.config_id, e.auroc, coalesce(max(o.value), 1.0) AS f1
        FROM essential_metrics e LEFT JOIN outlier_detection_metrics o
          ON o.outlier_method = e.outlier_method AND o.split = 'outlier_test' AND o.metric = 'f1'
        WHERE {SUBSET} GROUP BY ALL
        HAVING max(o.value) IS NOT NULL OR e.outlier_method = 'pupil-gt'""").df()
    plotted = {r["config_id"]: r["f1"] for r in figure["data"]["outlier"]}
    assert plotted == pytest.approx(dict(zip(f1["config_id"], f1["f1"], strict=True)))
    r, p = pearsonr(f1["f1"], f1["auroc"])
    stats = figure["pearson"]["outlier"]
    assert (stats["n"], stats["r"], stats["p"]) == (len(f1), pytest.approx(r), pytest.approx(p))
    mae = con.execute(f"""
        WITH best AS (SELECT imputation_method, outlier_method, min(value) AS mae
                      FROM imputation_metrics WHERE split = 'test' AND metric = 'mae'
                      GROUP BY ALL)
        SELECT e.config_id, e.auroc,
               CASE WHEN e.imputation_method = 'pupil-gt' THEN 0.0 ELSE b.mae END AS mae
        FROM essential_metrics e LEFT JOIN best b USING (imputation_method, outlier_method)
        WHERE {SUBSET} AND (b.mae IS NOT NULL OR e.imputation_method = 'pupil-gt')""").df()
    assert len(mae) == len(figure["data"]["imputation"]) >= 3
    r, _ = pearsonr(mae["mae"], mae["auroc"])
    assert figure["pearson"]["imputation"]["r"] == pytest.approx(r)


def test_numbers_tex_quotes_the_figures_correlations(built):
    figure = json.loads((built["outputs"] / "figures" / "preprocessing_quality.json").read_text())
    tex = (built["outputs"] / "numbers.tex").read_text()
    macros = dict(re.findall(r"\\newcommand\{\\(corrAuroc\w+)\}\{(.*)\}", tex))
    stats = figure["pearson"]
    assert macros["corrAurocOutlierFOne"] == f"{stats['outlier']['r']:.2f}"
    assert macros["corrAurocOutlierFOneN"] == str(stats["outlier"]["n"])
    assert macros["corrAurocImputationMaeN"] == str(stats["imputation"]["n"])


def test_preprocessing_table_lists_every_method_and_imputer(built, con):
    tex = (built["outputs"] / "tables" / "preprocessing.tex").read_text()
    assert "Synthetic data" in tex and "99.95th" in tex
    f1 = con.execute("SELECT value, ci_lo, ci_hi FROM outlier_detection_metrics "
                     "WHERE split = 'outlier_test' AND metric = 'f1'").fetchall()
    for value, lo, hi in f1:
        assert f"{value:.3f} ({lo:.3f}--{hi:.3f})" in tex
    imputers = con.execute("SELECT imputer, value FROM imputation_metrics WHERE split = 'test' "
                           "AND metric = 'mae' AND outlier_method = 'pupil-gt'").fetchall()
    assert imputers
    for imputer, value in imputers:
        assert imputer.replace("_", r"\_") in tex and f"{value:.3f}" in tex
    # Its JSON twin: the same two tables, names as they are (not LaTeX).
    twin = json.loads((built["outputs"] / "tables" / "preprocessing.json").read_text())
    outlier, imputation = twin["tables"]
    assert len(outlier["rows"]) == len(f1) and outlier["label"] == "tab:preprocessing_outlier"
    assert sorted(row["Imputer"] for row in imputation["rows"]) == sorted(i for i, _ in imputers)


def test_outlier_difficulty_per_subject_is_private_and_shares_are_its_sums(built, small_store):
    import sqlite3

    import pandas as pd

    private = built["work"] / "data" / "private" / "outlier_difficulty_subjects.csv"
    subjects = pd.read_csv(private)
    assert subjects["subject_code"].str.fullmatch(r"[HGU]\d{3}").all()
    assert len(subjects) == subjects["subject_code"].nunique() == 248
    assert not list(built["outputs"].rglob("outlier_difficulty*.csv"))
    # one subject recomputed from the source database with the rule itself
    lookup = pd.read_csv(built["work"] / "data" / "private" / "subject_lookup.csv")
    original = lookup.loc[lookup["subject_code"] == "G001", "original_code"].item()
    with sqlite3.connect(small_store.source_db) as source:
        rows = pd.read_sql_query("SELECT pupil_orig, pupil_gt, outlier_mask FROM pupil_data "
                                 "WHERE subject_code = ?", source, params=[original])
    easy = (rows["outlier_mask"] == 1) & (
        (rows["pupil_orig"] - rows["pupil_gt"]).abs() > 3 * rows["pupil_gt"].std())
    g001 = subjects.set_index("subject_code").loc["G001"]
    assert (g001["n_outliers"], g001["n_easy"]) == (rows["outlier_mask"].sum(), easy.sum())
    figure = json.loads((built["outputs"] / "figures" / "outlier_difficulty.json").read_text())
    shares = {row["class"]: row for row in figure["data"]}
    glaucoma = subjects[subjects["class"] == "glaucoma"]
    assert shares["glaucoma"]["n_easy"] == glaucoma["n_easy"].sum()
    assert shares["all"]["easy_share"] == pytest.approx(
        subjects["n_easy"].sum() / subjects["n_outliers"].sum())
    assert not re.search(r"PLR\d+", json.dumps(figure))


def test_outlier_difficulty_without_a_source_database_is_marked_unavailable(built, tmp_path):
    import luigi
    from support.settings import plr_settings

    from plr_luigi.tasks import OutlierDifficulty, PreprocessingQuality

    with plr_settings(**{**built["settings"], "source_db": "", "output_dir": str(tmp_path)}):
        assert luigi.build([OutlierDifficulty(), PreprocessingQuality()], local_scheduler=True)
    names = sorted(p.name for p in (tmp_path / "figures").iterdir())
    # the source database is needed for the difficulty only; the quality figure still builds
    assert names == ["outlier_difficulty.unavailable.json", "preprocessing_quality.json",
                     "preprocessing_quality.pdf", "preprocessing_quality.png"]
    status = json.loads((tmp_path / "figures" / "outlier_difficulty.unavailable.json")
                        .read_text())
    assert status["status"] == "unavailable" and "source_db" in status["reason"]
