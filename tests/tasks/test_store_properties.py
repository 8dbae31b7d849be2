"""Property-based store shapes (issue 12): small stores of random shape, and what every build
of one must satisfy (store_shapes.check_build): exit 0 or 30, no exception escaping a task but
AllRunsExtracted's, the audit ran, every output built or marked unavailable with a reason, the
database valid and holding exactly the runs that should be extracted.

Examples per run: the `ci` profile (default, a few, ~2 min of `make test`); set
PLR_HYPOTHESIS_PROFILE=nightly for many more. The examples are dealt to two halves of the test
(by a digest of the shape, so no shape is built twice), which pytest-xdist runs side by side;
a profile's max_examples is per half. Every store shares the upstream experiments and subjects
database of its seed, which no shape changes (store_shapes.store_of_runs).
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import tempfile
import zlib
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from support.store_shapes import build_store, check_build, store_of_runs

pytestmark = pytest.mark.slow

HALVES = (0, 1)
# max_examples per half: 2 x 3 = 6 stores built per run in `ci`, 2 x 50 in `nightly`.
settings.register_profile("ci", max_examples=3, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow], database=None)
settings.register_profile("nightly", max_examples=50, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("PLR_HYPOTHESIS_PROFILE", "ci"))

QUIRKS = ("duplicate", "failed", "deleted", "bad_pickle", "invalid_level")
# Configurations of one store at most (the standard pipelines aside): enough for every
# analysis to have its blocks, levels and residual variance or to lack them, while what a
# build costs per configuration (extraction, SHAP of the best ten, the per-configuration
# figures) stays small beside what it costs whatever the store.
MAX_CONFIGURATIONS = 12


@dataclasses.dataclass(frozen=True)
class StoreShape:
    runs: list  # synth RunSpec, in logging order
    bad_pickles: list[str]  # run names whose metrics pickle is corrupted after writing
    source_db: bool


@st.composite
def store_shapes(draw) -> StoreShape:
    from plr_luigi.synth.design import run_spec
    from plr_luigi.synth.registry import load_levels

    levels = load_levels()

    def some(values, most):
        return draw(st.lists(st.sampled_from(sorted(values)), min_size=1, max_size=most,
                             unique=True))

    grid = list(itertools.product(
        some(levels.outlier_valid, 4), some(levels.imputation_valid, 3),
        some(levels.classifiers.values(), 5), some(levels.featurization_valid, 3)))
    configs = draw(st.lists(st.sampled_from(grid), min_size=1,
                            max_size=min(len(grid), MAX_CONFIGURATIONS), unique=True))
    if draw(st.booleans()):  # the standard pipelines, some or all
        configs += [c for c in draw(st.lists(st.sampled_from(levels.standard_pipelines),
                                             unique=True)) if c not in configs]
    runs = [run_spec(levels, c, seed=7) for c in configs[:MAX_CONFIGURATIONS]]
    quirks = draw(st.lists(st.sampled_from(QUIRKS), max_size=6))
    bad = []
    plain = list(runs)  # runs no quirk touches yet
    for quirk in quirks:
        if not plain:
            break
        run = plain.pop(draw(st.integers(0, len(plain) - 1)))
        index = runs.index(run)
        if quirk == "duplicate":
            runs.append(dataclasses.replace(run, instance=1, quirk="duplicate"))
        elif quirk == "failed":
            runs[index] = dataclasses.replace(run, status="FAILED", quirk="failed")
        elif quirk == "deleted":
            runs[index] = dataclasses.replace(run, deleted=True, quirk="deleted")
        elif quirk == "bad_pickle":
            bad.append(run.name)
        else:
            invalid = run_spec(levels, ("exclude", *run.config[1:]), seed=7,
                               quirk="invalid_level")
            if invalid.name not in {r.name for r in runs}:
                runs.append(invalid)
    return StoreShape(runs, bad, draw(st.booleans()))


def _corrupt(tracking_uri: str, run_name: str) -> None:
    [pickle] = Path(tracking_uri).glob(f"*/*/artifacts/metrics/metrics_{run_name}.pickle")
    pickle.write_bytes(b"\x80\x05 truncated by a full disk")


def _half(shape: StoreShape) -> int:
    """The half of the test that builds this shape (a digest of it: the same in every run)."""
    return zlib.crc32(repr(shape).encode()) % len(HALVES)


@pytest.mark.parametrize("half", HALVES)
@given(shape=store_shapes())
def test_every_build_of_a_store_of_any_shape_ends_in_a_known_state(half, shape, shared_dir):
    from plr_luigi.synth.design import count_valid_configurations
    from plr_luigi.synth.registry import load_levels

    assume(_half(shape) == half)
    with tempfile.TemporaryDirectory(prefix="plr-shape-", dir=shared_dir) as folder:
        work = Path(folder)
        store = store_of_runs(shared_dir, work / "store", shape.runs, seed=7, n_bootstrap=12,
                              model_pickle_bytes=500)
        for name in shape.bad_pickles:
            _corrupt(store.tracking_uri, name)
        source_db = str(store.source_db) if shape.source_db else ""
        outcome = build_store(store.tracking_uri, source_db, work)
        settings_ = {"tracking_uri": store.tracking_uri, "source_db": source_db,
                     "data_dir": str(work / "data"), "output_dir": str(work / "outputs")}
        check_build(outcome, settings_)
        assert outcome.exit_code == (30 if shape.bad_pickles else 0)
        with duckdb.connect(str(work / "data" / "public" / "plr_results.duckdb"),
                            read_only=True) as con:
            n = con.execute("SELECT count(*) FROM essential_metrics").fetchone()[0]
        expected = count_valid_configurations(shape.runs, load_levels())
        assert n == expected - len(shape.bad_pickles)
