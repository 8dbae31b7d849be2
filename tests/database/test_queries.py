"""Queries of the results database on small hand-made databases, checked against the
definitions written out here (plr_luigi.database.queries)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from plr_luigi.database import queries
from plr_luigi.study import schema

E = schema.ESSENTIAL
# (config_id, outlier, imputation, classifier, auroc, ci_lo, ci_hi)
CONFIGS = [
    ("c1", "pupil-gt", "pupil-gt", "CatBoost", 0.91, 0.88, 0.93),
    ("c2", "LOF", "SAITS", "CatBoost", 0.86, 0.80, 0.90),
    ("c3", "LOF", "CSDI", "CatBoost", 0.84, 0.83, 0.95),
    ("c4", "LOF", "pupil-gt", "CatBoost", 0.80, 0.70, 0.85),
    ("c5", "pupil-gt", "SAITS", "CatBoost", 0.89, 0.86, 0.92),
    ("c6", "LOF", "SAITS", "XGBoost", 0.60, 0.40, 0.99),  # outside the subset
]
DEEP_LEARNING = ("c7", "TimesNet-orig", "TimesNet", "CatBoost", 0.70, 0.10, 0.99)
SUBSET = {"classifier": "CatBoost", "featurization": "simple1.0"}


def _row(config_id, outlier, imputation, classifier, auroc, lo, hi) -> dict:
    values = {c.name: 0.1 for c in E.columns if c.sql_type == "DOUBLE"}
    values.update({c.name: 63 for c in E.columns if c.sql_type == "INTEGER"})
    values.update(config_id=config_id, run_id=config_id, run_name=config_id,
                  outlier_method=outlier, imputation_method=imputation, classifier=classifier,
                  featurization="simple1.0", auroc=auroc, auroc_ci_lo=lo, auroc_ci_hi=hi)
    return values


@pytest.fixture
def con(tmp_path):
    import duckdb

    rng = np.random.default_rng(0)
    con = duckdb.connect(str(tmp_path / "hand_made.duckdb"))
    for table in (E, schema.BOOTSTRAP_AUROC, schema.STANDARD_PIPELINE_ONLY):
        con.execute(table.ddl())
    for table, rows in ((E, CONFIGS), (schema.STANDARD_PIPELINE_ONLY, [DEEP_LEARNING])):
        frame = pd.DataFrame([_row(*r) for r in rows])[E.column_names]  # noqa: F841
        con.execute(f"INSERT INTO {table.name} SELECT * FROM frame")
    for config_id, *_, auroc, _, _ in [*CONFIGS, DEEP_LEARNING]:
        boot = pd.DataFrame({"config_id": config_id, "iteration": np.arange(50),  # noqa: F841
                             "auroc": auroc + rng.normal(0, 0.01, 50)})
        con.execute("INSERT INTO bootstrap_auroc SELECT * FROM boot")
    yield con
    con.close()


def test_forest_whiskers_are_the_envelope_of_the_levels_configuration_cis(con):
    """Fig 2: point = mean AUROC of the level's configurations, whiskers = min of their CI
    lower bounds to max of their CI upper bounds; the bootstrap CI of the mean beside it."""
    got = queries.factor_comparison(con, "outlier_method", SUBSET).set_index("level")
    catboost = [c for c in CONFIGS if c[3] == "CatBoost"]
    for level in ("pupil-gt", "LOF"):
        mine = [c for c in catboost if c[1] == level]
        assert got.loc[level, "n_configurations"] == len(mine)
        assert got.loc[level, "auroc"] == pytest.approx(np.mean([c[4] for c in mine]))
        assert got.loc[level, "envelope_lo"] == pytest.approx(min(c[5] for c in mine))
        assert got.loc[level, "envelope_hi"] == pytest.approx(max(c[6] for c in mine))
        # the interval of the mean is far narrower than the envelope
        assert got.loc[level, "envelope_lo"] < got.loc[level, "mean_ci_lo"] \
            < got.loc[level, "auroc"] < got.loc[level, "mean_ci_hi"] < got.loc[level,
                                                                             "envelope_hi"]
    assert list(got.index) == ["pupil-gt", "LOF"]  # best first; XGBoost and c7 left out


def test_a_standard_pipeline_only_run_is_found_as_a_pipeline_and_in_no_comparison(con):
    pipelines = {"deep_learning": {"outlier_method": "TimesNet-orig",
                                   "imputation_method": "TimesNet", **SUBSET},
                 "ground_truth": {"outlier_method": "pupil-gt", "imputation_method": "pupil-gt",
                                  **SUBSET}}
    found, missing = queries.find_pipelines(con, pipelines)
    assert found.config_id.tolist() == ["c7", "c1"] and missing == []
    assert "TimesNet-orig" not in queries.factor_comparison(con, "outlier_method",
                                                            SUBSET).level.tolist()
    assert "c7" not in queries.configurations(con).config_id.tolist()
    assert "c7" not in queries.configuration_metrics(con, ["auroc"]).config_id.tolist()
