"""The report page: one self-contained file a reviewer reads from top to bottom. Checked on the
real build (and rendered in headless Chromium), and on hand-made outputs for what is
unavailable."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from plr_luigi.analysis.latex_tables import unavailable_table
from plr_luigi.analysis.number_macros import numbers_twin, render_numbers_tex
from plr_luigi.analysis.twins import twin_paths, write_with_twin
from plr_luigi.report.report_page import render_report_html, section_anchor, section_for

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PROVENANCE = {"created_at": "2026-01-01T00:00:00+00:00", "synthetic": "true",
              "code_version": "git abc", "n_configurations": "2", "experiment": "X"}
def _number(macro, description, sql, value=None, text=None, statistic=None,
            unavailable=None) -> dict:
    """A number as compute_numbers returns it."""
    return {"macro": macro, "description": description, "sql": sql, "value": value,
            "text": text, "statistic": statistic, "unavailable": unavailable}


NUMBERS = [
    _number("nConfigurations", "configurations in the results database",
            "SELECT count(*) FROM essential_metrics", 2, "2"),
    _number("bestOutlierMethod", "outlier method of the best configuration",
            "SELECT outlier_method FROM essential_metrics",
            *["ensemble-LOF-MOMENT-OneClassSVM-PROPHET-SubPCA-TimesNet-UniTS-gt-finetune"] * 2),
    _number("friedmanPTop", "its p-value", "SELECT x FROM bootstrap_auroc", 0.0002, "<0.001",
            statistic="statistics.friedman_nemenyi(alpha=0.05)"),
    _number("nemenyiCdTop", "critical difference", "SELECT x FROM bootstrap_auroc",
            unavailable="statistics.friedman_nemenyi not computable: needs 3 treatments"),
    _number("etaSqClassifier", "eta squared of the classifier", "SELECT 1",
            unavailable="no residual degrees of freedom"),
]


def _write_numbers(folder: Path) -> dict[str, Path]:
    """numbers.tex and numbers.json as NumbersTex writes them."""
    paths = twin_paths(folder / "numbers.tex")
    write_with_twin(paths, render_numbers_tex(NUMBERS, True, "SYNTHETIC data"),
                    numbers_twin(NUMBERS, True, PROVENANCE))
    return paths


def _figures(built) -> list[str]:
    return sorted(p.stem for p in (built["outputs"] / "figures").glob("*.png"))


def test_unavailable_outputs_show_with_their_reason(tmp_path):
    figures = tmp_path / "figures"
    figures.mkdir()
    (figures / "demo_traces.unavailable.json").write_text(json.dumps(
        {"status": "unavailable", "reason": "no subject source database is configured"}))
    (figures / "forest_classifier.unavailable.json").write_text(json.dumps(
        {"status": "unavailable", "reason": "only one classifier in the database"}))
    variance = twin_paths(tmp_path / "tables" / "variance_decomposition.tex")
    table = unavailable_table("variance_decomposition", "the factors cannot be separated",
                              True, "VarianceTable")
    write_with_twin(variance, table.latex(), table.twin())
    sections = [
        section_for(_write_numbers(tmp_path)),
        section_for({"status": figures / "demo_traces.unavailable.json"}),
        # a figure task that kept its usual targets but wrote a status instead
        section_for({ext: figures / f"forest_classifier.{ext}" for ext in ("png", "pdf",
                                                                           "json")}),
        section_for(twin_paths(tmp_path / "tables" / "top_pipelines.tex")),  # never written
        section_for(variance),
    ]
    report = pd.DataFrame({"run_id": ["r1"], "run_name": ["A"], "status": ["FINISHED"],
                           "outcome": ["extracted"], "reason": [None], "seconds": [0.0312],
                           "rss_growth_mb": [float("nan")]})
    page = render_report_html(sections, PROVENANCE, Path("/home/someone/data/public/db.duckdb"),
                              report, None, [])
    # The run's own seconds, blanks where nothing applies; the database by folder and name.
    assert ("<tr><td>A</td><td>FINISHED</td><td>extracted</td><td></td><td>0.031</td><td></td>"
            "</tr>") in page
    assert "<td>public/db.duckdb</td>" in page and "/home/someone" not in page
    for reason in ("no subject source database is configured",
                   "only one classifier in the database", "the output file is missing",
                   "needs 3 treatments", "no residual degrees of freedom",
                   "the factors cannot be separated"):
        assert re.search(r'class="unavailable">.{0,200}' + re.escape(reason), page), reason
    assert "SYNTHETIC DATA" in page and "<img" not in page
    # Display names, the raw value kept beside them.
    assert "<td>Ensemble (all)</td><td><code>ensemble-LOF-MOMENT" in page
    assert "<td>&lt;0.001</td><td><code>$&lt;$0.001</code>" in page  # as shown, as printed
    assert "No earlier build is recorded" in page


def _ids_and_links(page: str) -> tuple[list[str], set[str]]:
    return re.findall(r' id="([^"]+)"', page), set(re.findall(r'href="#([^"]+)"', page))


def test_a_figure_and_a_table_sharing_a_stem_get_distinct_ids(tmp_path):
    """Fig 6 and the extended variance table are both variance_decomposition: one id each,
    and every link of the contents (Fig 6's among them) reaches its section."""
    figures = tmp_path / "figures"
    figures.mkdir()
    status = figures / "variance_decomposition.unavailable.json"
    status.write_text(json.dumps({"status": "unavailable", "reason": "a single level"}))
    variance = twin_paths(tmp_path / "tables" / "variance_decomposition.tex")
    table = unavailable_table("variance_decomposition", "the factors cannot be separated",
                              True, "VarianceTable")
    write_with_twin(variance, table.latex(), table.twin())
    report = pd.DataFrame({"run_id": ["r1"], "run_name": ["A"], "status": ["FINISHED"],
                           "outcome": ["extracted"], "reason": [None], "seconds": [0.1],
                           "rss_growth_mb": [1.0]})
    page = render_report_html([section_for(_write_numbers(tmp_path)),
                               section_for({"status": status}), section_for(variance)],
                              PROVENANCE, Path("db.duckdb"), report, None, [])
    ids, links = _ids_and_links(page)
    assert '<section class="figure" id="figure-variance_decomposition">' in page
    assert '<section class="table" id="variance_decomposition">' in page
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    assert "figure-variance_decomposition" in links and links <= set(ids)


def test_the_built_page_embeds_every_figure_table_and_number(built):
    page = (built["outputs"] / "report.html").read_text()
    assert not re.search(r'(src|href)="(?!data:|#)', page), "the page links outside itself"
    ids, links = _ids_and_links(page)
    assert len(ids) == len(set(ids)) and links <= set(ids)
    images = dict(re.findall(r'<section class="figure" id="figure-(\w+)">.*?<img src="data:image/'
                             r'png;base64,([^"]+)"', page, re.DOTALL))
    assert sorted(images) == _figures(built)
    for stem, payload in images.items():
        assert base64.b64decode(payload) == (built["outputs"] / "figures" /
                                             f"{stem}.png").read_bytes(), stem
        assert f"also as <code>figures/{stem}.pdf</code>" in page, stem  # drawn: figure_pdf
    assert page.index("SYNTHETIC DATA") < page.index("Provenance") < page.index("Summary") \
        < page.index('<h2 id="figures">')
    sections = dict(re.findall(r'<section class="table" id="(\w+)">(.*?)</section>', page,
                               re.DOTALL))
    assert sorted(sections) == sorted(p.stem for p in (built["outputs"] / "tables").glob("*.tex"))
    for stem, section in sections.items():  # the table, or why the data cannot support it
        unavailable = json.loads((built["outputs"] / "tables" / f"{stem}.json").read_text())[
            "unavailable"]
        assert ("This table is unavailable:</b>" in section) if unavailable else (
            "<table" in section), stem
    entries = json.loads((built["outputs"] / "numbers.json").read_text())["numbers"]
    macros = [n["macro"] for n in entries]
    # The twin lists exactly the macros numbers.tex defines, in its order.
    assert macros == re.findall(r"\\newcommand\{\\(\w+)\}",
                                (built["outputs"] / "numbers.tex").read_text())
    assert all(f"<code>\\{m}</code>" in page for m in macros)
    # Every number from a query shows it; configuration (the benchmark) names its file.
    assert page.count("<summary>SQL</summary>") == sum(1 for n in entries if n["sql"])
    assert page.count("configuration: <code>configs/") == sum(
        1 for n in entries if not n["sql"] and n["statistic"])
    assert "Figure 3." in page and "Figure 7." in page


def test_the_built_page_shows_the_manuscripts_items_in_its_order_then_the_extended(built):
    """Fig 1...7, S1..., T1...T9 as configs/manuscript.yaml orders them, each headed by its
    item; then every output no item names; then the differences with both values."""
    from plr_luigi.study.manuscript import item_of_output, load_manuscript_items

    page = (built["outputs"] / "report.html").read_text()
    headed = re.findall(r'<section class="(figure|table)" id="(?:figure-)?(\w+)"><h3>([^<]+?) · ',
                        page)
    extended_at = page.index('<h2 id="extended">')
    order = [item.item for item in load_manuscript_items()]
    placed = [(kind, stem, label,
               page.index(f'<section class="{kind}" id="{section_anchor(kind, stem)}">'))
              for kind, stem, label in headed]
    items = [(kind, stem, label) for kind, stem, label, at in placed if at < extended_at]
    extended = [(kind, stem, label) for kind, stem, label, at in placed if at > extended_at]
    for kind in ("figure", "table"):
        ranks = [order.index(label) for k, _, label in items if k == kind]
        assert ranks == sorted(ranks), kind
    assert items[0][2] == "Fig 1" and sum(k == "table" for k, _, _ in items) >= 9
    assert all(item_of_output(stem, kind).item == label for kind, stem, label in items)
    assert extended and all(label == "Extended" and item_of_output(stem, kind) is None
                            for kind, stem, label in extended)
    # the variance table shares Fig 6's stem but is not Fig 6
    assert ("table", "variance_decomposition", "Extended") in extended
    assert ("figure", "heatmap_outlier_imputation", "Extended") in extended
    differences = page[page.index('<section id="differences">'):page.index(
        '<section id="extraction">')]
    listed = [d for item in load_manuscript_items() for d in item.differences]
    assert differences.count('<div class="difference">') == sum(
        len(d.get("values") or [None]) for d in listed)
    # Fig 1's box: the published least-squares slope and the logistic one, as the figure's JSON
    box = json.loads((built["outputs"] / "figures" / "calibration_dca.json").read_text())[
        "data"]["ground_truth"]["summary"]
    assert (f"<td>{box['calibration_slope_ols_published']:.3f}</td><td>"
            f"{box['calibration_slope_logistic']:.3f}</td>") in differences


def _chromium(tmp: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    profile = tmp / f"chromium-profile-{time.monotonic_ns()}"
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--virtual-time-budget=10000",
         "--window-size=1400,2400", *args, url],
        capture_output=True, text=True, timeout=120, cwd=tmp)


