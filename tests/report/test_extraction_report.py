"""The extraction report a person reads: blanks where nothing applies, each run's own seconds
and memory growth, never `nan`."""

from __future__ import annotations

import duckdb

from plr_luigi.extraction.run_extraction import RunRecord
from plr_luigi.report.extraction_report import extraction_report, render_report_markdown
from plr_luigi.store.mlflow_store import RunSummary
from plr_luigi.store.run_decisions import EXTRACT, SKIPPED, RunDecision
from plr_luigi.study import schema


def _decision(run_id: str, name: str, outcome: str, reason: str) -> RunDecision:
    run = RunSummary(run_id, name, "FINISHED", "active", 0, 1, "file:///x", True, 0.035)
    return RunDecision(run, outcome, reason, None)


def test_the_report_shows_blanks_and_each_runs_own_numbers_through_the_database():
    decisions = [_decision("a" * 32, "CATBOOST_a", EXTRACT, ""),
                 _decision("b" * 32, "CATBOOST_b", EXTRACT, ""),
                 _decision("c" * 32, "CATBOOST_c", SKIPPED, "run status is FAILED")]
    records = {"a" * 32: RunRecord("a" * 32, "CATBOOST_a", EXTRACT, "", 0.0304, 12.5, {}),
               "b" * 32: RunRecord("b" * 32, "CATBOOST_b", EXTRACT, "", 0.0421, 0.0, {})}
    frame = extraction_report(decisions, records)
    # Through DuckDB and back, as the report tasks read it: NULLs come back as NaN.
    with duckdb.connect() as con:
        con.execute(schema.EXTRACTION_REPORT.ddl())
        con.register("frame", frame)
        con.execute(f"INSERT INTO {schema.EXTRACTION_REPORT.name} SELECT * FROM frame")
        report = con.execute(f"SELECT * FROM {schema.EXTRACTION_REPORT.name}").df()
    text = render_report_markdown(report, "SYNTHETIC data")
    assert "nan" not in text.lower()
    assert "| CATBOOST_a (aaaaaaaa) | FINISHED | extracted |  | 0.030 | 12.5 |" in text
    assert "| CATBOOST_b (bbbbbbbb) | FINISHED | extracted |  | 0.042 | 0.0 |" in text
    assert "| CATBOOST_c (cccccccc) | FINISHED | skipped | run status is FAILED |  |  |" in text
    assert "RSS growth MB" in text and "each run's own extraction" in text
