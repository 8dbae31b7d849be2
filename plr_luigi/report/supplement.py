"""outputs/supplement.tex (and, compiled by pdflatex, supplement.pdf): numbers.tex, every table
and every figure's PDF with its caption, in the manuscript's order (configs/manuscript.yaml),
then the extended outputs.

The document is the Jinja2 template templates/supplement.tex.j2; this module gathers what it
shows from the outputs' files and JSON twins (never from their LaTeX). An output the data
cannot support is a line saying n/a and why. Each table and figure is read between input
marks (latex_compile.input_marks), so a LaTeX error or too wide a box names its output.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from plr_luigi.analysis.latex import escape_latex
from plr_luigi.database.provenance import is_synthetic, provenance_line
from plr_luigi.report.captions import figure_caption
from plr_luigi.report.latex_compile import input_marks
from plr_luigi.report.report_page import Section
from plr_luigi.study.manuscript import EXTENDED, load_manuscript_items

SUPPLEMENT_TEMPLATE = "supplement.tex.j2"
# The kinds of output the supplement shows (the extraction report is the report page's).
SHOWN_KINDS = ("figure", "table", "numbers")


@dataclass(frozen=True)
class Part:
    """One figure or table of an entry, in plain text (the template escapes it)."""

    name: str  # the stem of its files
    kind: str  # figure or table
    path: str  # relative to the output folder: figures/<name>.pdf, tables/<name>.tex
    caption: str = ""
    reason: str | None = None  # why it is n/a; None when it is shown

    @property
    def title(self) -> str:
        return self.name.replace("_", " ")


@dataclass(frozen=True)
class Entry:
    """A manuscript item (or one extended output): its heading, its (D) differences, its
    parts."""

    item: str  # "Fig 2", or "extended"
    heading: str
    parts: tuple[Part, ...]
    differences: tuple[dict[str, str], ...] = field(default=())


def _part(section: Section, output_dir: Path) -> Part:
    # A figure's PDF, or its PNG in a build that draws none ([plr] figure_pdf): pdflatex
    # includes either.
    source = (section.files.get("pdf", section.files.get("png")) if section.kind == "figure"
              else section.files.get("tex"))
    path = (source.absolute().relative_to(output_dir.absolute()).as_posix() if source
            is not None else f"{section.kind}s/{section.name}")
    reason = section.unavailable_reason()
    if reason is not None:
        return Part(section.name, section.kind, path, reason=reason)
    caption = ""
    if section.kind == "figure":
        meta = json.loads(section.files["json"].read_text(encoding="utf-8"))
        caption = figure_caption(section.name, meta.get("subset"))
    return Part(section.name, section.kind, path, caption)


def supplement_entries(sections: list[Section], output_dir: Path) -> list[Entry]:
    """The manuscript's items in its order, each with the outputs that draw it (an output no
    task builds: n/a), then every other figure and table as an extended entry, in the
    sections' order."""
    # By kind and stem: a figure and a table may share a stem (variance_decomposition).
    shown = {(s.kind, s.name): s for s in sections if s.kind in ("figure", "table")}
    entries, claimed = [], set()
    for item in load_manuscript_items():
        if item.kind not in ("figure", "table"):
            continue
        parts = tuple(_part(shown[item.kind, name], output_dir) if (item.kind, name) in shown
                      else Part(name, item.kind, name, reason="no task of this build draws it")
                      for name in item.outputs)
        claimed.update((item.kind, name) for name in item.outputs)
        heading = item.item if item.title == item.item else f"{item.item}. {item.title}"
        differences = tuple({key: " ".join(d[key].split()) for key in ("published", "sound",
                                                                        "why")}
                            for d in item.differences)
        entries.append(Entry(item.item, heading, parts, differences))
    for key, section in shown.items():
        if key not in claimed:
            part = _part(section, output_dir)
            entries.append(Entry(EXTENDED, f"Extended: {part.title}", (part,)))
    return entries


def _numbers_view(section: Section | None) -> dict:
    if section is None:
        return {"available": False, "reason": "numbers.tex was not built"}
    reason = section.unavailable_reason()
    if reason is not None:
        return {"available": False, "reason": reason}
    return {"available": True, "entries": section.twin()["numbers"]}


@functools.cache
def supplement_templates() -> jinja2.Environment:
    # Delimiters LaTeX never uses, so the template stays LaTeX a reader recognises; `tex`
    # escapes plain text (the one escaper, plr_luigi.analysis.latex).
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("plr_luigi.report", "templates"), autoescape=False,
        block_start_string=r"\BLOCK{", block_end_string="}", variable_start_string=r"\VAR{",
        variable_end_string="}", comment_start_string=r"\#{", comment_end_string="}",
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)
    environment.filters["tex"] = lambda text: escape_latex(" ".join(str(text).split()))
    return environment


def render_supplement_tex(entries: list[Entry], sections: list[Section],
                          provenance: dict[str, str]) -> str:
    """supplement.tex of the entries (supplement_entries) and of the numbers file among
    sections; its paths are relative to the output folder, where it compiles."""
    numbers = next((s for s in sections if s.kind == "numbers"), None)
    return supplement_templates().get_template(SUPPLEMENT_TEMPLATE).render(
        synthetic=is_synthetic(provenance), provenance=provenance_line(provenance),
        numbers=_numbers_view(numbers), entries=entries, input_marks=input_marks)


def supplement_contents(entries: list[Entry]) -> list[dict]:
    """What the supplement shows, for its JSON twin: each entry's item and outputs, with the
    reason of each n/a."""
    return [{"item": entry.item, "heading": entry.heading,
             "outputs": [{"name": p.name, "kind": p.kind, "unavailable": p.reason}
                         for p in entry.parts]} for entry in entries]


def supplement_inputs(sections: list[Section]) -> list[Path]:
    """The files the supplement reads: what makes it stale when they change."""
    return sorted(path for s in sections if s.kind in SHOWN_KINDS
                  for path in s.files.values())
