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
