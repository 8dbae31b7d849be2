"""Database validation on a real DuckDB: each planted problem is reported, a clean one passes."""

from __future__ import annotations

import duckdb
import pytest

from plr_luigi.database.results_database import validate
from plr_luigi.study import schema

E = schema.ESSENTIAL


def _essential_row(config_id: str, outlier: str = "LOF", auroc: float = 0.85) -> dict:
    row = {c: 1.0 for c in E.column_names if c not in
           ("config_id", "run_id", "run_name", "outlier_method", "imputation_method",
            "classifier", "featurization", "n_test", "n_events", "n_bootstrap")}
    row.update(config_id=config_id, run_id=config_id, run_name=f"run-{config_id}",
               outlier_method=outlier, imputation_method="SAITS", classifier="CatBoost",
               featurization="simple1.0", auroc=auroc, auroc_ci_lo=auroc - 0.01,
               auroc_ci_hi=auroc + 0.01, brier=0.1, n_test=2, n_events=1, n_bootstrap=3)
    return row


def _database(essential_rows, predictions) -> duckdb.DuckDBPyConnection:
    """Only the tables whose content the test varies are filled; the others get valid rows."""
    import pandas as pd

    con = duckdb.connect()
    for table in schema.ALL_TABLES:
        con.execute(table.ddl())
    frame = pd.DataFrame(essential_rows)[E.column_names]
    con.register("rows", frame)
    con.execute(f"INSERT INTO {E.name} SELECT * FROM rows")
    con.register("preds", pd.DataFrame(predictions, columns=schema.PREDICTIONS.column_names))
    con.execute(f"INSERT INTO {schema.PREDICTIONS.name} SELECT * FROM preds")
    return con


def _valid_predictions(config_id: str) -> list[tuple]:
    return [(config_id, "H001", 0, 0.2, 0.01), (config_id, "G001", 1, 0.7, 0.02)]


def _problems_about(problems: list[str], table: str) -> list[str]:
    return [p for p in problems if p.startswith(table)]


def test_a_clean_configuration_has_no_problems_in_the_tables_it_fills():
    con = _database([_essential_row("a")], _valid_predictions("a"))
    problems = validate(con)
    assert _problems_about(problems, E.name) == []
    assert _problems_about(problems, schema.PREDICTIONS.name) == []
    # Detail tables left empty are reported: a configuration without its rows is incomplete.
    assert any(p.startswith(schema.DCA.name) for p in problems)


@pytest.mark.parametrize("essential, predictions, expected", [
    ([_essential_row("a"), _essential_row("b")], _valid_predictions("a") + _valid_predictions("b"),
     "configurations appear more than once"),
    ([_essential_row("a", auroc=1.2)], _valid_predictions("a"), "out of range"),
    ([{**_essential_row("a"), "run_name": "CATBOOST_PLR1234"}], _valid_predictions("a"),
     "run_name: 1 values hold an original subject code"),
    ([_essential_row("a")], [("a", "PLR4001", 1, 0.7, 0.02), ("a", "H001", 0, 0.2, 0.01)],
     "hold an original subject code"),
    ([_essential_row("a")], [("a", "subject-7", 1, 0.7, 0.02), ("a", "H001", 0, 0.2, 0.01)],
     "are not anonymised codes"),
    ([_essential_row("a")], _valid_predictions("a")[:1], "do not have n_test rows"),
    ([_essential_row("a")], _valid_predictions("a") + _valid_predictions("zzz"),
     "rows of unknown configurations"),
])
def test_each_planted_problem_is_reported(essential, predictions, expected):
    problems = validate(_database(essential, predictions))
    assert any(expected in p for p in problems), problems


def test_nan_in_a_required_column_is_reported():
    con = _database([_essential_row("a")], _valid_predictions("a"))
    con.execute(f"UPDATE {E.name} SET brier = 'NaN'::DOUBLE")
    assert any("brier: 1 missing or NaN" in p for p in validate(con))



def test_read_only_connection_gives_the_same_bits_every_time(tmp_path):
    """Parallel aggregation sums in thread-finishing order; outputs must not move in the last
    bit between builds of the same database, so consumers read with one thread."""
    import numpy as np
    import pandas as pd

    from plr_luigi.database.results_database import connect_read_only

    path = tmp_path / "results.duckdb"
    # Values of very different magnitudes: any change of summation order shows in the mean.
    values = np.random.default_rng(0).lognormal(0, 8, 2_000_000)
    frame = pd.DataFrame({"v": values, "g": np.arange(values.size) % 7})
    with duckdb.connect(str(path)) as con:
        con.register("frame", frame)
        con.execute("CREATE TABLE t AS SELECT * FROM frame")
    con = connect_read_only(path)
    try:
        assert con.execute("SELECT current_setting('threads')").fetchone()[0] == 1
        means = {tuple(con.execute("SELECT g, avg(v) FROM t GROUP BY g ORDER BY g").fetchall())
                 for _ in range(5)}
    finally:
        con.close()
    assert len(means) == 1
