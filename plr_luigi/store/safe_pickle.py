"""Loading the study's pickles without letting them run code.

A pickle names the callables that rebuild its objects; `pickle.load` imports and calls whatever
it names (`os.system` included). The study's metrics pickles hold only dicts, lists, strings,
numbers and numpy arrays, so the unpickler here admits exactly the callables those need and
refuses anything else before it is imported.
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


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle names a callable outside the study's data types."""


class CorruptPickleError(pickle.UnpicklingError):
    """The file is not a complete pickle (truncated, overwritten, not a pickle at all)."""


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED_GLOBALS:
            raise UnsafePickleError(
                f"refused to load {module}.{name}: only numpy arrays, dtypes and builtin "
                "containers are allowed in the study's pickles"
            )
        return super().find_class(module, name)


def load_pickle(path: Path):
    """Load a pickle that may only hold data; raises UnsafePickleError or CorruptPickleError."""
    try:
        with open(path, "rb") as fh:
            return _RestrictedUnpickler(fh).load()
    except UnsafePickleError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError,
            AttributeError, KeyError, MemoryError) as err:
        raise CorruptPickleError(
            f"{Path(path).name} is not a readable pickle ({type(err).__name__}: {err})"
        ) from err