# Appended to a copy of the page: after load, each image's decoded size and rendered box.
_PROBE = """<script>
window.addEventListener('load', () => {
  const rows = [...document.images].map(img => {
    const box = img.getBoundingClientRect();
    return {id: img.closest('section').id, natural: img.naturalWidth, width: box.width,
            height: box.height, complete: img.complete};
  });
  const out = document.createElement('pre'); out.id = 'probe';
  out.textContent = JSON.stringify(rows); document.body.appendChild(out);
});
</script>"""


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium (make test-deps installs it as root)")
def test_chromium_shows_every_figure_at_a_readable_size(built, tmp_path):
    page = built["outputs"] / "report.html"
    probed = tmp_path / "probed.html"
    probed.write_text(page.read_text().replace("</body>", _PROBE + "</body>"))
    dom = _chromium(tmp_path, probed.as_uri(), "--dump-dom").stdout
    rows = json.loads(re.search(r'<pre id="probe">(.*?)</pre>', dom, re.DOTALL).group(1)
                      .replace("&quot;", '"'))
    assert sorted(r["id"].removeprefix("figure-") for r in rows) == _figures(built)
    for row in rows:  # decoded by the browser, and drawn at least 1000 px wide
        assert row["complete"] and row["natural"] > 500 and row["width"] >= 1000, row
        assert row["height"] > 200, row
    screenshot = tmp_path / "report_screenshot.png"
    shot = _chromium(tmp_path, page.as_uri(), f"--screenshot={screenshot}")
    assert screenshot.is_file() and screenshot.stat().st_size > 50_000, shot.stderr[-2000:]
