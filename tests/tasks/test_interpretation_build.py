"""SHAP and VIF of the explained configurations, built by Luigi from a real synthetic store:
the values in the interpretation database are recomputed independently, a model pickle that
would run code fails its configuration only, and without model pickles the outputs are
unavailable with the reason while the rest builds."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pytest
from support.settings import plr_settings

from plr_luigi.study import schema

# One worker: its tests share the module's build (made once, not once per worker).
pytestmark = pytest.mark.xdist_group("interpretation_build")
STORE = {"size": "demo", "seed": 5, "n_runs": 16, "n_bootstrap": 20, "model_pickle_bytes": 1000}
POISONED = "CATBOOST_eval-auc__simple1.0__SAITS__LOF"  # the `traditional` standard pipeline
GROUND_TRUTH = "CATBOOST_eval-auc__simple1.0__pupil-gt__pupil-gt"
OUTPUTS = ("ShapImportance", "ShapConfigurations", "FeatureVif", "NumbersTex")


class _SystemCall:
    def __init__(self, command: str):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def _outputs():
    from plr_luigi import tasks

    return [getattr(tasks, name)() for name in OUTPUTS]


def _artifact(tracking_uri: str, folder: str, run_name: str) -> Path:
    prefix = "model" if folder == "model" else "dictArrays"
    (path,) = Path(tracking_uri).glob(f"*/*/artifacts/{folder}/{prefix}_{run_name}.pickle")
    return path


@pytest.fixture(scope="module")
def build(tmp_path_factory, recorder):
    """One build on a store whose `traditional` pipeline's model pickle calls os.system."""
    from plr_luigi.synth import generate_store

    work = tmp_path_factory.mktemp("interpretation")
    store = generate_store(work / "store", **STORE)
    marker = work / "pwned"
    _artifact(store.tracking_uri, "model", POISONED).write_bytes(
        pickle.dumps([_SystemCall(f"touch {marker}")]))
    settings = dict(tracking_uri=store.tracking_uri, source_db=str(store.source_db),
                    data_dir=str(work / "data"), output_dir=str(work / "outputs"))
    with plr_settings(**settings):
        ran = recorder.build(_outputs())
    return {"work": work, "store": store, "settings": settings, "marker": marker, "ran": ran,
            "db": work / "data" / "public" / "plr_interpretation.duckdb"}


def _query(db: Path, sql: str):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).df()


def test_one_task_per_explained_configuration_and_the_poisoned_one_fails_alone(build):
    report = _query(build["db"], f"SELECT * FROM {schema.SHAP_REPORT.name}")
    assert build["ran"].count("interpretation.ShapForConfig") == len(report) >= 4
    assert not build["marker"].exists()  # os.system never ran
    failed = report[report["outcome"] == "failed"]
    assert list(failed["run_name"]) == [POISONED]
    reason = failed["reason"].iloc[0]
    assert "refused to load" in reason and "system" in reason, reason
    assert (report.loc[report["outcome"] == "explained", "n_models"] == STORE["n_bootstrap"]).all()
    assert "standard pipeline traditional" in failed["selection"].iloc[0]
    # the failed configuration still has its VIF (from x_train alone) and no SHAP row
    vif = _query(build["db"], f"SELECT * FROM {schema.VIF.name}")
    assert set(vif["config_id"]) == set(report["config_id"])
    shap = _query(build["db"], f"SELECT * FROM {schema.SHAP_IMPORTANCE.name}")
    assert failed["config_id"].iloc[0] not in set(shap["config_id"])


def test_mean_abs_shap_recomputed_with_catboost_on_member_0_matches_the_database(build):
    from catboost import Pool

    from plr_luigi.store.safe_pickle import load_model_pickle, load_pickle
    from plr_luigi.study.configs import load_model_config

    tracking_uri = build["store"].tracking_uri
    arrays = load_pickle(_artifact(tracking_uri, "dict_arrays", GROUND_TRUTH))
    models = load_model_pickle(_artifact(tracking_uri, "model", GROUND_TRUTH),
                               load_model_config()["study_ensemble_class"])
    per_model = np.array([np.abs(m.ensemble[0].get_feature_importance(
        Pool(arrays["x_test"]), type="ShapValues")[:, :-1]).mean(axis=0) for m in models])
    stored = _query(build["db"], f"""
        SELECT s.* FROM {schema.SHAP_IMPORTANCE.name} s JOIN {schema.SHAP_REPORT.name} r
        USING (config_id) WHERE r.run_name = '{GROUND_TRUTH}' AND s.member_rule = 'member0'
        """).set_index("feature").loc[list(arrays["feature_names"])]
    assert np.allclose(stored["mean_abs_shap"], per_model.mean(axis=0), rtol=1e-9, atol=0)
    assert np.allclose(stored["ci_lo"], np.percentile(per_model, 2.5, axis=0), rtol=1e-9)
    assert np.allclose(stored["ci_hi"], np.percentile(per_model, 97.5, axis=0), rtol=1e-9)
    assert (stored["n_models"] == len(models)).all()
    # the ensemble-mean rule explains another model: its values differ from member 0's
    ensemble = _query(build["db"], f"SELECT mean_abs_shap FROM {schema.SHAP_IMPORTANCE.name} "
                                   f"WHERE config_id = '{stored['config_id'].iloc[0]}' "
                                   "AND member_rule = 'ensemble_mean' ORDER BY feature")
    assert len(ensemble) == len(stored)
    assert not np.allclose(np.sort(ensemble["mean_abs_shap"]), np.sort(stored["mean_abs_shap"]))


