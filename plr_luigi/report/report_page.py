"""outputs/report.html: the page a co-author or reviewer reads from top to bottom.

The page is the Jinja2 template templates/report.html.j2 (autoescaped); this module gathers
what it shows. One self-contained file (figures embedded as base64 PNG, no external style or
script), so it can be mailed or archived as it is. In reading order: the synthetic-data banner
and the provenance, a short summary of the headline numbers, what changed since the last
build, every figure of the manuscript at full width with its caption in the manuscript's order
(configs/manuscript.yaml), every table rendered, then the extended outputs the manuscript does
not have, every number of numbers.tex with display names (the raw value beside it) and its SQL
folded away, the differences from the published methods with both values, and the extraction
report. An output that is unavailable (a `<name>.unavailable.json` status instead
of its files, a table or number whose JSON twin gives a reason) is shown as such, with the
reason. Tables and numbers are read from their JSON twins, never from their LaTeX."""

from __future__ import annotations

import base64
import functools
import json
from dataclasses import dataclass, replace
from pathlib import Path

import jinja2
import pandas as pd

from plr_luigi.analysis.figure_number_specs import instability_macro
from plr_luigi.analysis.twins import read_twin
from plr_luigi.database.provenance import is_synthetic
from plr_luigi.report.build_history import Changes
from plr_luigi.report.captions import figure_caption
from plr_luigi.report.differences import DifferenceView
from plr_luigi.study.configs import load_figure_config, load_standard_pipelines
from plr_luigi.study.display import display_name
from plr_luigi.study.factors import FACTORS
from plr_luigi.study.manuscript import EXTENDED, item_of_output, load_manuscript_items
from plr_luigi.study.unavailable import UNAVAILABLE_SUFFIX

# Of the extraction report shown: each run's own seconds and memory growth, blank where nothing
# applies (a skipped run's time, an extracted run's reason).
RUN_COLUMNS = ["run_name", "status", "outcome", "reason", "seconds", "rss_growth_mb"]


@dataclass
class Section:
    """One output: a figure (png/pdf/json, or the status of an unavailable one), a table or the
    numbers file (tex and its JSON twin), or another text file."""

    name: str  # the stem of its files: forest_classifier, top_pipelines, numbers
    kind: str  # figure, table, numbers, text
    files: dict[str, Path]

    def unavailable_reason(self) -> str | None:
        """Why the output is unavailable: the reason of a figure's `.unavailable.json` status
        or of a table's twin; None when the output is there."""
        first = next(iter(self.files.values()))
        status = self.files.get("status", first.with_name(self.name + UNAVAILABLE_SUFFIX))
        if status.is_file():
            return json.loads(status.read_text(encoding="utf-8")).get("reason", "unavailable")
        if not all(p.is_file() for p in self.files.values()):
            return "the output file is missing"
        if self.kind in ("table", "numbers"):
            return read_twin(self.files["json"]).get("unavailable")
        return None

    def twin(self) -> dict:
        """The JSON twin of a table or of the numbers file."""
        return read_twin(self.files["json"])

    def data_file(self) -> Path:
        """The file that says what the output shows (for the build history): a figure's data
        or status, a table's LaTeX (what the manuscript prints)."""
        if "tex" in self.files:
            return self.files["tex"]
        status = next(iter(self.files.values())).with_name(self.name + UNAVAILABLE_SUFFIX)
        if self.unavailable_reason() is not None and status.is_file():
            return status
        return self.files.get("json") or next(iter(self.files.values()))


def section_for(paths: dict[str, Path] | Path) -> Section:
    """The section of one task's output: a dict of figure targets or of a LaTeX file and its
    twin, or a single file."""
    if isinstance(paths, dict):
        name = next(iter(paths.values())).name.split(".")[0]
        if "tex" not in paths:
            return Section(name, "figure", paths)
        return Section(name, "numbers" if name == "numbers" else "table", paths)
    return Section(paths.stem, "text", {paths.suffix.lstrip("."): paths})


def display_text(text: str) -> str:
    """A number's text as a reader sees it: a factor level by its display name."""
    for factor in FACTORS:
        shown = display_name(factor, text)
        if shown != text:
            return shown
    return text


