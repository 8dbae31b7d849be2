"""A file store read from its folders gives what MLflow's own reading gives (search_runs,
get_run, list_artifacts), on the small store and on a store of MLflow's quirks, and a listing
never imports MLflow."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest
import yaml
from mlflow.tracking import MlflowClient

from plr_luigi.store import mlflow_store
from plr_luigi.store.mlflow_store import StoreError


def _through_mlflow(uri: str, experiment: str):
    return sorted(mlflow_store._list_through_mlflow(uri, experiment),
                  key=lambda r: (r.start_time or 0, r.run_id))


@pytest.mark.parametrize("experiment", ["PLR_Classification", "PLR_Imputation",
                                        "PLR_OutlierDetection"])
def test_the_small_store_lists_as_search_runs_lists_it(small_store, experiment):
    uri = small_store.tracking_uri
    listed = mlflow_store.list_runs(uri, experiment)
    assert listed == _through_mlflow(uri, experiment)
    if experiment == "PLR_Classification":
        assert any(r.subject_codes for r in listed)
        assert any(r.lifecycle_stage == "deleted" for r in listed)
        assert all(r.logged_auroc is not None for r in listed if r.status == "FINISHED")


def test_a_run_and_its_artifacts_read_as_get_run_and_list_artifacts_read_them(small_store):
    uri = small_store.tracking_uri
    client = MlflowClient(tracking_uri=uri)
    for run in mlflow_store.list_runs(uri, "PLR_Imputation")[:5]:
        summary, metrics = mlflow_store.get_run(uri, run.run_id)
        found = client.get_run(run.run_id)
        assert summary == mlflow_store._summarise(found, uri) == run
        assert metrics == found.data.metrics and metrics
        names = sorted(a.path.rsplit("/", 1)[-1] for a in client.list_artifacts(run.run_id,
                                                                                 "imputation"))
        assert mlflow_store.list_artifact_names(uri, run, "imputation") == names


@pytest.fixture
def quirky_store(tmp_path):
    """A file store written by MLflow with what a real store holds besides plain runs."""
    uri = str(tmp_path / "mlruns")
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("PLR_Classification")
    other = client.create_experiment("Other")
    runs = {}
    for name in ("plain", "stepped", "deleted", "failed", "nameless", "bad_metric", "running"):
        runs[name] = client.create_run(experiment, run_name=f"CATBOOST_{name}").info.run_id
        client.log_param(runs[name], "codes_train", "PLR1234 PLR0007")
        client.log_param(runs[name], "hparam_depth", "6")
        client.log_param(runs[name], "nested/param", "a value\nwith two lines\n")
        client.set_tag(runs[name], "plr.synthetic", "true")
        client.log_metric(runs[name], "test/AUROC", 0.8, step=0)
    client.log_metric(runs["stepped"], "test/AUROC", 0.7, step=2, timestamp=1)
    client.log_metric(runs["stepped"], "test/AUROC", 0.9, step=1, timestamp=99)
    for name in set(runs) - {"running"}:
        client.set_terminated(runs[name], "FAILED" if name == "failed" else "FINISHED")
    client.delete_run(runs["deleted"])
    root = tmp_path / "mlruns"
    # An older run's meta.yaml without run_name: the name is its mlflow.runName tag.
    meta = root / experiment / runs["nameless"] / "meta.yaml"
    info = yaml.safe_load(meta.read_text())
    info["run_name"] = ""
    meta.write_text(yaml.safe_dump(info))
    # A folder that is no run, and a run of another experiment copied into this one.
    (root / experiment / "not_a_run").mkdir()
    stray = client.create_run(other, run_name="stray").info.run_id
    (root / other / stray).rename(root / experiment / stray)
    client.delete_experiment(other)
    return uri, root / experiment / runs["bad_metric"] / "metrics" / "test" / "AUROC"


def test_a_store_of_quirks_lists_as_search_runs_lists_it(quirky_store):
    uri, bad_metric = quirky_store
    listed = mlflow_store.list_runs(uri, "PLR_Classification")
    assert listed == _through_mlflow(uri, "PLR_Classification")
    # A metric line of four fields, which search_runs refuses the whole listing for: the run
    # is listed without its AUROC (its extraction says what is wrong with it).
    bad_metric.write_text("1 2 3 4\n")
    assert mlflow_store.list_runs(uri, "PLR_Classification") == [
        dataclasses.replace(r, logged_auroc=None) if r.run_name == "CATBOOST_bad_metric" else r
        for r in listed]
    by_name = {r.run_name: r for r in mlflow_store.list_runs(uri, "PLR_Classification")}
    assert set(by_name) == {f"CATBOOST_{n}" for n in ("plain", "stepped", "deleted", "failed",
                                                      "nameless", "bad_metric", "running")}
    assert by_name["CATBOOST_stepped"].logged_auroc == 0.7  # the largest step, not the last line
    assert by_name["CATBOOST_bad_metric"].logged_auroc is None
    assert by_name["CATBOOST_deleted"].lifecycle_stage == "deleted"
    assert by_name["CATBOOST_running"].status == "RUNNING"
    assert by_name["CATBOOST_plain"].subject_codes == {"PLR1234", "PLR0007"}
    # The deleted experiment is still found by name, as MLflow finds it.
    with pytest.raises(StoreError, match="has no runs"):
        mlflow_store.list_runs(uri, "Other")
    with pytest.raises(StoreError, match=r"'Missing' not found .*Other, PLR_Classification"):
        mlflow_store.list_runs(uri, "Missing")


def test_listing_a_file_store_never_imports_mlflow(small_store):
    code = ("import sys; from plr_luigi.store.mlflow_store import get_run, list_runs\n"
            f"runs = list_runs({small_store.tracking_uri!r}, 'PLR_Imputation')\n"
            f"get_run({small_store.tracking_uri!r}, runs[0].run_id)\n"
            "print(len(runs), 'mlflow' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    n_runs, imported = done.stdout.split()
    assert int(n_runs) > 0 and imported == "False", done.stderr


def test_a_missing_store_folder_is_an_error_and_stays_missing(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        mlflow_store.list_runs(str(tmp_path / "nowhere"), "PLR_Classification")
    assert not (tmp_path / "nowhere").exists()

