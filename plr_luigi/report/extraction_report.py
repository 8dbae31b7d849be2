"""The extraction report: every run of the experiment and what became of it."""

from __future__ import annotations

import pandas as pd

from plr_luigi.extraction.run_extraction import RunRecord
from plr_luigi.store.run_decisions import EXTRACT, FAILED, RunDecision
from plr_luigi.study import schema

EXTRACTED = "extracted"


def extraction_report(decisions: list[RunDecision], records: dict[str, RunRecord]) -> pd.DataFrame:
    """One row per run: extracted, skipped or failed, with the reason."""
    rows = []
    for decision in decisions:
        run = decision.run
        outcome, reason = decision.outcome, decision.reason
        seconds = rss_growth_mb = None
        if outcome == EXTRACT:
            record = records[run.run_id]
            outcome = EXTRACTED if record.outcome == EXTRACT else FAILED
            # a failure's reason, else the decision's (a run extracted as a standard pipeline
            # only says so)
            reason, seconds, rss_growth_mb = (record.reason or reason, record.seconds,
                                              record.rss_growth_mb)
        rows.append({"run_id": run.run_id, "run_name": run.run_name, "status": run.status,
                     "lifecycle_stage": run.lifecycle_stage, "outcome": outcome,
                     "reason": reason or None, "seconds": seconds,
                     "rss_growth_mb": rss_growth_mb})
    return pd.DataFrame(rows, columns=schema.EXTRACTION_REPORT.column_names)


def render_report_markdown(report: pd.DataFrame, provenance_line: str) -> str:
    counts = report["outcome"].value_counts()
    lines = ["# Extraction report", "", provenance_line, "",
             " | ".join(f"{outcome}: {counts.get(outcome, 0)}"
                        for outcome in (EXTRACTED, "skipped", FAILED)), "",
             "Seconds: each run's own extraction. RSS growth: how much the extracting "
             "process's resident memory grew during the run (MB; runs of a batch share a "
             "process, so a run that fit in memory already held shows 0). Blank: not "
             "applicable (a skipped run, no reason).", "",
             "| run | status | outcome | reason | seconds | RSS growth MB |",
             "|---|---|---|---|---|---|"]
    order = {FAILED: 0, "skipped": 1, EXTRACTED: 2}
    shown = report.assign(_order=report["outcome"].map(order)).sort_values(["_order", "run_name"])
    for row in shown.itertuples():
        lines.append(f"| {row.run_name} ({row.run_id[:8]}) | {row.status}"
                     f"{' (deleted)' if row.lifecycle_stage == 'deleted' else ''} | "
                     f"{row.outcome} | {_text(row.reason)} | {_number(row.seconds, 3)} | "
                     f"{_number(row.rss_growth_mb, 1)} |")
    return "\n".join(lines) + "\n"


def _number(value, decimals: int) -> str:
    return "" if value is None or pd.isna(value) else f"{value:.{decimals}f}"


def _text(value) -> str:
    """Blank for a missing value (a NULL reason comes back from the database as NaN)."""
    return "" if value is None or pd.isna(value) else str(value)
