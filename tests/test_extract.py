"""extract_tables refuses a malformed metrics pickle with a message naming the run and the part."""

import numpy as np
import pytest

from plr_luigi.extract import MalformedRunError, RunIdentity, extract_tables
from plr_luigi.factors import load_factor_registry, parse_run_name

NAME = "CATBOOST_eval-auc__simple1.0__pupil-gt__pupil-gt"
RUN = RunIdentity("r1", NAME, parse_run_name(NAME, load_factor_registry()), 0.0354)


def _test_subjects(n=4, **overrides):
    part = {"subject_code": np.array([f"PLR100{i}" for i in range(n)]),
            "labels": np.array([0, 1] * (n // 2)),
            "preds": {"y_pred_proba": {"mean": np.full(n, 0.5), "std": np.zeros(n)}}}
    return {"subjectwise_stats": {"test": {**part, **overrides}}}


@pytest.mark.parametrize("pickled, message", [
    ({"subjectwise_stats": {}}, r"metrics pickle has no \['subjectwise_stats'\]\['test'\]"),
    (_test_subjects(labels=np.array([0, 1])), r"labels has shape \(2,\), expected \(4,\)"),
    (_test_subjects(), r"metrics pickle has no \['metrics_iter'\]"),
])
def test_malformed_pickles_name_the_run_and_the_part(pickled, message):
    lookup = {f"PLR100{i}": f"H00{i + 1}" for i in range(4)}
    with pytest.raises(MalformedRunError, match=message) as err:
        extract_tables(pickled, RUN, lookup)
    assert NAME in str(err.value)
