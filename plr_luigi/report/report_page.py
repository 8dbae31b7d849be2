"""outputs/report.html: every figure, table and number of the manuscript on one page, each with
its provenance, so a person can review the whole output in one place.

Figures are linked by relative path (the page sits in the output directory), not embedded: a
figure rebuilt after its target was deleted shows up on the page without rebuilding the page.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

from plr_luigi.database.provenance import is_synthetic

_NUMBER = re.compile(r"^% (?P<description>[^:]*): (?P<sql>.*)\n\\newcommand\{\\(?P<macro>\w+)\}"
                     r"\{(?P<text>.*)\}$", re.MULTILINE)


@dataclass
class Section:
    """One output: a figure (png/pdf/json, or the status of an unavailable one), a table, the
    numbers file or another text file (linked only)."""

    title: str
    kind: str  # figure, table, numbers, text
    files: dict[str, Path]


def section_for(paths: dict[str, Path] | Path) -> Section:
    """The section of one task's output: a dict of figure targets, or a single file."""
    if isinstance(paths, dict):
        first = next(iter(paths.values()))
        return Section(first.name.split(".")[0].replace("_", " "), "figure", paths)
    kind = ("numbers" if paths.name == "numbers.tex" else
            "table" if paths.suffix == ".tex" else "text")
    return Section(paths.name if kind != "table" else f"table: {paths.stem}", kind,
                   {paths.suffix.lstrip("."): paths})


_UNDEFINED = re.compile(r"^% (\w+ unavailable \(n/a\), .*)$", re.MULTILINE)


def numbers_rows(numbers_tex: str) -> list[dict[str, str]]:
    """(macro, text, description, sql) of each number in numbers.tex."""
    return [m.groupdict() for m in _NUMBER.finditer(numbers_tex)]


def undefined_numbers(numbers_tex: str) -> list[str]:
    """The lines of numbers.tex that name a macro printed as n/a, and why."""
    return _UNDEFINED.findall(numbers_tex)


def _figure_notes(meta: dict) -> list[str]:
    notes = [f"query: <code>{html.escape(str(meta.get('query', '')))}</code>"]
    if meta.get("subset") is not None:
        subset = ", ".join(f"{k} = {v}" for k, v in meta["subset"].items()) or "all"
        notes.append(f"subset: {html.escape(subset)}")
    if meta.get("missing_pipelines"):
        notes.append('<span class="warn">standard pipelines missing from the database: '
                     f"{html.escape(', '.join(meta['missing_pipelines']))}</span>")
    notes.append("SYNTHETIC data" if meta.get("synthetic") else "study data")
    return notes


def _section_html(section: Section, root: Path) -> str:
    parts = [f"<section><h2>{html.escape(section.title)}</h2>"]
    links = " | ".join(f'<a href="{html.escape(p.relative_to(root).as_posix())}">{kind}</a>'
                       for kind, p in section.files.items())
    parts.append(f'<p class="files">{links}</p>')
    files = section.files
    if "status" in files:
        status = json.loads(files["status"].read_text(encoding="utf-8"))
        parts.append(f'<p class="warn">Figure {html.escape(status["status"])}: '
                     f"{html.escape(status['reason'])}</p>")
    if "json" in files:
        meta = json.loads(files["json"].read_text(encoding="utf-8"))
        parts.append("<ul>" + "".join(f"<li>{n}</li>" for n in _figure_notes(meta)) + "</ul>")
    if "png" in files:
        parts.append(f'<img src="{html.escape(files["png"].relative_to(root).as_posix())}" '
                     f'alt="{html.escape(section.title)}">')
    if section.kind == "table":
        parts.append(f"<pre>{html.escape(files['tex'].read_text(encoding='utf-8'))}</pre>")
    if section.kind == "numbers":
        rows = numbers_rows(files["tex"].read_text(encoding="utf-8"))
        parts.append("<table><tr><th>macro</th><th>value</th><th>meaning</th><th>SQL</th></tr>"
                     + "".join(f"<tr><td>\\{html.escape(r['macro'])}</td>"
                               f"<td>{html.escape(r['text'])}</td>"
                               f"<td>{html.escape(r['description'])}</td>"
                               f"<td><code>{html.escape(r['sql'])}</code></td></tr>"
                               for r in rows) + "</table>")
        parts.extend(f'<p class="warn">{html.escape(line)}</p>'
                     for line in undefined_numbers(files["tex"].read_text(encoding="utf-8")))
    parts.append("</section>")
    return "\n".join(parts)


_STYLE = """
body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
.banner { background: #c00; color: white; padding: 0.6em 1em; font-weight: bold; }
section { border-top: 1px solid #ccc; margin-top: 2em; }
img { max-width: 100%; border: 1px solid #eee; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; font-size: 80%; }
table { border-collapse: collapse; font-size: 85%; }
td, th { border: 1px solid #ddd; padding: 2px 6px; vertical-align: top; }
.warn { color: #b00; } code { font-size: 85%; }
"""


def render_report_html(sections: list[Section], provenance: dict[str, str], database: Path,
                       root: Path, extraction_counts: dict[str, int],
                       failed_runs: dict[str, str] | None = None) -> str:
    """The page; root: the directory the page is written to (links are relative to it);
    failed_runs: run name -> why its extraction failed (listed at the top)."""
    synthetic = is_synthetic(provenance)
    prov_rows = {"results database": str(database), **provenance,
                 **{f"runs {outcome}": str(n) for outcome, n in extraction_counts.items()}}
    head = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
            "<title>PLR study: manuscript outputs</title>", f"<style>{_STYLE}</style>",
            "</head><body>", "<h1>PLR study: figures, tables and numbers</h1>"]
    if synthetic:
        head.append('<p class="banner">SYNTHETIC DATA: every output below was built from a '
                    "synthetic store; none of it is a study result.</p>")
    head.append("<h2>Provenance</h2><table>" + "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        for k, v in prov_rows.items()) + "</table>")
    if failed_runs:
        head.append(f'<h2 class="warn">{len(failed_runs)} runs failed extraction</h2><ul>'
                    + "".join(f"<li>{html.escape(name)}: {html.escape(reason)}</li>"
                              for name, reason in failed_runs.items()) + "</ul>")
    head.append("<p>Contents: " + ", ".join(
        f'<a href="#s{i}">{html.escape(s.title)}</a>' for i, s in enumerate(sections)) + "</p>")
    body = [_section_html(s, root).replace("<section>", f'<section id="s{i}">', 1)
            for i, s in enumerate(sections)]
    return "\n".join([*head, *body, "</body></html>"]) + "\n"
