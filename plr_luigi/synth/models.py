"""The CatBoost runs' model pickle in the study's shape: a list with one object per bootstrap
iteration, each recorded under the study's class (`STUDY_ENSEMBLE`, configs/models.yaml) and
holding in `ensemble` two real CatBoostClassifiers (Langevin boosting, as the study's
ClassificationEnsembleSGLB) trained on that iteration's in-bag training subjects.

The models are small (configs/models.yaml `synthetic`: a few trees of depth 3) so that the demo
store is quick to generate; their SHAP values still depend on the run's data as real ones do.
"""

from __future__ import annotations

import io
import logging
import pickle

import numpy as np

from plr_luigi.study.configs import load_model_config

logger = logging.getLogger(__name__)

ENSEMBLE_SIZE = 2  # members per bootstrap model, as in the study's pickles


class StudyEnsemble:
    """Stands for the study's ClassificationEnsembleSGLB when the generator writes a pickle:
    the same attributes (`ensemble` and the hyperparameters it was built with), none of its
    code. Pickled under the study's module path by StudyPathPickler."""

    def __init__(self, ensemble: list, seed: int, depth: int, iterations: int, lr: float):
        self.esize = len(ensemble)
        self.seed = seed
        self.depth = depth
        self.iterations = iterations
        self.lr = lr
        self.ensemble = ensemble


class StudyPathPickler(pickle._Pickler):  # the Python pickler: its save_global can be replaced
    """Records StudyEnsemble under the study's module and class name. pickle refuses to name a
    class it cannot import under that name, and the study's package (`src`) is not here."""

    def save_global(self, obj, name=None):
        if obj is not StudyEnsemble:
            return super().save_global(obj, name)
        module, _, qualname = load_model_config()["study_ensemble_class"].rpartition(".")
        self.save(module)
        self.save(qualname)
        self.write(pickle.STACK_GLOBAL)
        self.memoize(obj)
        return None


def dump_study_models(models: list[StudyEnsemble]) -> bytes:
    buffer = io.BytesIO()
    StudyPathPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(models)
    return buffer.getvalue()


def train_bootstrap_ensembles(x_train: np.ndarray, y_train: np.ndarray, in_bag: np.ndarray,
                              rng: np.random.Generator,
                              iterations: int | None = None) -> list[StudyEnsemble]:
    """One two-member ensemble per bootstrap iteration (column of in_bag), each member a
    CatBoostClassifier fitted on that iteration's in-bag subjects with its own seed.
    `iterations` (trees per member) replaces configs/models.yaml's: larger, study-sized models
    for the SHAP benchmark."""
    from catboost import CatBoostClassifier

    settings = {**load_model_config()["synthetic"], **({"iterations": iterations}
                                                        if iterations else {})}
    seeds = rng.integers(0, 2**31 - 1, size=(in_bag.shape[1], ENSEMBLE_SIZE))
    models = []
    for b in range(in_bag.shape[1]):
        rows = in_bag[:, b]
        members = []
        for seed in seeds[b]:
            model = CatBoostClassifier(
                iterations=settings["iterations"], depth=settings["depth"],
                learning_rate=settings["learning_rate"], langevin=True, random_seed=int(seed),
                thread_count=1, verbose=False, allow_writing_files=False)
            model.fit(x_train[rows], y_train[rows])
            members.append(model)
        models.append(StudyEnsemble(members, int(seeds[b, 0]), settings["depth"],
                                    settings["iterations"], settings["learning_rate"]))
    return models
