"""What changed since the last build: a real build, runs added to the store with the MLflow
API (one better than every other, one whose pickle is corrupt), a rebuild; the moved numbers,
the new and the failing runs and the changed figures are on the report page and in
`plr-luigi diff`. The history logic itself on hand-made snapshots."""

from __future__ import annotations

import html
import json
import pickle
import re

import numpy as np
import pytest
from support.settings import plr_settings

from plr_luigi.report.build_history import compare, record_build

NEW_CONFIGS = [f"CATBOOST_eval-auc__simple1.0__{imputation}__{outlier}"
               for imputation in ("CSDI", "SAITS", "TimesNet", "MOMENT-finetune")
               for outlier in ("LOF", "SubPCA", "PROPHET", "OneClassSVM")]


def _numbers(numbers_json: str) -> dict[str, str]:
    """macro -> the text its LaTeX macro prints ("" when unavailable), as the history holds."""
    return {n["macro"]: "" if n["unavailable"] else n["latex"]
            for n in json.loads(numbers_json)["numbers"]}


def _moved(changes_html: str) -> dict[str, tuple[str | None, str | None]]:
    """macro -> (before, now) of the page's table of moved numbers ("(absent)": None)."""
    rows = re.findall(r"<tr><td><code>\\(\w+)</code></td><td>[^<]*</td><td>([^<]*)</td>"
                      r"<td><b>([^<]*)</b>", changes_html)
    value = lambda text: None if text == "(absent)" else html.unescape(text)  # noqa: E731
    return {macro: (value(old), value(new)) for macro, old, new in rows}


def _log_run(client, experiment_id: str, name: str, params: dict, pickled: bytes, tmp) -> str:
    local = tmp / f"metrics_{name}.pickle"
    local.write_bytes(pickled)
    run = client.create_run(experiment_id, run_name=name)
    for key, value in params.items():
        client.log_param(run.info.run_id, key, value)
    client.log_artifact(run.info.run_id, str(local), artifact_path="metrics")
    client.set_terminated(run.info.run_id, status="FINISHED")
    return run.info.run_id


def _add_runs(tracking_uri: str, tmp) -> tuple[str, str]:
    """A copy of the best run, under a new configuration and with every bootstrap AUROC raised
    by 0.05; and a run whose metrics pickle is not a pickle. Returns their names."""
    import mlflow
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    experiment = client.get_experiment_by_name("PLR_Classification")
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    finished = [r for r in runs if r.info.status == "FINISHED" and "test/AUROC" in r.data.metrics]
    best = max(finished, key=lambda r: r.data.metrics["test/AUROC"])
    taken = {r.info.run_name for r in runs}
    better, broken = [name for name in NEW_CONFIGS if name not in taken][:2]
    path = mlflow.artifacts.download_artifacts(
        artifact_uri=f"{best.info.artifact_uri}/metrics/metrics_{best.info.run_name}.pickle",
        tracking_uri=tracking_uri)
    with open(path, "rb") as fh:
        pickled = pickle.load(fh)
    scalars = pickled["metrics_iter"]["test"]["metrics"]["scalars"]
    scalars["AUROC"] = np.minimum(np.asarray(scalars["AUROC"]) + 0.05, 1.0)
    params = {**best.data.params, "model_name": "CatBoost", "featurization_method": "simple1.0"}
    _log_run(client, experiment.experiment_id, better, params, pickle.dumps(pickled), tmp)
    _log_run(client, experiment.experiment_id, broken, params, b"not a pickle", tmp)
    return better, broken


def _diff(settings: dict, capsys) -> str:
    """`plr-luigi diff` with the build's settings given on its command line, run in this
    process (its entry point, as tests/tasks/test_graph_commands.py runs `status`)."""
    from plr_luigi.cli import main as cli

    overrides = [arg for key, value in settings.items()
                 for arg in (f"--plr-{key.replace('_', '-')}", value)]
    capsys.readouterr()
    with plr_settings(**settings):  # the overrides the command applies are undone after it
        assert cli.main(["diff", *overrides]) == 0
    return capsys.readouterr().out


