"""The restricted unpickler: study data loads, code execution is refused before it runs."""

import os
import pickle

import numpy as np
import pytest

from plr_luigi.store.safe_pickle import CorruptPickleError, UnsafePickleError, load_pickle


def test_study_data_types_load(tmp_path):
    data = {"metrics_iter": {"test": {"scalars": {"AUROC": np.linspace(0, 1, 1000)}}},
            "codes": np.array(["A", "B"]), "n": np.int64(3), "ci": np.array([np.nan, np.nan]),
            "list": [1, 2.5, "x", (1, 2)], "set": {1, 2}}
    path = tmp_path / "ok.pickle"
    path.write_bytes(pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
    loaded = load_pickle(path)
    assert np.array_equal(loaded["metrics_iter"]["test"]["scalars"]["AUROC"],
                          data["metrics_iter"]["test"]["scalars"]["AUROC"])
    assert loaded["codes"].tolist() == ["A", "B"] and loaded["set"] == {1, 2}


class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_pickle_that_runs_code_is_refused_and_nothing_ran(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pickle"
    path.write_bytes(pickle.dumps({"metrics": _Exploit(str(marker))}))
    with pytest.raises(UnsafePickleError, match=r"(posix|os)\.mkdir"):
        load_pickle(path)
    assert not marker.exists()


@pytest.mark.parametrize("content", [b"", b"not a pickle at all", None])
def test_corrupt_or_truncated_pickles_raise_a_clear_error(tmp_path, content):
    path = tmp_path / "bad.pickle"
    if content is None:  # a real pickle cut in half
        content = pickle.dumps({"a": np.arange(1000)})[:500]
    path.write_bytes(content)
    with pytest.raises(CorruptPickleError, match=r"bad\.pickle is not a readable pickle"):
        load_pickle(path)


# Model pickles: the study's ensembles of CatBoost models, read without the study's code.


def _study_models(n_models: int = 2) -> bytes:
    from plr_luigi.synth.models import dump_study_models, train_bootstrap_ensembles

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    y = (x[:, 0] > 0).astype(int)
    return dump_study_models(train_bootstrap_ensembles(x, y, np.ones((40, n_models), bool), rng))


def _study_class() -> str:
    from plr_luigi.study.configs import load_model_config

    return load_model_config()["study_ensemble_class"]


def test_model_pickle_loads_catboost_members_into_the_inert_stand_in(tmp_path):
    import sys

    from catboost import CatBoostClassifier

    from plr_luigi.store.safe_pickle import StudyEnsembleState, load_model_pickle

    path = tmp_path / "model.pickle"
    path.write_bytes(_study_models())
    models = load_model_pickle(path, _study_class())
    assert len(models) == 2 and all(isinstance(m, StudyEnsembleState) for m in models)
    assert all(isinstance(member, CatBoostClassifier) and member.is_fitted()
               for m in models for member in m.ensemble)
    assert models[0].state["depth"] == 3  # the pickled attributes are kept, as data
    assert "src" not in sys.modules  # the study's package was never imported


def test_the_data_unpickler_still_refuses_model_pickles(tmp_path):
    path = tmp_path / "model.pickle"
    path.write_bytes(_study_models(1))
    with pytest.raises(UnsafePickleError, match="ClassificationEnsembleSGLB"):
        load_pickle(path)


class _SystemCall:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def test_model_pickle_that_calls_os_system_is_refused_and_nothing_ran(tmp_path):
    from plr_luigi.store.safe_pickle import load_model_pickle

    marker = tmp_path / "pwned"
    path = tmp_path / "model.pickle"
    path.write_bytes(pickle.dumps([_SystemCall(f"touch {marker}")]))
    with pytest.raises(UnsafePickleError, match=r"refused to load (posix|os)\.system: a model "
                                                r"pickle may hold only"):
        load_model_pickle(path, _study_class())
    assert not marker.exists()


def test_model_pickle_naming_another_class_path_is_refused_with_that_path(tmp_path):
    from plr_luigi.store.safe_pickle import load_model_pickle

    path = tmp_path / "model.pickle"
    path.write_bytes(_study_models(1))
    with pytest.raises(UnsafePickleError, match=r"src\.classification\.catboost"
                                                r"\.catboost_ensemble\.ClassificationEnsembleSGLB"):
        load_model_pickle(path, "study.models.OtherEnsemble")
