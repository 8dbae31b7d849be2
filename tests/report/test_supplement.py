"""The supplement (outputs/supplement.pdf): compiled by the real pdflatex from a real build, in the
manuscript's order, with no LaTeX error and no box wider than the page; a LaTeX error names the
output it is in and leaves no PDF; without pdflatex the build goes on and says why."""

from __future__ import annotations

import json
import shutil

import pytest
from support.settings import plr_settings

from plr_luigi.report.latex_compile import (
    LatexError,
    compile_latex,
    input_marks,
    overfull_boxes,
)
from plr_luigi.study.manuscript import EXTENDED, load_manuscript_items
from plr_luigi.tasks.output_base import FigureOutput, TexTableOutput

needs_pdflatex = pytest.mark.skipif(
    shutil.which("pdflatex") is None,
    reason="no pdflatex installed (`make tex-deps` installs TeX Live from Debian's packages, "
           "as root)")
# What an overfull box may exceed the page by before print shows it.
TOLERANCE_PT = 1.0


def _document(body_by_input: dict[str, str]) -> str:
    inputs = "\n".join(f"{input_marks(name)[0]}\n\\input{{{name}}}\n{input_marks(name)[1]}"
                       for name in body_by_input)
    return f"\\documentclass{{article}}\n\\begin{{document}}\n{inputs}\n\\end{{document}}\n"


@needs_pdflatex
def test_an_overfull_box_and_an_error_are_named_by_the_input_they_are_in(tmp_path):
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "narrow.tex").write_text("\\begin{tabular}{ll}a & b\\end{tabular}\n")
    (tmp_path / "tables" / "wide.tex").write_text(
        "\\begin{tabular}{l}" + "wide " * 60 + "\\end{tabular}\n")
    compiled = compile_latex(_document({"tables/narrow.tex": "", "tables/wide.tex": ""}),
                             tmp_path)
    assert compiled.pdf.startswith(b"%PDF")
    boxes = [b for b in overfull_boxes(compiled.log) if b.points > TOLERANCE_PT]
    assert [(b.input, b.kind) for b in boxes] == [("tables/wide.tex", "hbox")]
    assert boxes[0].points > 500

    (tmp_path / "tables" / "broken.tex").write_text("fine text \\noSuchMacro\n")
    with pytest.raises(LatexError, match=r"^tables/broken\.tex: Undefined control sequence"
                                         r".*noSuchMacro") as raised:
        compile_latex(_document({"tables/narrow.tex": "", "tables/broken.tex": ""}), tmp_path)
    assert "! Undefined control sequence." in raised.value.log


@needs_pdflatex
def test_the_document_given_is_compiled_not_an_earlier_one_of_its_name_among_the_inputs(
        tmp_path):
    (tmp_path / "supplement.tex").write_text(  # an earlier build's, beside the inputs
        "\\documentclass{article}\\begin{document}\\noSuchMacro\\end{document}\n")
    compiled = compile_latex(_document({}).replace("\\begin{document}",
                                                   "\\begin{document}\\typeout{this one}Text."),
                             tmp_path, "supplement")
    assert "this one" in compiled.log


def _built_supplement(built) -> dict:
    unavailable = built["outputs"] / "supplement.unavailable.json"
    if unavailable.is_file():  # the shared build ran where pdflatex was not installed
        pytest.skip(json.loads(unavailable.read_text(encoding="utf-8"))["reason"])
    return json.loads((built["outputs"] / "supplement.json").read_text(encoding="utf-8"))


@needs_pdflatex
def test_the_builds_supplement_shows_every_item_in_the_manuscripts_order_then_the_extended(
        built):
    from plr_luigi.tasks.catalog import manuscript_outputs

    contents = _built_supplement(built)["contents"]
    assert (built["outputs"] / "supplement.pdf").read_bytes().startswith(b"%PDF")
    expected = [item.item for item in load_manuscript_items() if item.kind != "numbers"]
    items = [entry["item"] for entry in contents]
    assert items[:len(expected)] == expected
    assert set(items[len(expected):]) <= {EXTENDED}
    with plr_settings(**built["settings"]):
        drawn = {("figure", task.figure_name()) if isinstance(task, FigureOutput)
                 else ("table", task.table_name()) for task in manuscript_outputs()
                 if isinstance(task, FigureOutput | TexTableOutput)}
    # by kind and stem: Fig 6 and the extended variance table share a stem, both shown
    shown = [(output["kind"], output["name"]) for entry in contents
             for output in entry["outputs"]]
    assert drawn <= set(shown) and len(shown) == len(set(shown))
    assert {("figure", "variance_decomposition"), ("table", "variance_decomposition")} <= drawn
    tex = (built["outputs"] / "supplement.tex").read_text(encoding="utf-8")
    assert "\\input{numbers.tex}" in tex
    numbers = json.loads((built["outputs"] / "numbers.json").read_text(encoding="utf-8"))
    assert all(f"\\{n['macro']}" in tex for n in numbers["numbers"])  # each printed


