"""Supplement: numbers.tex, every table and every figure of the catalog in the manuscript's order,
compiled by pdflatex into supplement.pdf (`make paper`)."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path

import luigi

from plr_luigi.filesystem.atomic import atomic_paths
from plr_luigi.study.configs import CONFIGS_DIR
from plr_luigi.study.manuscript import MANUSCRIPT_CONFIG_PATH
from plr_luigi.study.unavailable import UNAVAILABLE_SUFFIX
from plr_luigi.tasks.catalog import manuscript_outputs
from plr_luigi.tasks.merge import MergeToDuckDB
from plr_luigi.tasks.output_base import DatabaseOutput
from plr_luigi.tasks.settings import plr

logger = logging.getLogger(__name__)

# An overfull box up to this wide is invisible in print; a wider one is reported.
OVERFULL_TOLERANCE_PT = 1.0


class SupplementLatexError(RuntimeError):
    """supplement.tex did not compile; the message names the output the error is in."""


class Supplement(DatabaseOutput):
    """Reads every manuscript output (the catalog); writes supplement.tex, supplement.pdf
    (pdflatex in a temporary folder) and supplement.json (what it shows, overfull boxes).

    Without pdflatex it is unavailable (supplement.unavailable.json says why) and the build
    goes on; installing pdflatex makes it stale. A LaTeX error fails it naming the output it is
    in, with pdflatex's log kept as supplement.log and no supplement.pdf."""

    task_namespace = "report"

    retry_count = 1  # a LaTeX error stays one until an output or the template is fixed

    def requires(self):
        return {"database": MergeToDuckDB(), "outputs": manuscript_outputs()}

    def output(self):
        return {ext: luigi.LocalTarget(str(plr().output_path(f"supplement.{ext}")))
                for ext in ("pdf", "tex", "json")}

    def unavailable_path(self) -> Path:
        return plr().output_path(f"supplement{UNAVAILABLE_SUFFIX}")

    def log_path(self) -> Path:
        return plr().output_path("supplement.log")

    def side_files(self) -> list[Path]:
        return [*super().side_files(), self.unavailable_path(), self.log_path()]

    def outputs_exist(self) -> bool:
        return self.unavailable_path().is_file() or super().outputs_exist()

    def sections(self):
        from plr_luigi.report.report_page import section_for

        return [section_for(task.published_files()) for task in self.requires()["outputs"]]

    def current_stamp(self) -> dict[str, str]:
        from plr_luigi.filesystem.digest import content_digest
        from plr_luigi.report.latex_compile import pdflatex_available
        from plr_luigi.report.supplement import supplement_inputs

        inputs = supplement_inputs(self.sections())
        return {**super().current_stamp(), "pdflatex": str(pdflatex_available()),
                "inputs": content_digest(inputs, Path(plr().output_dir)),
                "manuscript": content_digest([MANUSCRIPT_CONFIG_PATH], CONFIGS_DIR)}

    def run(self):
        from plr_luigi.report import latex_compile
        from plr_luigi.report.supplement import (
            render_supplement_tex,
            supplement_contents,
            supplement_entries,
        )
        from plr_luigi.study.unavailable import DataUnavailableError

        if not latex_compile.pdflatex_available():
            raise DataUnavailableError("pdflatex is not installed (`make tex-deps` installs "
                                       "TeX Live from Debian's packages, as root)")
        sections, output_dir = self.sections(), Path(plr().output_dir)
        entries = supplement_entries(sections, output_dir)
        with self.database() as (_, provenance):
            tex = render_supplement_tex(entries, sections, provenance)
        try:
            compiled = latex_compile.compile_latex(tex, output_dir, "supplement")
        except latex_compile.LatexError as error:
            self._keep_failure(tex, error.log)
            raise SupplementLatexError(f"supplement.tex did not compile: {error}; pdflatex's "
                                       f"log: {self.log_path()}") from None
        boxes = [box for box in latex_compile.overfull_boxes(compiled.log)
                 if box.points > OVERFULL_TOLERANCE_PT]
        for box in boxes:
            logger.warning("supplement: %s: overfull %s, %.1f pt too %s (%s)", box.input,
                           box.kind, box.points, "wide" if box.kind == "hbox" else "high",
                           box.where)
        twin = {"contents": supplement_contents(entries),
                "overfull_boxes": [asdict(box) for box in boxes]}
        with atomic_paths(self.published_files()) as tmp:
            tmp["pdf"].write_bytes(compiled.pdf)
            tmp["tex"].write_text(tex, encoding="utf-8")
            tmp["json"].write_text(json.dumps(twin, indent=1), encoding="utf-8")
        for stale in (self.log_path(), self.unavailable_path()):
            stale.unlink(missing_ok=True)

    def _keep_failure(self, tex: str, log: str) -> None:
        """The failing source and pdflatex's log beside where the PDF goes; no PDF of
        earlier outputs is left looking current."""
        paths = self.published_files()
        with atomic_paths({"tex": paths["tex"], "log": self.log_path()}) as tmp:
            tmp["tex"].write_text(tex, encoding="utf-8")
            tmp["log"].write_text(log, encoding="utf-8")
        for stale in (paths["pdf"], paths["json"], self.unavailable_path()):
            stale.unlink(missing_ok=True)

    def write_unavailable(self, reason: str) -> None:
        from plr_luigi.study.unavailable import unavailable_status

        with atomic_paths({"status": self.unavailable_path()}) as tmp:
            tmp["status"].write_text(json.dumps({**unavailable_status(reason),
                                                 "output": "supplement"}, indent=1),
                                     encoding="utf-8")
        for path in [*self.published_files().values(), self.log_path()]:
            path.unlink(missing_ok=True)
