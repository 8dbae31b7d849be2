"""The reports of a build: the extraction report, the failed-runs check, and the report page
that shows every manuscript output; `public_outputs` lists everything a build publishes."""

from __future__ import annotations

import luigi

from plr_luigi.study import schema
from plr_luigi.tasks.analysis import FactorTable, NumbersTex, TopPipelinesTable, VarianceTable
from plr_luigi.tasks.config import plr
from plr_luigi.tasks.database import MergeToDuckDB
from plr_luigi.tasks.figures import (
    COMPARED_FACTORS,
    CURVE_KINDS,
    TOP_PIPELINES,
    AurocHeatmap,
    CriticalDifference,
    DemoTraces,
    ForestPlot,
    PipelineCurves,
    SpecificationCurve,
    VarianceDecomposition,
)
from plr_luigi.tasks.main_figures import MetricRaincloud, PredictionInstability
from plr_luigi.tasks.output_base import DatabaseOutput, write_text
from plr_luigi.tasks.upstream_outputs import upstream_outputs


class ExtractionReport(DatabaseOutput):
    """Reads the extraction_report table; writes it as a readable Markdown file."""

    def output(self):
        return luigi.LocalTarget(str(plr().output_path("extraction_report.md")))

    def run(self):
        from plr_luigi.database.provenance import provenance_line
        from plr_luigi.report.extraction_report import render_report_markdown
        from plr_luigi.report.upstream_report import render_upstream_markdown

        with self.database() as (con, provenance):
            report = con.execute(f"SELECT * FROM {schema.EXTRACTION_REPORT.name}").df()
            upstream = con.execute(
                f"SELECT * FROM {schema.UPSTREAM_EXTRACTION_REPORT.name}").df()
        write_text(self.output(), render_report_markdown(report, provenance_line(provenance))
                   + "\n" + render_upstream_markdown(upstream))


def failed_runs(con) -> list[tuple[str, str]]:
    """(run name, reason) of every run whose extraction failed, classification and upstream."""
    return con.execute(f"SELECT run_name, reason FROM {schema.EXTRACTION_REPORT.name} "
                       "WHERE outcome = 'failed' UNION ALL SELECT run_name, reason FROM "
                       f"{schema.UPSTREAM_EXTRACTION_REPORT.name} "
                       "WHERE outcome = 'failed' ORDER BY run_name").fetchall()


class AllRunsExtracted(DatabaseOutput):
    """Reads the extraction report; fails the build while any run failed extraction, so that
    the exit code tells CI (every other output is still built)."""

    # A failed run stays failed until its data is fixed: retrying within the build only waits.
    retry_count = 1

    def _failed_runs(self) -> list[tuple[str, str]]:
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


def manuscript_outputs() -> list[luigi.Task]:
    """Every figure, table and number of the manuscript, in the report's order."""
    return [
        NumbersTex(),
        MetricRaincloud(),
        PredictionInstability(),
        *(ForestPlot(factor=f) for f in COMPARED_FACTORS),
        AurocHeatmap(),
        SpecificationCurve(),
        *(CriticalDifference(scope=s) for s in (TOP_PIPELINES, *COMPARED_FACTORS)),
        VarianceDecomposition(),
        *(PipelineCurves(kind=k) for k in CURVE_KINDS),
        DemoTraces(),
        *(FactorTable(factor=f) for f in COMPARED_FACTORS),
        TopPipelinesTable(),
        VarianceTable(),
        *upstream_outputs(),
        ExtractionReport(),
    ]


class ReportPage(DatabaseOutput):
    """Reads every manuscript output, the database's provenance and extraction report and the
    build history; writes report.html (self-contained) and adds this build to the history."""

    def requires(self):
        return {"database": MergeToDuckDB(), "outputs": manuscript_outputs()}

    def output(self):
        return luigi.LocalTarget(str(plr().output_path("report.html")))

    def run(self):
        from plr_luigi.report.report_build import build_report
        from plr_luigi.report.report_page import section_for

        sections = [section_for(task.published_files()) for task in self.requires()["outputs"]]
        with self.database() as (con, provenance):
            report = con.execute(
                f"SELECT {', '.join(schema.EXTRACTION_REPORT.column_names)} FROM "
                f"{schema.EXTRACTION_REPORT.name} UNION ALL SELECT "
                f"{', '.join(schema.EXTRACTION_REPORT.column_names)} FROM "
                f"{schema.UPSTREAM_EXTRACTION_REPORT.name} ORDER BY run_name, run_id").df()
        write_text(self.output(), build_report(sections, provenance, self.database_path(),
                                               report, plr().history_path()))


def public_outputs() -> list[luigi.Task]:
    """Everything a build publishes besides the database: the manuscript's outputs and the
    report page (what the privacy audit reads)."""
    return [*manuscript_outputs(), ReportPage()]