@needs_pdflatex
def test_the_builds_supplement_names_no_folder_of_the_machine_and_no_date(built):
    """pdfTeX writes each included PDF's absolute path into the file unless told not to: a
    public PDF naming the operator's folders."""
    pdf = (built["outputs"] / "supplement.pdf").read_bytes()
    assert b"PTEX.FileName" not in pdf and b"/CreationDate" not in pdf
    assert str(built["work"]).encode() not in pdf and b"/tmp/" not in pdf


@needs_pdflatex
def test_no_box_of_the_builds_supplement_is_wider_or_higher_than_the_page(built):
    """pdflatex's log, as the Supplement task read it: a table too wide for a 2 cm-margin page
    is fixed in the table (abbreviations, fewer columns, a landscape float)."""
    boxes = _built_supplement(built)["overfull_boxes"]
    assert [(b["input"], f"{b['points']:.1f} pt", b["where"]) for b in boxes
            if b["points"] > TOLERANCE_PT] == []


@needs_pdflatex
def test_a_latex_error_in_a_table_fails_naming_it_and_leaves_no_pdf(built_copy):
    from plr_luigi.tasks.supplement import Supplement, SupplementLatexError

    outputs = built_copy["outputs"]
    table = outputs / "tables" / "top_pipelines.tex"
    table.write_text(table.read_text(encoding="utf-8") + "\\noSuchMacro\n", encoding="utf-8")
    with plr_settings(**built_copy["settings"]):
        assert not Supplement().complete()  # an input changed
        with pytest.raises(SupplementLatexError,
                           match=r"tables/top_pipelines\.tex: Undefined control sequence"):
            Supplement().run()
    assert not (outputs / "supplement.pdf").exists()
    assert not (outputs / "supplement.json").exists()
    assert "noSuchMacro" in (outputs / "supplement.log").read_text(encoding="utf-8")
    assert (outputs / "supplement.tex").is_file()  # the source that failed, beside its log


@needs_pdflatex
def test_a_draft_builds_supplement_shows_the_pngs_and_pdfs_make_its_figures_due(failed_build):
    """A build without figure PDFs ([plr] figure_pdf = false: support.three_run_store's)
    compiles its supplement from the PNGs, and its report page offers none; asking for PDFs
    again makes every drawn figure due."""
    from plr_luigi.tasks.catalog import manuscript_outputs

    outputs = failed_build.outputs
    assert (outputs / "supplement.pdf").read_bytes().startswith(b"%PDF")
    tex = (outputs / "supplement.tex").read_text(encoding="utf-8")
    assert "figures/forest_classifier.png" in tex and ".pdf}" not in tex
    assert not list((outputs / "figures").glob("*.pdf"))
    page = (outputs / "report.html").read_text(encoding="utf-8")
    assert "figures/forest_classifier.json" in page and "forest_classifier.pdf" not in page
    settings = failed_build.settings()
    with plr_settings(**settings):
        drawn = [task for task in manuscript_outputs() if isinstance(task, FigureOutput)
                 and (outputs / "figures" / f"{task.figure_name()}.png").is_file()]
        assert drawn and all(task.complete() for task in drawn)
    with plr_settings(**{**settings, "figure_pdf": "true"}):
        assert not any(task.complete() for task in drawn)


def test_without_pdflatex_the_supplement_is_unavailable_and_the_build_goes_on(
        built_copy, recorder, monkeypatch, tmp_path):
    from plr_luigi.tasks import ReproduceAll, Supplement

    outputs = built_copy["outputs"]
    (tmp_path / "bin").mkdir()
    with plr_settings(**built_copy["settings"]):
        with monkeypatch.context() as without:
            without.setenv("PATH", str(tmp_path / "bin"))  # nothing, pdflatex included
            recorder.build([ReproduceAll()])  # succeeds
            assert Supplement().complete()
        status = json.loads((outputs / "supplement.unavailable.json").read_text("utf-8"))
        assert status["status"] == "unavailable" and "pdflatex" in status["reason"]
        assert not (outputs / "supplement.pdf").exists()
        if shutil.which("pdflatex") is not None:
            # pdflatex installed since: the supplement is due, and made
            assert not Supplement().complete()
            assert recorder.build([ReproduceAll()]) == ["ReproduceAll", "report.PrivacyAudit",
                                                        "report.Supplement"]
            assert (outputs / "supplement.pdf").is_file()
            assert not (outputs / "supplement.unavailable.json").exists()
