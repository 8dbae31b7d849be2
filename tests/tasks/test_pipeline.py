"""End to end: a synthetic MLflow store -> Luigi build -> DuckDB database -> outputs."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import luigi
import numpy as np
import pytest
from support.events import task_events
from support.luigi_process import add_plr_options, run_luigi, write_luigi_cfg
from support.settings import DRAFT_FIGURES, plr_settings

from plr_luigi.database import queries
from plr_luigi.database.privacy_scan import find_leaks_in_files
from plr_luigi.study import schema
from plr_luigi.study.configs import load_standard_pipelines
from plr_luigi.tasks import ForestPlot, ReproduceAll

pytestmark = pytest.mark.slow


def _count(con, sql):
    return con.execute(sql).fetchone()[0]


def test_every_valid_configuration_is_extracted_once(built, con, small_store):
    n = small_store.n_valid_configurations
    # ... and the deep-learning standard pipeline's run, kept apart from the comparisons
    assert built["ran"].count("extraction.ExtractRun") == small_store.n_extracted_runs == n + 1
    assert _count(con, "SELECT count(*) FROM standard_pipeline_only_metrics") == 1
    assert _count(con, "SELECT count(*) FROM essential_metrics") == n
    assert _count(con, "SELECT count(DISTINCT (outlier_method, imputation_method, classifier, "
                       "featurization)) FROM essential_metrics") == n
    extracted = n + 1  # the detail tables hold the deep-learning pipeline's rows too
    expected_rows = {"predictions": 63 * extracted, "bootstrap_auroc": 60 * extracted,
                     "dca_curves": 50 * extracted, "retention_metrics": 20 * extracted,
                     "roc_curves": schema.N_ROC_POINTS * extracted,
                     "probability_distributions": 20 * extracted,
                     "distribution_stats": 2 * extracted, "supplementary_metrics": extracted,
                     "cohort_metrics": 3 * extracted,
                     # 60 iterations, fewer than the 200 sampled: every one, standard
                     # pipelines only (the small store has each of them).
                     "bootstrap_prediction_samples":
                         63 * 60 * len(load_standard_pipelines())}
    for table, rows in expected_rows.items():
        assert _count(con, f"SELECT count(*) FROM {table}") == rows, table


def test_values_are_in_range_and_consistent(con):
    frame = con.execute("SELECT * FROM essential_metrics").df()
    assert frame["auroc"].between(0.4, 1.0).all()
    assert (frame["auroc_ci_lo"] <= frame["auroc"]).all()
    assert (frame["auroc"] <= frame["auroc_ci_hi"]).all()
    assert frame["brier"].between(0, 0.5).all()
    # The published Brier (mean of the iterations') exceeds that of the mean probabilities by
    # the subjects' mean bootstrap variance (Jensen), by 2e-4 to 2e-3 in the study.
    excess = frame["brier"] - frame["brier_of_mean_prob"]
    assert (excess > 0).all() and (excess < 0.01).all()
    assert (frame["n_test"] == 63).all() and (frame["n_events"] == 17).all()
    # The database's AUROC is the mean of its own bootstrap table.
    boot = con.execute("SELECT config_id, avg(auroc) AS m FROM bootstrap_auroc "
                       "GROUP BY config_id").df().set_index("config_id")["m"]
    assert np.allclose(frame.set_index("config_id")["auroc"], boot.loc[frame["config_id"]])
    gt = frame.query("outlier_method == 'pupil-gt' and imputation_method == 'pupil-gt' and "
                     "classifier == 'CatBoost' and featurization == 'simple1.0'")
    assert len(gt) == 1 and abs(gt["auroc"].iloc[0] - 0.911) < 0.04


def test_extraction_report_lists_every_run_with_its_fate(con, small_store):
    report = con.execute("SELECT * FROM extraction_report").df()
    assert len(report) == small_store.n_runs_logged
    # the valid configurations and the deep-learning standard pipeline's run
    assert (report["outcome"] == "extracted").sum() == small_store.n_extracted_runs
    assert set(report["outcome"]) == {"extracted", "skipped"}
    by_name = report.groupby("run_name")
    for name in small_store.quirks["failed"]:
        assert "status is FAILED" in by_name.get_group(name)["reason"].iloc[0]
    for name in small_store.quirks["deleted"]:
        assert "deleted run" in set(by_name.get_group(name)["reason"])
    for name in small_store.quirks["legacy_name"]:
        assert "legacy" in by_name.get_group(name)["reason"].iloc[0]
    for name in small_store.quirks["duplicate"]:
        fates = by_name.get_group(name)
        active = fates[fates["lifecycle_stage"] == "active"]
        assert sorted(active["outcome"]) == ["extracted", "skipped"]
        kept = active.loc[active["outcome"] == "extracted", "run_id"].iloc[0]
        assert f"kept run {kept}" in active.loc[active["outcome"] == "skipped", "reason"].iloc[0]


def test_provenance_says_synthetic(con, small_store):
    provenance = dict(con.execute("SELECT key, value FROM provenance").fetchall())
    assert provenance["synthetic"] == "true"
    assert provenance["n_configurations"] == str(small_store.n_valid_configurations)
    assert provenance["code_version"]


def test_no_original_subject_code_in_any_public_output(built):
    public = [p for p in (built["work"] / "data" / "public").rglob("*") if p.is_file()]
    public += [p for p in built["outputs"].rglob("*") if p.is_file()]
    names = {p.name for p in public}
    assert {"report.html", "demo_traces.json", "demo_traces.pdf", "numbers.tex"} <= names
    assert len(public) >= 60
    assert find_leaks_in_files(public) == []
    # The scanner is not blind: the private lookup does hold the original codes.
    private = built["work"] / "data" / "private" / "subject_lookup.csv"
    assert [leak.split(':')[0] for leak in find_leaks_in_files([private])] == [str(private)]


def test_forest_plot_json_is_the_query_and_the_png_is_not_blank(built, con):
    from PIL import Image

    stem = built["outputs"] / "figures" / "forest_outlier_method"
    data = json.loads(stem.with_suffix(".json").read_text())
    expected = queries.factor_comparison(con, "outlier_method", data["subset"])
    assert data["subset"] == {"classifier": "CatBoost", "featurization": "simple1.0"}
    assert data["synthetic"] is True
    assert [row["level"] for row in data["data"]] == expected["level"].tolist()
    assert np.allclose([row["auroc"] for row in data["data"]], expected["auroc"])
    pixels = np.asarray(Image.open(stem.with_suffix(".png")).convert("L"), dtype=float)
    assert pixels.std() > 10
    assert stem.with_suffix(".pdf").stat().st_size > 5_000


def test_table_rows_match_the_database(built, con):
    tex = (built["outputs"] / "tables" / "by_classifier.tex").read_text()
    summary = queries.factor_summary(con, "classifier", {"featurization": "simple1.0"})
    body = tex.split("\\midrule")[1].split("\\bottomrule")[0].strip().splitlines()
    assert len(body) == len(summary)
    for line, row in zip(body, summary.itertuples(), strict=True):
        cells = [c.strip().rstrip("\\").strip() for c in line.split("&")]
        assert float(cells[1]) == pytest.approx(row.mean, abs=5e-4)
        assert int(cells[-1]) == row.n
    assert "Synthetic data" in tex


def _macros(built) -> dict[str, str]:
    tex = (built["outputs"] / "numbers.tex").read_text()
    return dict(re.findall(r"\\newcommand\{\\(\w+)\}\{([^}]*)\}", tex))


def test_numbers_tex_macros_equal_their_queries(built, con):
    macros = _macros(built)
    assert macros["nConfigurations"] == str(_count(con, "SELECT count(*) FROM essential_metrics"))
    assert macros["nPredictions"] == str(_count(
        con, "SELECT count(*) FROM predictions JOIN essential_metrics USING (config_id) "
             "WHERE featurization = 'simple1.0'"))
    assert float(macros["aurocMax"]) == pytest.approx(
        _count(con, "SELECT max(auroc) FROM essential_metrics"), abs=5e-4)
    best = con.execute("SELECT classifier, auroc FROM essential_metrics WHERE featurization = "
                       "'simple1.0' ORDER BY auroc DESC LIMIT 1").fetchone()
    assert macros["bestClassifier"] == best[0]
    assert float(macros["bestAuroc"]) == pytest.approx(best[1], abs=5e-4)
    assert macros["dataIsSynthetic"] == "true"


def test_the_studys_headline_numbers_are_over_handcrafted_configurations(built, con):
    """Issue 18: \\nConfigs, \\minAUROC, \\meanAUROC and \\maxAUROC are the count, min, mean
    and max over the handcrafted-feature configurations of the public database."""
    macros = _macros(built)
    n, low, mean, high, everything = con.execute(
        "SELECT count(*) FILTER (WHERE featurization = 'simple1.0'), "
        "min(auroc) FILTER (WHERE featurization = 'simple1.0'), "
        "avg(auroc) FILTER (WHERE featurization = 'simple1.0'), "
        "max(auroc) FILTER (WHERE featurization = 'simple1.0'), count(*) "
        "FROM essential_metrics").fetchone()
    assert 0 < n < everything  # the demo store has other featurizations to leave out
    assert macros["nConfigs"] == str(n)
    assert macros["minAUROC"] == f"{low:.3f}"
    assert macros["meanAUROC"] == f"{mean:.3f}"
    assert macros["maxAUROC"] == f"{high:.3f}"


def test_the_built_numbers_compile_in_a_manuscript_using_every_macro(built, tmp_path):
    from support.latex import STUDY_MACROS, compile_fragment

    tex = (built["outputs"] / "numbers.tex").read_text()
    macros = list(_macros(built))
    assert set(STUDY_MACROS) <= set(macros)
    problems = compile_fragment(tmp_path / "latex", tex, macros)
    assert not problems, problems


def test_a_second_build_runs_nothing_and_a_deleted_target_reruns_alone(built, recorder):
    with plr_settings(**built["settings"]):
        assert recorder.build([ReproduceAll()]) == []
        png = built["outputs"] / "figures" / "forest_outlier_method.png"
        png.unlink()
        # Then what shows or audits it (the report page, the supplement, the privacy audit)
        # and the wrapper, which has no target of its own.
        assert recorder.build([ReproduceAll()]) == [
            "ReproduceAll", "figures.ForestPlot", "report.PrivacyAudit", "report.ReportPage",
            "report.Supplement"]
        assert png.is_file()
        assert ForestPlot(factor="outlier_method").complete()


def test_luigi_command_with_nothing_to_do_exits_zero(built, tmp_path):
    s = built["settings"]
    cfg = write_luigi_cfg(tmp_path / "plr.cfg", s["tracking_uri"], s["source_db"],
                          Path(s["data_dir"]), Path(s["output_dir"]))
    result = run_luigi(cfg, "ReproduceAll", "--local-scheduler")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "complete ones were encountered" in result.stderr


def test_outputs_rebuild_from_the_database_alone(built, tmp_path):
    """reproduce-from-checkpoint: a copy of the public databases, no store at all."""
    data = tmp_path / "data"
    (data / "public").mkdir(parents=True)
    shutil.copy(built["db"], data / "public" / "plr_results.duckdb")
    shutil.copy(built["db"].with_name("plr_interpretation.duckdb"), data / "public")
    cfg = add_plr_options(write_luigi_cfg(tmp_path / "plr.cfg", "", "", data,
                                          tmp_path / "outputs"), **DRAFT_FIGURES)
    result = run_luigi(cfg, "ReproduceAll", "--local-scheduler")
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ("numbers.tex", "tables/by_classifier.tex", "figures/forest_outlier_method.png",
                 "extraction_report.md"):
        assert (tmp_path / "outputs" / name).is_file(), name
    assert (tmp_path / "outputs" / "numbers.tex").read_text().split("\n", 2)[2] == \
        (built["outputs"] / "numbers.tex").read_text().split("\n", 2)[2]
    # No source database: the trace figure is marked unavailable, on the page too, not faked.
    figures = tmp_path / "outputs" / "figures"
    assert (figures / "demo_traces.unavailable.json").is_file()
    assert not list(figures.glob("demo_traces.png"))
    assert "This figure is unavailable:</b> no subject source database" in \
        (tmp_path / "outputs" / "report.html").read_text()


def test_a_planted_leak_fails_the_build_and_names_the_file(built, recorder):
    """The privacy audit re-reads every public output after any of them changed."""
    from plr_luigi.tasks import PrivacyAudit

    leak = built["outputs"] / "tables" / "planted.tex"
    leak.write_text("H001 & 0.91 \\\\ % copied from codes_test: PLR4012\n")
    try:
        with plr_settings(**built["settings"]), \
                task_events(luigi.Event.FAILURE, PrivacyAudit) as failed:
            assert not luigi.build([ReproduceAll()], local_scheduler=True)
            assert not PrivacyAudit().complete()
    finally:
        leak.unlink()
    failures = [str(error) for _task, error in failed]
    assert failures and f"{leak}: holds an original subject code" in failures[-1]
    assert f"{leak}: holds a subject-code run param" in failures[-1]
    assert "PLR4012" not in failures[-1]  # the message never repeats the code
    with plr_settings(**built["settings"]):  # the files are again the ones last audited
        assert recorder.build([ReproduceAll()]) == []
        assert PrivacyAudit().complete()


STANDARD_PIPELINE_FIGURES = ("calibration_dca", "probability_distributions", "roc_risk_coverage",
                             "selective_classification", "prediction_instability")


def _pipelines_in_data(data: dict) -> set[str]:
    """The pipelines a standard-pipeline figure's data holds: keyed by pipeline (Fig 1, 4, S1),
    rows with a pipeline (S2) or subject rows and samples by pipeline (Fig 7)."""
    rows = data["data"]
    if isinstance(rows, dict) and "subjects" in rows:
        return {r["pipeline"] for r in rows["subjects"]} & set(rows["samples"])
    if isinstance(rows, dict):
        return set(rows)
    return {r["pipeline"] for r in rows}


def test_the_deep_learning_pipeline_reaches_the_standard_pipeline_figures_only(built, con):
    """Its TimesNet-orig is invalid for the factor comparisons: the run is extracted as a
    standard pipeline only, drawn with the standard pipelines and in no comparison."""
    apart = con.execute("SELECT config_id, run_name FROM standard_pipeline_only_metrics").df()
    assert apart.run_name.tolist() == ["CATBOOST_eval-auc__simple1.0__TimesNet__TimesNet-orig"]
    config_id = apart.config_id[0]
    assert _count(con, f"SELECT count(*) FROM essential_metrics WHERE config_id = "
                       f"'{config_id}' OR outlier_method = 'TimesNet-orig'") == 0
    outcome, reason = con.execute("SELECT outcome, reason FROM extraction_report WHERE "
                                  "run_id = ?", [config_id]).fetchone()
    assert outcome == "extracted" and "standard pipeline deep_learning only" in reason
    figures = built["outputs"] / "figures"
    for stem in STANDARD_PIPELINE_FIGURES:
        data = json.loads((figures / f"{stem}.json").read_text())
        assert {"pipeline": "deep_learning", "config_id": config_id} in \
            [{k: p[k] for k in ("pipeline", "config_id")} for p in data["pipelines"]], stem
        assert "deep_learning" in _pipelines_in_data(data), stem
    tables = built["outputs"] / "tables"
    compared = [*(p for pattern in ("forest_*", "heatmap_*", "critical_difference_*",
                                    "variance_decomposition*", "metric_raincloud*",
                                    "specification_curve*")
                  for p in figures.glob(f"{pattern}.json")),
                *(p for pattern in ("by_*", "top_pipelines*", "variance_decomposition*",
                                    "factorial_anova*")
                  for p in tables.glob(f"{pattern}.json"))]
    assert len(compared) > 15
    for path in compared:
        text = path.read_text()
        assert config_id not in text and "TimesNet-orig" not in text, path.name
    # numbers: only the deep-learning pipeline's own (its instability width, ...) name it
    numbers = json.loads((built["outputs"] / "numbers.json").read_text())["numbers"]
    naming = [n["macro"] for n in numbers if "TimesNet-orig" in json.dumps(n)
              or config_id in json.dumps(n)]
    assert "instabilityWidthDeepLearning" in naming
    assert all(macro.endswith("DeepLearning") for macro in naming), naming


def test_a_subjects_age_in_a_public_output_fails_the_audit(built, recorder):
    """The audit reads the private ages (source database + lookup) and finds a public JSON
    pairing subjects with their own ages, whatever the key is called."""
    import sqlite3

    import pandas as pd

    from plr_luigi.tasks import PrivacyAudit

    with sqlite3.connect(built["settings"]["source_db"]) as source:
        ages = dict(source.execute("SELECT DISTINCT subject_code, age FROM pupil_data "
                                   "WHERE class_label IS NOT NULL").fetchall())
    lookup = pd.read_csv(Path(built["settings"]["data_dir"]) / "private" / "subject_lookup.csv")
    records = [{"subject": public, "x": ages[original]} for original, public in
               zip(lookup["original_code"], lookup["subject_code"], strict=True)][:5]
    leak = built["outputs"] / "tables" / "planted.json"
    leak.write_text(json.dumps({"rows": records}))
    try:
        with plr_settings(**built["settings"]), \
                task_events(luigi.Event.FAILURE, PrivacyAudit) as failed:
            assert not luigi.build([PrivacyAudit()], local_scheduler=True)
    finally:
        leak.unlink()
    failures = [str(error) for _task, error in failed]
    assert failures and f"{leak}: 5 subject records hold their own age" in failures[-1]
    with plr_settings(**built["settings"]):
        assert recorder.build([ReproduceAll()]) == []  # the files are the ones last audited
