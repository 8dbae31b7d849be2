"""The extraction's reports: ExtractionReport (every run and what became of it, as Markdown) and
AllRunsExtracted (fails the build while any run failed extraction)."""

from __future__ import annotations

import luigi

from plr_luigi.tasks.output_base import DatabaseOutput, write_text
from plr_luigi.tasks.settings import plr


class ExtractionReport(DatabaseOutput):
    """Reads the extraction_report table; writes it as a readable Markdown file."""

    task_namespace = "report"

    def output(self):
        return luigi.LocalTarget(str(plr().output_path("extraction_report.md")))

    def run(self):
        from plr_luigi.database import queries
        from plr_luigi.database.provenance import provenance_line
        from plr_luigi.report.extraction_report import render_report_markdown
        from plr_luigi.report.upstream_report import render_upstream_markdown

        with self.database() as (con, provenance):
            report, upstream = queries.extraction_reports(con)
        write_text(self.output(), render_report_markdown(report, provenance_line(provenance))
                   + "\n" + render_upstream_markdown(upstream))


class AllRunsExtracted(DatabaseOutput):
    """Reads the extraction report; fails the build while any run failed extraction, so that
    the exit code tells CI (every other output is still built)."""

    task_namespace = "report"

    # A failed run stays failed until its data is fixed: retrying within the build only waits.
    retry_count = 1

    def _failed_runs(self) -> list[tuple[str, str]]:
        from plr_luigi.database.queries import failed_runs

        with self.database() as (con, _):
            return failed_runs(con)

    def complete(self):
        return self.requires().complete() and not self._failed_runs()

    def run(self):
        failed = self._failed_runs()
        if not failed:
            return  # scheduled before the database existed; it holds no failure
        raise RuntimeError(f"{len(failed)} runs failed extraction (see the extraction report):\n"
                           + "\n".join(f"  {name}: {reason}" for name, reason in failed))
