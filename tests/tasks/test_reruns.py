"""Precise reruns: the build follows the store and the configuration without manual deletes."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import pytest
from support.settings import plr_settings

from plr_luigi.study import schema
from plr_luigi.study.factors import load_factor_registry
from plr_luigi.task_graph.status import walk_graph, would_run
from plr_luigi.tasks import (
    DecompositionGrid,
    DemoTraces,
    ForestPlot,
    MergeToDuckDB,
    NumbersTex,
    OutlierDifficulty,
    ReproduceAll,
)
from plr_luigi.tasks import output_base as output_tasks

pytestmark = pytest.mark.slow
# Families whose completeness is not stamped output: they rerun only when their inputs change.
UPSTREAM = {"extraction.SubjectLookup", "extraction.ExtractRun", "extraction.ExtractUpstreamRun",
            "extraction.OutlierDifficultySubjects", "database.MergeToDuckDB",
            "database.MergeSignals", "interpretation.ShapForConfig",
            "database.MergeInterpretation"}


def _due() -> list[str]:
    """The families of the tasks a build of ReproduceAll would run now (as Luigi schedules it:
    every incomplete task reached from the root, plr-luigi status's count), sorted."""
    graph = walk_graph(ReproduceAll())
    return sorted(graph.family(task_id) for task_id in would_run(graph))


def _unused_configuration_name(client, experiment_id) -> str:
    used = {r.info.run_name for r in client.search_runs([experiment_id], max_results=5000)}
    registry = load_factor_registry()
    for cls, imputation, outlier in itertools.product(
            sorted(registry.classifiers), sorted(registry.valid["imputation_method"]),
            sorted(registry.valid["outlier_method"])):
        name = f"{cls}_eval-auc__simple1.0__{imputation}__{outlier}"
        if name not in used:
            return name
    raise AssertionError("every configuration is used")


def _log_run_like(tracking_uri: str, template_run_name: str, status: str, tmp: Path) -> str:
    """A new run of an unused configuration, with a real metrics pickle copied from a template."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    experiment = client.get_experiment_by_name("PLR_Classification").experiment_id
    template = client.search_runs([experiment], f"attributes.run_name = '{template_run_name}'")[0]
    name = _unused_configuration_name(client, experiment)
    source = Path(template.info.artifact_uri.removeprefix("file://")) / "metrics" / \
        f"metrics_{template_run_name}.pickle"
    copy = tmp / f"metrics_{name}.pickle"
    shutil.copy(source, copy)
    run = client.create_run(experiment, run_name=name, tags={"plr.synthetic": "true"})
    client.log_param(run.info.run_id, "glaucomaParam_prevalence", "0.0354")
    client.log_artifact(run.info.run_id, str(copy), artifact_path="metrics")
    if status != "RUNNING":
        client.set_terminated(run.info.run_id, status)
    return run.info.run_id


@pytest.fixture
def fresh_build(built_copy_of_private_store):
    """A finished build of a store, both the test's own to change."""
    built = built_copy_of_private_store
    store, first = built["store"], built["ran"]
    assert first.count("extraction.ExtractRun") == store.n_extracted_runs
    with plr_settings(**built["settings"]):
        yield store, built["work"], first


def test_new_run_is_extracted_alone_and_its_dependents_rebuilt(fresh_build, recorder):
    store, tmp, first = fresh_build
    gt = "CATBOOST_eval-auc__simple1.0__pupil-gt__pupil-gt"
    _log_run_like(store.tracking_uri, gt, "FINISHED", tmp)
    with plr_settings():  # the store changed: a new listing is due
        due = _due()
        # The database and one output built for real: the interpretation's ShapForConfig tasks
        # are dynamic dependencies, which only a build shows (every other output is rebuilt
        # from the database alike, for the same answer: test_editing_the_figure_config...).
        ran = recorder.build([NumbersTex()])
    # One extraction, the merge, the new ground-truth run explained (a standard pipeline) and
    # merged, and every output again (they are built from the database).
    outputs = [f for f in first if f not in UPSTREAM]
    assert sorted([*due, "interpretation.ShapForConfig"]) == sorted(
        ["extraction.ExtractRun", "database.MergeToDuckDB", "interpretation.ShapForConfig",
         "database.MergeInterpretation", *outputs])
    assert ran == sorted(["extraction.ExtractRun", "database.MergeToDuckDB",
                          "interpretation.ShapForConfig", "database.MergeInterpretation",
                          "numbers.NumbersTex"])
    with plr_settings():
        assert recorder.build([NumbersTex()]) == []


def test_a_new_run_leaves_the_figures_of_data_it_does_not_change_as_they_are(fresh_build,
                                                                            recorder):
    store, tmp, _ = fresh_build
    figures = tmp / "outputs" / "figures"
    unchanging = [p for p in figures.iterdir()
                  if p.name.split(".")[0] in ("decomposition_grid", "demo_traces",
                                              "outlier_difficulty")]
    before = {p: p.stat().st_mtime_ns for p in unchanging}
    forest = figures / "forest_outlier_method.json"
    forest_before = forest.stat().st_mtime_ns
    _log_run_like(store.tracking_uri, "CATBOOST_eval-auc__simple1.0__pupil-gt__pupil-gt",
                  "FINISHED", tmp)
    with plr_settings():
        recorder.build([DecompositionGrid(), DemoTraces(), OutlierDifficulty(),
                        ForestPlot(factor="outlier_method")])
    # The signals and the source database's subjects are what they were: not drawn again;
    # the forest plot, of the classification runs, is.
    assert len(before) == 9 and {p: p.stat().st_mtime_ns for p in unchanging} == before
    assert forest.stat().st_mtime_ns != forest_before
    provenance = json.loads((figures / "decomposition_grid.json").read_text())["provenance"]
    assert schema.PROV_INVENTORY_DIGEST not in provenance and provenance["inputs_digest"]


@pytest.fixture
def fresh_extraction(extracted_copy_of_private_store):
    """A finished build's data (no outputs) of a store, both the test's own to change."""
    copy = extracted_copy_of_private_store
    with plr_settings(**copy["settings"]):
        yield copy["store"], copy["work"]


def test_a_run_that_finishes_later_is_extracted_then(fresh_extraction, recorder):
    from mlflow.tracking import MlflowClient

    store, tmp = fresh_extraction
    run_id = _log_run_like(store.tracking_uri, "CATBOOST_eval-auc__simple1.0__pupil-gt__pupil-gt",
                           "RUNNING", tmp)
    # The database is the target: the extraction and the merge are what this is about (what
    # a new database makes stale: test_new_run_is_extracted_alone_and_its_dependents_rebuilt).
    with plr_settings():
        ran = recorder.build([MergeToDuckDB()])
    # the report now lists it
    assert "extraction.ExtractRun" not in ran and "database.MergeToDuckDB" in ran
    MlflowClient(tracking_uri=store.tracking_uri).set_terminated(run_id, "FINISHED")
    with plr_settings():
        assert recorder.build([MergeToDuckDB()]).count("extraction.ExtractRun") == 1


def test_editing_the_figure_config_makes_outputs_stale_not_the_database(
        fresh_build, recorder, monkeypatch):
    _, tmp, first = fresh_build
    configs = tmp / "configs"
    shutil.copytree(output_tasks.CONFIGS_DIR, configs)
    monkeypatch.setattr(output_tasks, "CONFIGS_DIR", configs)
    output_tasks.configs_digest.cache_clear()
    try:
        with plr_settings():
            assert recorder.build([ReproduceAll()]) == []
        figures = configs / "figures.yaml"
        figures.write_text(figures.read_text().replace("reference_auroc: 0.93",
                                                       "reference_auroc: 0.95"))
        output_tasks.configs_digest.cache_clear()
        with plr_settings():
            due = _due()
            ran = recorder.build([ForestPlot(factor="outlier_method")])
        # Every stamped output is due; the database and extraction are untouched, and so is
        # AllRunsExtracted, whose completeness is the database's extraction report.
        assert due == sorted(f for f in first if f not in UPSTREAM | {"report.AllRunsExtracted"})
        # A real build of one of them rebuilds it alone (the whole graph would draw every
        # figure again for the same answer).
        assert ran == ["figures.ForestPlot"]
    finally:
        output_tasks.configs_digest.cache_clear()
