"""The upstream experiments' part of the extraction report (outputs/extraction_report.md)."""

from __future__ import annotations

import pandas as pd

from plr_luigi.report.extraction_report import render_report_markdown

TITLE = "# Extraction report"


def render_upstream_markdown(report: pd.DataFrame) -> str:
    """One section per upstream experiment, in the classification report's layout."""
    sections = []
    for experiment, rows in report.groupby("experiment", sort=True):
        body = render_report_markdown(rows.drop(columns="experiment"),
                                      f"Runs of the upstream experiment {experiment}.")
        sections.append(body.replace(TITLE, f"## {experiment}", 1))
    return "\n".join(sections)