def _value(numbers: dict[str, dict], macro: str) -> str:
    number = numbers.get(macro)
    if number is None:
        return "(not computed)"
    if number["unavailable"]:
        return f"(unavailable: {number['unavailable']})"
    return display_text(number["display"])


def summary_lines(numbers: dict[str, dict]) -> list[tuple[str, str]]:
    """(topic, sentence) of the headline numbers, each value from numbers.json (macro ->
    entry)."""
    def v(macro: str) -> str:
        return _value(numbers, macro)

    lines = [
        ("Configurations", f"{v('nConfigurations')} configurations from {v('nRunsSeen')} runs; "
                           f"{v('nTestSubjects')} test subjects, {v('nBootstrap')} bootstrap "
                           "iterations each"),
        ("The study's population (handcrafted features)",
         f"{v('nConfigs')} configurations; AUROC mean {v('meanAUROC')}, range "
         f"{v('minAUROC')}–{v('maxAUROC')}; {v('nBenchmark')} at the published benchmark's "
         f"lower bound {v('najjarCILower')} or above"),
        ("Best configuration", f"{v('bestOutlierMethod')} + {v('bestImputationMethod')}, "
                               f"{v('bestClassifier')}: AUROC {v('bestAuroc')} (95 % CI "
                               f"{v('bestAurocCiLo')}–{v('bestAurocCiHi')})"),
        ("Ground truth", f"AUROC {v('groundTruthAuroc')} (95 % CI {v('groundTruthAurocCiLo')}–"
                         f"{v('groundTruthAurocCiHi')})"),
        ("AUROC over configurations", f"mean {v('aurocMean')}, range {v('aurocMin')}–"
                                      f"{v('aurocMax')}; {v('nAurocAtLeastNinety')} "
                                      "configurations at 0.90 or above"),
        ("Variance explained", f"classifier η² {v('etaSqClassifier')}, outlier detection "
                               f"{v('etaSqOutlierMethod')}, imputation "
                               f"{v('etaSqImputationMethod')}"),
    ]
    widths = [f"{spec['label']} {v(instability_macro(name))}"
              for name, spec in load_standard_pipelines().items()
              if instability_macro(name) in numbers]
    lines.append(("Prediction instability (mean 95 % interval width)",
                  ", ".join(widths) or "(no standard CatBoost pipeline in the database)"))
    metrics = load_figure_config()["raincloud_metrics"]
    lines.append(("Over configurations (median [IQR])", "; ".join(
        f"{spec['label']} {v('median' + spec['macro'])} [{v('lowerQuartile' + spec['macro'])}–"
        f"{v('upperQuartile' + spec['macro'])}]" for spec in metrics.values())))
    return lines


def changed_lists(changes: Changes) -> list[tuple[str, list[str]]]:
    """(title, items) of each kind of change besides the moved numbers."""
    return [("Runs added", changes.runs_added), ("Runs removed", changes.runs_removed),
            ("Runs now failing", [f"{run}: {reason}" for run, reason in changes.runs_now_failing]),
            ("Runs no longer failing", changes.runs_fixed),
            ("Figures whose data changed", changes.figures_changed),
            ("Tables whose content changed", changes.tables_changed)]


def in_manuscript_order(views: list[dict], kind: str) -> tuple[list[dict], list[dict]]:
    """(the manuscript's items in its order: Fig 1...7, S1..., T1..., the extended outputs)
    of figure or table views, each labelled with its item."""
    items = load_manuscript_items()
    ranked = []
    for view in views:
        item = item_of_output(view["name"], kind)
        rank = items.index(item) if item is not None else len(items)
        ranked.append((rank, {**view, "item": item.item if item else EXTENDED.capitalize()}))
    ranked.sort(key=lambda pair: pair[0])  # stable: an item's outputs keep their order
    return ([v for rank, v in ranked if rank < len(items)],
            [v for rank, v in ranked if rank == len(items)])


def section_anchor(kind: str, name: str) -> str:
    """The HTML id of an output's section: a figure's is prefixed, since a table may share its
    stem (Fig 6 and the variance table are both variance_decomposition) and ids must be
    unique; a table's is its stem."""
    return f"figure-{name}" if kind == "figure" else name


