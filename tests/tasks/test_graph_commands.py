"""`plr-luigi status | invalidate | graph` on a real build of the small store."""

from __future__ import annotations

import shutil

import pytest
from support.settings import plr_settings

from plr_luigi.cli import main as cli
from plr_luigi.tasks import ForestPlot, ReproduceAll
from plr_luigi.tasks import output_base as output_tasks

pytestmark = pytest.mark.slow
OUTPUT_FAMILIES = ["report.ExtractionReport", "tables.FactorTable", "figures.ForestPlot",
                   "numbers.NumbersTex", "report.ReportPage"]
N_FOREST_PLOTS = 3  # by outlier method, imputation method, classifier


def _status(capsys, *args: str) -> dict[str, dict[str, int]]:
    """`plr-luigi status` parsed: family -> {complete, missing, stale, would run}."""
    assert cli.main(["status", *args]) == 0
    lines = capsys.readouterr().out.splitlines()
    table = {}
    for line in lines[1:lines.index("")]:
        family, _, complete, missing, stale, due = line.split()
        table[family] = {"complete": int(complete), "missing": int(missing),
                         "stale": int(stale), "would_run": int(due)}
    return table


@pytest.fixture
def built_here(built_copy):
    """A finished build of the small store, the test's own; its folder."""
    with plr_settings(**built_copy["settings"]):
        yield built_copy["work"]


def test_status_of_a_built_graph_and_of_an_edited_config(built_here, small_store, capsys,
                                                          monkeypatch):
    n = small_store.n_extracted_runs
    before = _status(capsys)
    assert before["extraction.ExtractRun"] == {"complete": n, "missing": 0, "stale": 0,
                                               "would_run": 0}
    assert before["all"]["would_run"] == 0

    configs = built_here / "configs"
    shutil.copytree(output_tasks.CONFIGS_DIR, configs)
    monkeypatch.setattr(output_tasks, "CONFIGS_DIR", configs)
    figures = configs / "figures.yaml"
    figures.write_text(figures.read_text().replace("reference_auroc: 0.93",
                                                   "reference_auroc: 0.95"))
    output_tasks.configs_digest.cache_clear()
    try:
        status = _status(capsys)
    finally:
        output_tasks.configs_digest.cache_clear()
    for family in OUTPUT_FAMILIES:  # every instance of a stamped output is stale
        n_family = before[family]["complete"]
        assert status[family]["stale"] == status[family]["would_run"] == n_family >= 1, family
    assert status["database.MergeToDuckDB"]["complete"] == 1
    assert status["extraction.ExtractRun"]["would_run"] == 0


def test_invalidate_an_output_or_the_database_downstream_then_rebuild_only_that(
        built_here, capsys, recorder):
    db = built_here / "data" / "public" / "plr_results.duckdb"
    png = built_here / "outputs" / "figures" / "forest_outlier_method.png"

    # A family's bare class name is enough while no other namespace has that class name.
    assert cli.main(["invalidate", "ForestPlot", "--downstream"]) == 0
    # 3 forest plots, the report page, the supplement, the privacy audit, the wrapper; their
    # PNG/PDF/JSON files, report.html, the supplement's PDF/TeX/JSON and privacy_audit.json.
    assert "7 tasks selected, deleting 14 targets" in capsys.readouterr().out
    assert not png.exists()
    # The forest plots, then what shows or audits them, and the wrapper.
    assert recorder.build([ReproduceAll()]) == [
        "ReproduceAll", *["figures.ForestPlot"] * N_FOREST_PLOTS, "report.PrivacyAudit",
        "report.ReportPage", "report.Supplement"]
    assert cli.main(["invalidate", "NoSuchTask"]) == 2
    capsys.readouterr()

    assert cli.main(["invalidate", "database.MergeToDuckDB", "--downstream", "--dry-run"]) == 0
    listed = capsys.readouterr().out
    assert "would delete" in listed and str(db) in listed and str(png) in listed
    assert db.is_file() and png.is_file()

    assert cli.main(["invalidate", "database.MergeToDuckDB", "--downstream"]) == 0
    capsys.readouterr()
    assert not db.exists() and not png.exists()
    status = _status(capsys)
    assert status["database.MergeToDuckDB"]["missing"] == 1
    assert status["figures.ForestPlot"]["missing"] == N_FOREST_PLOTS
    assert status["extraction.ExtractRun"]["would_run"] == 0

    # One output of the database is enough to show the extraction is not redone (the whole
    # graph would draw every figure again for the same answer).
    ran = recorder.build([ForestPlot(factor="outlier_method")])
    assert "extraction.ExtractRun" not in ran and "database.MergeToDuckDB" in ran
    assert "figures.ForestPlot" in ran and db.is_file() and png.is_file()


def test_overrides_and_the_graph_picture(built_here, capsys):
    with plr_settings():  # restores [plr] output_dir after the override
        status = _status(capsys, "--plr-output-dir", str(built_here / "elsewhere"))
    assert status["figures.ForestPlot"]["missing"] == N_FOREST_PLOTS
    assert status["database.MergeToDuckDB"]["complete"] == 1

    picture = built_here / "graph" / "task_graph.svg"
    assert cli.main(["graph", "--edges", "--picture", str(picture)]) == 0
    out = capsys.readouterr().out
    assert "database.MergeToDuckDB -> extraction.ExtractRun (x" in out
    assert "ReproduceAll -> figures.ForestPlot" in out
    dot = picture.with_suffix(".dot").read_text()
    assert dot.startswith("digraph") and 'subgraph "cluster_extraction"' in dot
    assert picture.stat().st_size > 1000
    assert cli.main(["graph"]) == 0
    assert capsys.readouterr().out.startswith("ReproduceAll__")


def test_status_and_invalidate_cover_the_upstream_tasks(built_here, small_store, capsys):
    table = _status(capsys)
    n_upstream = 14 + 11  # kept outlier-detection and imputation runs of the small store
    assert table["extraction.ExtractUpstreamRun"] == {"complete": n_upstream, "missing": 0,
                                                      "stale": 0, "would_run": 0}
    for family in ("database.MergeSignals", "figures.PreprocessingQuality",
                   "tables.PreprocessingTable", "figures.OutlierDifficulty",
                   "extraction.OutlierDifficultySubjects", "figures.DecompositionGrid"):
        assert table[family]["complete"] == 1, family
    assert cli.main(["invalidate", "database.MergeSignals", "--downstream"]) == 0
    capsys.readouterr()
    after = _status(capsys)
    assert after["database.MergeSignals"]["missing"] == 1
    assert after["figures.DecompositionGrid"]["would_run"] == 1
    assert after["extraction.ExtractUpstreamRun"]["would_run"] == 0