def test_figures_name_their_manuscript_item_and_the_failed_pipeline(build):
    figures = Path(build["settings"]["output_dir"]) / "figures"
    items = {name: json.loads((figures / f"{name}.json").read_text())
             for name in ("shap_importance", "shap_configurations", "feature_vif")}
    assert {n: d["manuscript_item"] for n, d in items.items()} == {
        "shap_importance": "Fig 5", "shap_configurations": "S7", "feature_vif": "extended"}
    assert set(items["shap_importance"]["data"]) == {"ground_truth", "best_ensemble"}
    s7 = items["shap_configurations"]
    assert "refused to load" in s7["missing_pipelines"]["traditional"]
    assert any(key.startswith("top_") for key in s7["data"])
    assert all((figures / f"{n}.png").stat().st_size > 0 for n in items)


def test_numbers_quote_top_features_and_mark_the_failed_pipeline_unavailable(build):
    numbers_json = Path(build["settings"]["output_dir"]) / "numbers.json"
    numbers = {n["macro"]: n for n in json.loads(numbers_json.read_text())["numbers"]}
    top = _query(build["db"], f"""
        SELECT s.feature FROM {schema.SHAP_IMPORTANCE.name} s JOIN {schema.SHAP_REPORT.name} r
        USING (config_id) WHERE r.run_name = '{GROUND_TRUTH}' AND s.member_rule = 'member0'
        ORDER BY s.mean_abs_shap DESC LIMIT 1""")["feature"].iloc[0]
    assert numbers["shapTopFeatureGroundTruth"]["display"] == top
    assert numbers["shapTopFeatureGroundTruth"]["latex"] == top.replace("_", r"\_")
    assert numbers["nVifHighGroundTruth"]["display"].isdigit()
    traditional = numbers["shapTopFeatureTraditional"]
    assert traditional["value"] is None and "query found nothing" in traditional["unavailable"]
    # Events per variable: the features are those the explained models were trained on.
    assert numbers["nFeatures"]["value"] == _query(build["db"], f"""
        SELECT count(DISTINCT feature) AS n FROM {schema.VIF.name}""")["n"].iloc[0]
    assert numbers["eventsPerVariable"]["display"] == \
        f"{numbers['nGlaucomaSubjects']['value'] / numbers['nFeatures']['value']:.1f}"


def test_the_interpretation_database_is_audited_and_holds_no_subject_code(build):
    from plr_luigi.database.privacy_scan import find_leaks_in_database

    with duckdb.connect(str(build["db"]), read_only=True) as con:
        assert find_leaks_in_database(con) == []


def test_from_a_checkpoint_without_model_pickles_shap_is_unavailable_and_the_rest_builds(
        build, recorder, tmp_path):
    from plr_luigi.tasks import ForestPlot

    data = tmp_path / "data"
    (data / "public").mkdir(parents=True)
    shutil.copy(Path(build["settings"]["data_dir"]) / "public" / "plr_results.duckdb",
                data / "public")
    outputs = tmp_path / "outputs"
    with plr_settings(tracking_uri="", source_db="", data_dir=str(data),
                      output_dir=str(outputs)):
        ran = recorder.build([*_outputs(), ForestPlot(factor="outlier_method")])
    assert "interpretation.ShapForConfig" not in ran and "database.MergeInterpretation" not in ran
    status = json.loads((outputs / "figures" / "shap_importance.unavailable.json").read_text())
    assert status["status"] == "unavailable" and "model pickles" in status["reason"]
    assert not (outputs / "figures" / "shap_importance.png").exists()
    assert (outputs / "figures" / "forest_outlier_method.png").is_file()
    assert r"\newcommand{\shapTopFeatureGroundTruth}{\textit{n/a}}" in \
        (outputs / "numbers.tex").read_text()