@pytest.mark.slow
def test_a_rebuild_lists_what_moved_on_the_page_and_in_plr_luigi_diff(
        built_copy_of_private_store, tmp_path, recorder, capsys):
    from plr_luigi.tasks import ReportPage
    from plr_luigi.tasks.store_listing import clear_run_decisions_cache

    # The first build: a finished one (a copy), of a store the test then adds runs to.
    store, settings, work = (built_copy_of_private_store[k] for k in ("store", "settings", "work"))
    page_path = work / "outputs" / "report.html"
    # The rebuilds' figures without their PDFs: what the page compares is their data.
    draft = {**settings, "figure_pdf": "false"}
    with plr_settings(**draft):
        recorder.build([ReportPage()])
        first = page_path.read_text()
        before = _numbers((work / "outputs" / "numbers.json").read_text())
        assert "No earlier build is recorded" in first
        assert "No earlier build is recorded" in _diff(settings, capsys)
        better, broken = _add_runs(store.tracking_uri, tmp_path)
        clear_run_decisions_cache()
        recorder.build([ReportPage()])
    page = page_path.read_text()
    after = _numbers((work / "outputs" / "numbers.json").read_text())
    changes = page.split('<h2 id="changes">')[1].split('<p class="contents">')[0]
    moved = _moved(changes)
    assert moved["nConfigurations"] == (before["nConfigurations"], after["nConfigurations"])
    assert int(after["nConfigurations"]) == int(before["nConfigurations"]) + 1
    assert moved["nRunsSeen"] == (before["nRunsSeen"], str(int(before["nRunsSeen"]) + 2))
    assert float(moved["bestAuroc"][1]) > float(moved["bestAuroc"][0])
    # Exactly the numbers whose value differs between the two numbers.tex files.
    assert moved == {m: (before.get(m), after.get(m)) for m in before.keys() | after.keys()
                     if before.get(m) != after.get(m)}
    assert better in changes and broken in changes
    assert re.search(r"Runs now failing \(1\)</h3><ul><li>" + re.escape(broken) +
                     r": .*not a readable pickle", changes)
    assert "Figures whose data changed" in changes and "specification_curve" in changes

    printed = _diff(settings, capsys)
    for macro, (old, new) in moved.items():
        assert f"\\{macro}: {old or '(absent)'} -> {new or '(absent)'}" in printed, macro
    assert "runs added (2):" in printed and better in printed
    assert re.search(rf"runs now failing \(1\):\n  {re.escape(broken)}: ", printed)
    assert "specification_curve" in printed

    # Rebuilding the page with nothing new keeps showing the same change, not "nothing".
    with plr_settings(**draft):
        page_path.unlink()
        recorder.build([ReportPage()])
    assert page_path.read_text().split('<h2 id="changes">')[1].split('<p class="contents">')[0] \
        == page.split('<h2 id="changes">')[1].split('<p class="contents">')[0]
    history = json.loads((work / "data" / "history" / "builds.json").read_text())
    assert len(history["builds"]) == 2


def _snapshot(n: str, runs: dict, figure: str) -> dict:
    return {"built_at": n, "numbers": {"nConfigurations": {"text": n, "description": "c",
                                                           "unavailable": None}},
            "runs": runs, "figures": {"roc": figure}, "tables": {}}


def test_history_keeps_distinct_builds_and_compares_the_last_two(tmp_path):
    path = tmp_path / "history" / "builds.json"
    ok = {"outcome": "extracted", "reason": "", "run_name": "A"}
    first = _snapshot("1", {"a": ok}, "x")
    assert record_build(path, first) is None
    assert record_build(path, {**first, "built_at": "again"}) is None  # same outputs
    second = _snapshot("2", {"a": {**ok, "outcome": "failed", "reason": "bad pickle"},
                             "b": {**ok, "run_name": "B"}}, "y")
    assert record_build(path, second) == first
    assert record_build(path, second) == first  # a rebuild still compares with the first
    changes = compare(first, second)
    assert changes.numbers_moved == [("nConfigurations", "c", "1", "2")]
    assert changes.runs_added == ["B"] and changes.runs_now_failing == [("A", "bad pickle")]
    assert changes.figures_changed == ["roc"] and not changes.runs_removed
    assert compare(second, first).runs_fixed == ["A"]
    assert len(json.loads(path.read_text())["builds"]) == 2
    assert not list(path.parent.glob(".*tmp*"))


def test_an_unreadable_history_is_started_afresh(tmp_path, caplog):
    path = tmp_path / "builds.json"
    path.write_text("{not json")
    assert record_build(path, _snapshot("1", {}, "x")) is None
    assert "unreadable" in caplog.text
    assert len(json.loads(path.read_text())["builds"]) == 1


def test_a_figures_digest_ignores_its_provenance_and_float_noise(tmp_path):
    from plr_luigi.report.build_history import output_digest

    path = tmp_path / "f.json"

    def digest(auroc: float, built: str) -> str:
        path.write_text(json.dumps({"provenance": {"created_at": built},
                                    "data": [{"level": "LOF", "auroc": auroc}]}))
        return output_digest(path)

    assert digest(0.8123456789012345, "t1") == digest(0.8123456789012346, "t2")
    assert digest(0.8123456789, "t1") != digest(0.8123456788, "t1")