def _figure_view(section: Section) -> dict:
    view = {"name": section.name, "title": section.name.replace("_", " ").capitalize(),
            "anchor": section_anchor("figure", section.name),
            "reason": section.unavailable_reason()}
    if view["reason"] is not None:
        return {**view, "caption": figure_caption(section.name, None)}
    meta = json.loads(section.files["json"].read_text(encoding="utf-8"))
    # A figure that describes its own data (population, n plotted) says so in its JSON.
    caption = meta.get("caption") or figure_caption(section.name, meta.get("subset"))
    return {**view, "caption": caption,
            "png": base64.b64encode(section.files["png"].read_bytes()).decode("ascii"),
            "pdf": "pdf" in section.files,
            "missing_pipelines": meta.get("missing_pipelines") or [],
            "query": meta.get("query", "")}


def _table_view(section: Section) -> dict:
    view = {"name": section.name, "title": section.name.replace("_", " "),
            "anchor": section_anchor("table", section.name),
            "reason": section.unavailable_reason()}
    if view["reason"] is not None:
        return view
    # The LaTeX is shown as it is, for copying; what the table holds comes from its twin.
    return {**view, "tables": section.twin()["tables"],
            "tex": section.files["tex"].read_text(encoding="utf-8")}


def _number_view(number: dict) -> dict:
    """A numbers.json entry with its value as shown (display names) beside the text its macro
    prints."""
    available = not number["unavailable"]
    return {**number, "population": number.get("population"),
            "shown": display_text(number["display"]) if available else None,
            "raw": number["latex"] if available else ""}


@functools.cache
def report_templates() -> jinja2.Environment:
    # PackageLoader finds the template inside the installed package, editable or not.
    return jinja2.Environment(loader=jinja2.PackageLoader("plr_luigi.report", "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render_report_html(sections: list[Section], provenance: dict[str, str], database: Path,
                       extraction_report: pd.DataFrame, changes: Changes | None,
                       differences: list[DifferenceView]) -> str:
    """The page: the manuscript's figures and tables in its order, then the extended ones,
    the numbers file and the differences from the published methods (differences.differences);
    extraction_report: every run of the database's extraction reports (classification and
    upstream), failed runs listed at the top."""
    numbers_section = next((s for s in sections if s.kind == "numbers"), None)
    numbers_reason = numbers_section.unavailable_reason() if numbers_section else "not built"
    numbers = numbers_section.twin()["numbers"] if numbers_reason is None else []
    figures, extended_figures = in_manuscript_order(
        [_figure_view(s) for s in sections if s.kind == "figure"], "figure")
    tables, extended_tables = in_manuscript_order(
        [_table_view(s) for s in sections if s.kind == "table"], "table")
    failed = extraction_report[extraction_report["outcome"] == "failed"]
    outcomes = extraction_report["outcome"].value_counts().to_dict()
    return report_templates().get_template("report.html.j2").render(
        synthetic=is_synthetic(provenance),
        failed_runs=list(zip(failed["run_name"], failed["reason"], strict=True)),
        # The folder and file name: the database's absolute path may name the operator's home.
        provenance={"results database": f"{database.parent.name}/{database.name}", **provenance,
                    **{f"runs {outcome}": str(n) for outcome, n in sorted(outcomes.items())}},
        summary=summary_lines({n["macro"]: n for n in numbers}),
        changes=changes, changed_lists=changed_lists(changes) if changes else [],
        figures=figures, extended_figures=extended_figures, tables=tables,
        extended_tables=extended_tables,
        differences=[replace(d, rows=tuple((display_text(label), *values)
                                           for label, *values in d.rows))
                     for d in differences],
        numbers=[_number_view(n) for n in numbers], numbers_reason=numbers_reason,
        outcome_counts=sorted(outcomes.items()),
        run_columns=RUN_COLUMNS,
        runs=_shown_runs(extraction_report).to_numpy().tolist())


def _shown_runs(report: pd.DataFrame) -> pd.DataFrame:
    def number(decimals: int):
        return lambda v: "" if pd.isna(v) else f"{v:.{decimals}f}"

    return report[RUN_COLUMNS].assign(reason=report["reason"].fillna(""),
                                      seconds=report["seconds"].map(number(3)),
                                      rss_growth_mb=report["rss_growth_mb"].map(number(1)))
