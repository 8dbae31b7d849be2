"""outputs/report.html: the page a co-author or reviewer reads from top to bottom.

One self-contained file (figures embedded as base64 PNG, no external style or script), so it
can be mailed or archived as it is. In reading order: the synthetic-data banner and the
provenance, a short summary of the headline numbers, what changed since the last build, every
figure at full width with its caption, every table rendered, every number of numbers.tex with
display names (the raw value beside it) and its SQL folded away, and the extraction report.
An output that is unavailable (a `<name>.unavailable.json` status instead of its files, a
number left undefined or `n/a`) is shown as such, with the reason.
"""

from __future__ import annotations

import base64
import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from plr_luigi.analysis.figure_number_specs import instability_macro
from plr_luigi.database.provenance import is_synthetic
from plr_luigi.report.build_history import Changes
from plr_luigi.report.captions import figure_caption
from plr_luigi.report.numbers_file import Number, read_numbers, tex_to_text
from plr_luigi.study.configs import load_figure_config, load_standard_pipelines
from plr_luigi.study.display import display_name
from plr_luigi.study.factors import FACTORS

UNAVAILABLE_SUFFIX = ".unavailable.json"


@dataclass
class Section:
    """One output: a figure (png/pdf/json, or the status of an unavailable one), a table, the
    numbers file or another text file."""

    name: str  # the stem of its files: forest_classifier, top_pipelines, numbers
    kind: str  # figure, table, numbers, text
    files: dict[str, Path]

    def unavailable_reason(self) -> str | None:
        """The reason of the output's `.unavailable.json` status, if it has one instead of
        (or besides) its files; None when the output is there."""
        first = next(iter(self.files.values()))
        status = self.files.get("status", first.with_name(self.name + UNAVAILABLE_SUFFIX))
        if status.is_file():
            return json.loads(status.read_text(encoding="utf-8")).get("reason", "unavailable")
        if not all(p.is_file() for p in self.files.values()):
            return "the output file is missing"
        return None

    def data_file(self) -> Path:
        """The file that says what the output shows (for the build history)."""
        status = next(iter(self.files.values())).with_name(self.name + UNAVAILABLE_SUFFIX)
        if self.unavailable_reason() is not None and status.is_file():
            return status
        return self.files.get("json") or next(iter(self.files.values()))


def section_for(paths: dict[str, Path] | Path) -> Section:
    """The section of one task's output: a dict of figure targets, or a single file."""
    if isinstance(paths, dict):
        first = next(iter(paths.values()))
        return Section(first.name.split(".")[0], "figure", paths)
    kind = ("numbers" if paths.name == "numbers.tex" else
            "table" if paths.suffix == ".tex" else "text")
    return Section(paths.stem, kind, {paths.suffix.lstrip("."): paths})


def _e(text) -> str:
    return html.escape(str(text))


def display_text(text: str) -> str:
    """A number's text as a reader sees it: LaTeX undone, a factor level by its display name."""
    plain = tex_to_text(text)
    for factor in FACTORS:
        shown = display_name(factor, plain)
        if shown != plain:
            return shown
    return plain


def _unavailable_html(what: str, reason: str) -> str:
    return f'<p class="unavailable"><b>{_e(what)} unavailable:</b> {_e(reason)}</p>'


# --- header: banner, provenance, summary -------------------------------------------------

def _provenance_html(provenance: dict[str, str], database: Path,
                     outcomes: dict[str, int]) -> str:
    # The folder and file name: the database's absolute path may name the operator's home.
    rows = {"results database": f"{database.parent.name}/{database.name}", **provenance,
            **{f"runs {outcome}": str(n) for outcome, n in sorted(outcomes.items())}}
    return ('<h2 id="provenance">Provenance</h2><table class="kv">'
            + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows.items())
            + "</table>")


def _value(numbers: dict[str, Number], macro: str) -> str:
    number = numbers.get(macro)
    if number is None:
        return "(not computed)"
    if number.unavailable:
        return f"(unavailable: {number.unavailable})"
    return display_text(number.text)


