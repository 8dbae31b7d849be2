"""Loading the study's pickles without letting them run code.

A pickle names the callables that rebuild its objects; `pickle.load` imports and calls whatever
it names (`os.system` included). The study's metrics pickles hold only dicts, lists, strings,
numbers and numpy arrays, so the unpickler here admits exactly the callables those need and
refuses anything else before it is imported.

The model pickles (a list of the study's bootstrap ensembles, each holding CatBoost models) get
their own, separate allow-list (`load_model_pickle`): the data types above, CatBoost's model
class, and the study's ensemble class, which is never imported: the name the pickle records is
mapped to `StudyEnsembleState`, a local class that only holds the pickled attributes. CatBoost
rebuilds each model from the bytes in its state (its own parser, no Python code from the file).
"""

from __future__ import annotations

import pickle
from pathlib import Path

# (module, name) pairs that numpy arrays, scalars and dtypes reduce to (numpy 1.x and 2.x),
# plus the builtin containers that protocol 0-1 pickles build by calling them.
_ALLOWED_GLOBALS = frozenset({
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("builtins", "dict"),
    ("builtins", "list"),
    ("builtins", "tuple"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "complex"),
    ("builtins", "bytearray"),
    ("collections", "OrderedDict"),
    ("_codecs", "encode"),
})


# The one model class CatBoost's pickles name (CatBoostClassifier reduces to its class and a
# state dict that holds the serialised model).
_CATBOOST_MODEL = ("catboost.core", "CatBoostClassifier")
DATA_TYPES_NOTE = "numpy arrays, dtypes and builtin containers"


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle names a callable outside the study's data types."""


class CorruptPickleError(pickle.UnpicklingError):
    """The file is not a complete pickle (truncated, overwritten, not a pickle at all)."""


class StudyEnsembleState:
    """Stands in for the study's ensemble class when a model pickle is read: it keeps the
    pickled attributes (`ensemble`: the CatBoost members) and has no other behaviour."""

    def __setstate__(self, state) -> None:
        if not isinstance(state, dict):
            raise UnsafePickleError(f"the study's ensemble object has a state of type "
                                    f"{type(state).__name__}, not the attribute dict it pickles")
        self.__dict__["state"] = state

    @property
    def ensemble(self) -> list:
        return self.state.get("ensemble", [])


class _RestrictedUnpickler(pickle.Unpickler):
    """Admits the data types only; `extra` maps further (module, name) pairs to the objects
    they load as, and `refusal` says in the error what the pickle may hold."""

    def __init__(self, file, extra: dict[tuple[str, str], object] | None = None,
                 refusal: str = f"only {DATA_TYPES_NOTE} are allowed in the study's pickles"):
        super().__init__(file)
        self.extra = extra or {}
        self.refusal = refusal

    def find_class(self, module: str, name: str):
        if (module, name) in self.extra:
            return self.extra[(module, name)]
        if (module, name) not in _ALLOWED_GLOBALS:
            raise UnsafePickleError(f"refused to load {module}.{name}: {self.refusal}")
        return super().find_class(module, name)


def _load(path: Path, unpickler: _RestrictedUnpickler, reading_errors: tuple = ()):
    try:
        return unpickler.load()
    except UnsafePickleError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError,
            AttributeError, KeyError, MemoryError, *reading_errors) as err:
        raise CorruptPickleError(
            f"{Path(path).name} is not a readable pickle ({type(err).__name__}: {err})"
        ) from err


def load_pickle(path: Path):
    """Load a pickle that may only hold data; raises UnsafePickleError or CorruptPickleError."""
    with open(path, "rb") as fh:
        return _load(path, _RestrictedUnpickler(fh))


def load_model_pickle(path: Path, study_ensemble_class: str) -> list:
    """Load a model pickle: numpy data, CatBoost models and objects of the study's ensemble
    class (`module.name`, configs/models.yaml), loaded as StudyEnsembleState. Anything else is
    refused before it is imported (UnsafePickleError naming it); an unreadable file raises
    CorruptPickleError."""
    from catboost import CatBoostClassifier, CatBoostError

    module, _, name = study_ensemble_class.rpartition(".")
    extra = {(module, name): StudyEnsembleState, _CATBOOST_MODEL: CatBoostClassifier}
    refusal = (f"a model pickle may hold only {DATA_TYPES_NOTE}, "
               f"{'.'.join(_CATBOOST_MODEL)} and {study_ensemble_class}")
    with open(path, "rb") as fh:
        return _load(path, _RestrictedUnpickler(fh, extra, refusal), (CatBoostError,))
