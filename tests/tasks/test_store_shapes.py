"""Stores of shapes the demo store never shows: every output is built or recorded unavailable
with its reason, the audit runs, the build fails only where runs failed (issue 12)."""

from __future__ import annotations

import pytest
from support.store_shapes import build_store, check_build, store_of_runs

pytestmark = pytest.mark.slow
GT = ("pupil-gt", "pupil-gt")


def _store(shared_dir, tmp_path, configs):
    from plr_luigi.synth.design import run_spec
    from plr_luigi.synth.registry import load_levels

    runs = [run_spec(load_levels(), config, seed=5) for config in configs]
    return store_of_runs(shared_dir, tmp_path / "store", runs, seed=5, n_bootstrap=20,
                         model_pickle_bytes=1000)


def _settings(tmp_path, store, source_db=True) -> dict[str, str]:
    return {"tracking_uri": store.tracking_uri,
            "source_db": str(store.source_db) if source_db else "",
            "data_dir": str(tmp_path / "data"), "output_dir": str(tmp_path / "outputs")}


def test_two_configurations_of_one_classifier_build_what_they_can(shared_dir, tmp_path):
    store = _store(shared_dir, tmp_path, [(*GT, "CatBoost", "simple1.0"),
                                          ("pupil-gt", "SAITS", "CatBoost", "simple1.0")])
    settings = _settings(tmp_path, store)
    outcome = build_store(settings["tracking_uri"], settings["source_db"], tmp_path)
    unavailable = check_build(outcome, settings)
    assert outcome.exit_code == 0
    # Two pipelines cannot be ranked by a Friedman test, one outlier level not at all, and two
    # configurations leave no residual variance: recorded, with the reason.
    assert "needs >= 3 treatments" in unavailable["critical_difference_top_pipelines"
                                                   ".unavailable.json"]
    assert "cannot separate" in unavailable["variance_decomposition.unavailable.json"]
    assert "cannot separate" in unavailable["variance_decomposition.tex"]
    # ... while the ground truth's curves, the forest plots and the numbers are built.
    outputs = tmp_path / "outputs"
    assert (outputs / "figures" / "calibration_dca.png").is_file()
    assert (outputs / "figures" / "forest_imputation_method.png").is_file()
    numbers = (outputs / "numbers.tex").read_text()
    assert "\\newcommand{\\nConfigurations}{2}" in numbers
    assert "\\newcommand{\\friedmanPTop}{\\textit{n/a}}" in numbers
    assert "% bestAurocTabM unavailable (n/a), best AUROC with TabM: the query found nothing" \
        in numbers
    page = (outputs / "report.html").read_text()
    assert "This figure is unavailable:</b> Friedman test needs &gt;= 3 treatments" in page
    # An unavailable table too, its reason read from the table's JSON twin.
    table = page.split('<section class="table" id="variance_decomposition">')[1]
    assert "This table is unavailable:</b> " in table.split("</section>")[0]
    assert "cannot separate" in table.split("</section>")[0]


def test_a_store_without_the_compared_subset_or_any_standard_pipeline(shared_dir, tmp_path):
    store = _store(shared_dir, tmp_path, [(o, i, "LogisticRegression", "MOMENT-embedding")
                              for o, i in (("LOF", "SAITS"), ("LOF", "CSDI"), ("SubPCA", "SAITS"),
                                           ("SubPCA", "CSDI"), ("PROPHET", "CSDI"))])
    settings = _settings(tmp_path, store, source_db=False)
    unavailable = check_build(build_store(settings["tracking_uri"], "", tmp_path), settings)
    for name in ("forest_outlier_method", "heatmap_outlier_imputation", "specification_curve",
                 "metric_raincloud"):
        assert unavailable[f"{name}.unavailable.json"].startswith("no configuration with"), name
    # Fig 6's panels are handcrafted configurations too
    assert unavailable["variance_decomposition.unavailable.json"].startswith(
        "variance panel A: no configuration with")
    assert ("no configuration of Handcrafted (8 features), every classifier"
            in unavailable["by_outlier_method.tex"])  # T3: the study's population
    assert "none of the standard pipelines" in unavailable["calibration_dca.unavailable.json"]
    # Figures of all configurations (extended) still show them.
    assert (tmp_path / "outputs" / "figures" / "specification_curve_all.png").is_file()
    assert (tmp_path / "outputs" / "figures" / "metric_raincloud_by_level.png").is_file()


def _corrupt_metrics_pickle(store, run_name: str) -> None:
    from pathlib import Path

    [pickle] = Path(store.tracking_uri).glob(f"*/*/artifacts/metrics/metrics_{run_name}.pickle")
    pickle.write_bytes(b"\x80\x05 truncated")


def test_a_run_failing_extraction_still_gets_every_output_audited_and_reported(shared_dir,
                                                                                tmp_path):
    configs = [(*GT, "CatBoost", "simple1.0"), ("LOF", "SAITS", "CatBoost", "simple1.0"),
               ("LOF", "CSDI", "XGBoost", "simple1.0")]
    store = _store(shared_dir, tmp_path, configs)
    broken = "XGBOOST_eval-auc__simple1.0__CSDI__LOF"
    _corrupt_metrics_pickle(store, broken)
    settings = _settings(tmp_path, store)
    outcome = build_store(settings["tracking_uri"], settings["source_db"], tmp_path)
    check_build(outcome, settings)  # the audit ran, the report page exists
    assert outcome.exit_code == 30
    assert f"{broken}: metrics_{broken}.pickle is not a readable pickle" in \
        next(iter(outcome.failed.values()))
    report = (tmp_path / "outputs" / "extraction_report.md").read_text()
    assert broken in report and "not a readable pickle" in report
    page = (tmp_path / "outputs" / "report.html").read_text()
    assert broken in page and "not a readable pickle" in page