def summary_lines(numbers: dict[str, Number]) -> list[tuple[str, str]]:
    """(topic, sentence) of the headline numbers, each value from numbers.tex."""
    def v(macro: str) -> str:
        return _value(numbers, macro)

    lines = [
        ("Configurations", f"{v('nConfigurations')} configurations from {v('nRunsSeen')} runs; "
                           f"{v('nTestSubjects')} test subjects, {v('nBootstrap')} bootstrap "
                           "iterations each"),
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


def _summary_html(numbers: dict[str, Number]) -> str:
    return ('<h2 id="summary">Summary</h2><table class="kv">'
            + "".join(f"<tr><th>{_e(topic)}</th><td>{_e(text)}</td></tr>"
                      for topic, text in summary_lines(numbers)) + "</table>")


# --- what changed --------------------------------------------------------------------------

def changes_html(changes: Changes | None) -> str:
    parts = ['<h2 id="changes">What changed since the last build</h2>']
    if changes is None:
        parts.append("<p>No earlier build is recorded: nothing to compare with yet.</p>")
        return "\n".join(parts)
    parts.append(f"<p>From the build of {_e(changes.previous_built_at)} to this one "
                 f"({_e(changes.latest_built_at)}).</p>")
    if changes.empty:
        parts.append("<p>Nothing changed.</p>")
    if changes.numbers_moved:
        parts.append(f"<h3>numbers.tex values that moved ({len(changes.numbers_moved)})</h3>"
                     '<table class="grid"><tr><th>macro</th><th>meaning</th><th>before</th>'
                     "<th>now</th></tr>" + "".join(
                         f"<tr><td><code>\\{_e(m)}</code></td><td>{_e(d)}</td>"
                         f"<td>{_e(old or '(absent)')}</td><td><b>{_e(new or '(absent)')}</b>"
                         "</td></tr>" for m, d, old, new in changes.numbers_moved) + "</table>")
    for title, items in (("Runs added", changes.runs_added),
                         ("Runs removed", changes.runs_removed),
                         ("Runs now failing", [f"{run}: {reason}"
                                               for run, reason in changes.runs_now_failing]),
                         ("Runs no longer failing", changes.runs_fixed),
                         ("Figures whose data changed", changes.figures_changed),
                         ("Tables whose content changed", changes.tables_changed)):
        if items:
            parts.append(f"<h3>{title} ({len(items)})</h3><ul>"
                         + "".join(f"<li>{_e(item)}</li>" for item in items) + "</ul>")
    return "\n".join(parts)


# --- figures, tables, numbers, text --------------------------------------------------------

def _figure_html(section: Section) -> str:
    title = section.name.replace("_", " ").capitalize()
    parts = [f'<section class="figure" id="{_e(section.name)}"><h3>{_e(title)}</h3>']
    reason = section.unavailable_reason()
    if reason is not None:
        parts.append(_unavailable_html("This figure is", reason))
        parts.append(f"<p class='caption'>{_e(figure_caption(section.name, None))}</p>")
        return "\n".join([*parts, "</section>"])
    meta = json.loads(section.files["json"].read_text(encoding="utf-8"))
    png = base64.b64encode(section.files["png"].read_bytes()).decode("ascii")
    parts.append(f'<img src="data:image/png;base64,{png}" alt="{_e(title)}">')
    parts.append(f"<p class='caption'>{_e(figure_caption(section.name, meta.get('subset')))}"
                 "</p>")
    if meta.get("missing_pipelines"):
        parts.append(_unavailable_html("Standard pipelines", "not in the database: "
                                       + ", ".join(meta["missing_pipelines"])))
    parts.append(f"<details><summary>data and query</summary><p>query: "
                 f"<code>{_e(meta.get('query', ''))}</code>; the data plotted: "
                 f"<code>figures/{_e(section.name)}.json</code>, also as "
                 f"<code>figures/{_e(section.name)}.pdf</code></p></details>")
    return "\n".join([*parts, "</section>"])


def latex_table_frame(tex: str) -> tuple[str, pd.DataFrame]:
    """(caption, rows) of a booktabs table as the table tasks write it."""
    caption = re.search(r"\\caption\{(.*)\}", tex)
    head, _, rest = tex.partition("\\midrule")
    body, _, _ = rest.partition("\\bottomrule")
    header = head.rpartition("\\toprule")[2]

    def cells(line: str) -> list[str]:
        return [tex_to_text(c.strip()) for c in line.strip().rstrip("\\").split("&")]

    columns = cells(header.strip())
    rows = [cells(line) for line in body.strip().splitlines() if line.strip()]
    if not rows or any(len(r) != len(columns) for r in rows):
        raise ValueError("not a table of the expected form")
    return tex_to_text(caption.group(1)) if caption else "", pd.DataFrame(rows, columns=columns)


def _table_html(section: Section) -> str:
    parts = [f'<section class="table" id="{_e(section.name)}">'
             f"<h3>Table: {_e(section.name.replace('_', ' '))}</h3>"]
    reason = section.unavailable_reason()
    if reason is not None:
        parts.append(_unavailable_html("This table is", reason))
        return "\n".join([*parts, "</section>"])
    tex = section.files["tex"].read_text(encoding="utf-8")
    try:
        caption, frame = latex_table_frame(tex)
        parts.append(f"<p class='caption'>{_e(caption)}</p>")
        parts.append(frame.to_html(index=False, classes="grid", border=0))
    except ValueError:
        parts.append(f"<pre>{_e(tex)}</pre>")
    parts.append(f"<details><summary>LaTeX</summary><pre>{_e(tex)}</pre></details>")
    return "\n".join([*parts, "</section>"])


def _numbers_html(numbers: list[Number], reason: str | None) -> str:
    parts = ['<section id="numbers"><h2>Numbers (numbers.tex)</h2>']
    if reason is not None:
        parts.append(_unavailable_html("numbers.tex is", reason))
        return "\n".join([*parts, "</section>"])
    rows = []
    for n in numbers:
        if n.unavailable:
            value, raw = f'<span class="unavailable">unavailable: {_e(n.unavailable)}</span>', ""
        else:
            value, raw = _e(display_text(n.text)), f"<code>{_e(n.text)}</code>"
        sql = (f"<details><summary>SQL</summary><code>{_e(n.sql)}</code>"
               + (f" → <code>{_e(n.statistic)}</code>" if n.statistic else "")
               + "</details>") if n.sql else ""
        rows.append(f"<tr><td>{_e(n.description)}</td><td>{value}</td><td>{raw}</td>"
                    f"<td><code>\\{_e(n.macro)}</code></td><td>{sql}</td></tr>")
    parts.append('<table class="grid"><tr><th>meaning</th><th>value</th><th>raw value</th>'
                 "<th>macro</th><th>query</th></tr>" + "".join(rows) + "</table>")
    return "\n".join([*parts, "</section>"])


def _extraction_html(report: pd.DataFrame) -> str:
    counts = report["outcome"].value_counts().to_dict()
    failed = report[report["outcome"] == "failed"]
    parts = ['<section id="extraction"><h2>Extraction report</h2><p>'
             + ", ".join(f"{_e(k)}: {v}" for k, v in sorted(counts.items())) + "</p>"]
    if len(failed):
        parts.append(_unavailable_html(f"{len(failed)} runs are", "extraction failed; see "
                                       "below"))
    # Blank where nothing applies (a skipped run's time, an extracted run's reason).
    shown = report[["run_name", "status", "outcome", "reason"]].fillna("").assign(
        seconds=report["seconds"].map(lambda v: "" if pd.isna(v) else f"{v:.3f}"),
        rss_growth_mb=report["rss_growth_mb"].map(lambda v: "" if pd.isna(v) else f"{v:.1f}"))
    parts.append(f"<details{' open' if len(failed) else ''}><summary>every run "
                 f"({len(report)})</summary>" + shown.to_html(index=False, classes="grid",
                                                               border=0) + "</details>")
    return "\n".join([*parts, "</section>"])


_STYLE = """
body { font-family: sans-serif; max-width: 1280px; margin: 1.5em auto; padding: 0 1em;
       color: #222; line-height: 1.4; }
.banner { background: #c00; color: white; padding: 0.7em 1em; font-weight: bold;
          font-size: 110%; }
section { border-top: 1px solid #ccc; margin-top: 1.5em; padding-top: 0.3em; }
img { width: 100%; height: auto; border: 1px solid #eee; display: block; }
.caption { font-size: 95%; color: #333; margin: 0.4em 0; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; font-size: 80%; }
table { border-collapse: collapse; font-size: 88%; margin: 0.5em 0; }
table.grid td, table.grid th, table.kv td, table.kv th { border: 1px solid #ddd;
        padding: 2px 7px; vertical-align: top; text-align: left; }
table.kv th { background: #f3f3f3; white-space: nowrap; }
.unavailable { color: #a00; background: #fff1f0; border-left: 4px solid #c00;
               padding: 0.4em 0.7em; }
details summary { cursor: pointer; color: #555; font-size: 90%; }
code { font-size: 85%; word-break: break-all; }
"""


def render_report_html(sections: list[Section], provenance: dict[str, str], database: Path,
                       extraction_report: pd.DataFrame, changes: Changes | None) -> str:
    """The page: sections in the order of the manuscript's outputs (figures, tables, the
    numbers file); extraction_report: every run of the database's extraction reports
    (classification and upstream), failed runs listed at the top."""
    numbers_section = next((s for s in sections if s.kind == "numbers"), None)
    numbers_reason = numbers_section.unavailable_reason() if numbers_section else "not built"
    numbers = (read_numbers(numbers_section.files["tex"].read_text(encoding="utf-8"))
               if numbers_reason is None else [])
    figures = [s for s in sections if s.kind == "figure"]
    tables = [s for s in sections if s.kind == "table"]
    head = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
            "<title>PLR study: manuscript outputs</title>", f"<style>{_STYLE}</style>",
            "</head><body>", "<h1>PLR study: figures, tables and numbers</h1>"]
    if is_synthetic(provenance):
        head.append('<p class="banner">SYNTHETIC DATA: every output below was built from a '
                    "synthetic store; none of it is a study result.</p>")
    failed = extraction_report[extraction_report["outcome"] == "failed"]
    if len(failed):
        # Before anything else: outputs below were built without these runs.
        head.append(f'<section class="unavailable"><h2>{len(failed)} runs failed extraction'
                    "</h2><ul>" + "".join(f"<li>{_e(name)}: {_e(reason)}</li>" for name, reason
                                          in zip(failed["run_name"], failed["reason"], strict=True))
                    + "</ul></section>")
    outcomes = extraction_report["outcome"].value_counts().to_dict()
    contents = [("provenance", "Provenance"), ("summary", "Summary"),
                ("changes", "What changed"), *((s.name, s.name.replace("_", " "))
                                               for s in figures + tables),
                ("numbers", "Numbers"), ("extraction", "Extraction report")]
    body = [
        _provenance_html(provenance, database, outcomes),
        _summary_html({n.macro: n for n in numbers}),
        changes_html(changes),
        '<p class="contents">Contents: ' + " · ".join(
            f'<a href="#{_e(anchor)}">{_e(label)}</a>' for anchor, label in contents) + "</p>",
        '<h2 id="figures">Figures</h2>',
        *(_figure_html(s) for s in figures),
        '<h2 id="tables">Tables</h2>',
        *(_table_html(s) for s in tables),
        _numbers_html(numbers, numbers_reason),
        _extraction_html(extraction_report),
    ]
    return "\n".join([*head, *body, "</body></html>"]) + "\n"
