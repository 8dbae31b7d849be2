"""The manuscript's outputs, and the report page that shows them all."""

from __future__ import annotations

from pathlib import Path

import luigi

from plr_luigi import schema
from plr_luigi.tasks.config import plr
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
from plr_luigi.tasks.merge import MergeToDuckDB
from plr_luigi.tasks.outputs import DatabaseOutput, ExtractionReport, NumbersTex, _write_text
from plr_luigi.tasks.tables import FactorTable, TopPipelinesTable, VarianceTable


def manuscript_outputs() -> list[luigi.Task]:
    """Every figure, table and number of the manuscript, in the report's order."""
    return [
        NumbersTex(),
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
        ExtractionReport(),
    ]


class ReportPage(DatabaseOutput):
    """Reads every manuscript output and the database's provenance; writes report.html."""

    def requires(self):
        return {"database": MergeToDuckDB(), "outputs": manuscript_outputs()}

    def output(self):
        return luigi.LocalTarget(str(plr().output_path("report.html")))

    def run(self):
        from plr_luigi.report_page import render_report_html, section_for

        sections = [section_for({k: Path(t.path) for k, t in target.items()}
                                if isinstance(target, dict) else Path(target.path))
                    for target in self.input()["outputs"]]
        database = self.database_path()
        with self.database() as (con, provenance):
            counts = dict(con.execute(f"SELECT outcome, count(*) FROM "
                                      f"{schema.EXTRACTION_REPORT.name} GROUP BY outcome "
                                      "ORDER BY outcome").fetchall())
        root = Path(self.output().path).parent
        _write_text(self.output(), render_report_html(sections, provenance, database, root,
                                                      counts))
