"""One report build: record what the outputs show in the build history, compare it with the
previous build, and render the page with that comparison."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from plr_luigi.report import build_history
from plr_luigi.report.differences import differences
from plr_luigi.report.report_page import Section, render_report_html
from plr_luigi.study.manuscript import load_manuscript_items


def build_report(sections: list[Section], provenance: dict[str, str], database: Path,
                 extraction_report: pd.DataFrame, history_path: Path, outputs: Path) -> str:
    """The report page's HTML; adds this build to the history at history_path (atomically).
    outputs: the folder of the outputs, whose JSON holds the differences' values."""
    numbers = next((s for s in sections if s.kind == "numbers"
                    and s.unavailable_reason() is None), None)
    snapshot = build_history.make_snapshot(
        numbers.twin()["numbers"] if numbers else [],
        extraction_report[["run_id", "run_name", "outcome", "reason"]].fillna("")
        .to_dict(orient="records"),
        {s.name: s.data_file() for s in sections if s.kind == "figure"},
        {s.name: s.data_file() for s in sections if s.kind == "table"},
        provenance)
    previous = build_history.record_build(history_path, snapshot)
    changes = build_history.compare(previous, snapshot) if previous else None
    return render_report_html(sections, provenance, database, extraction_report, changes,
                              differences(load_manuscript_items(), outputs))
