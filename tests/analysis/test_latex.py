"""The one LaTeX escaper: every special character in level names, headers and macros comes out
as LaTeX that prints it (compiled with pdflatex when it is installed)."""

from __future__ import annotations

import shutil
import subprocess

import pandas as pd
import pytest

from plr_luigi.analysis.latex import escape_frame, escape_latex
from plr_luigi.analysis.latex_tables import top_pipelines_table
from plr_luigi.analysis.number_macros import render_numbers_tex

SPECIALS = r"_ & % # $ { } ~ ^ \ < >"
ESCAPED = (r"\_ \& \% \# \$ \{ \} \textasciitilde{} \textasciicircum{} \textbackslash{} "
           "$<$ $>$")


def test_each_special_character_is_escaped_once():
    assert escape_latex(SPECIALS) == ESCAPED
    # One pass: the backslash an escape adds is not escaped again.
    assert escape_latex("a\\_b") == r"a\textbackslash{}\_b"
    assert escape_latex("0.85–0.95 η² (95% CI)") == r"0.85--0.95 $\eta^2$ (95\% CI)"
    assert escape_latex("CatBoost (8 features)") == "CatBoost (8 features)"


def test_a_frame_has_its_headers_and_text_cells_escaped_and_numbers_left_alone():
    frame = pd.DataFrame({"a_b": ["x&y", None], "n%": [0.5, 1.5]})
    escaped = escape_frame(frame)
    assert list(escaped.columns) == [r"a\_b", r"n\%"]
    assert escaped[r"a\_b"].iloc[0] == r"x\&y" and pd.isna(escaped[r"a\_b"].iloc[1])
    assert escaped[r"n\%"].tolist() == [0.5, 1.5]
    assert frame["a_b"].iloc[0] == "x&y"  # a copy: the plain frame (the twin's rows) is kept


def _top_table_with_specials() -> str:
    levels = SPECIALS.split()
    frame = pd.DataFrame({"outlier_method": [f"out{c}lier" for c in levels],
                          "imputation_method": ["SAITS"] * len(levels),
                          "classifier": ["CatBoost"] * len(levels),
                          "featurization": ["simple1.0"] * len(levels),
                          "auroc": [0.9] * len(levels), "auroc_ci_lo": [0.88] * len(levels),
                          "auroc_ci_hi": [0.92] * len(levels)})
    return top_pipelines_table(frame, {"featurization": "simple1.0"}, "handcrafted features",
                               "q", synthetic=True).latex()


def test_level_names_with_every_special_character_render_escaped_rows():
    tex = _top_table_with_specials()
    for plain, escaped in zip(SPECIALS.split(), ESCAPED.split(), strict=True):
        assert f" & out{escaped}lier & SAITS & CatBoost & " in tex, plain
    assert r"95\% CI" in tex and r"\textbf{Synthetic data:}" in tex
    assert "0.880--0.920" in tex


def test_macros_print_special_characters_escaped():
    tex = render_numbers_tex([{"macro": "bestOutlierMethod", "description": "d", "sql": "S",
                               "statistic": None, "unavailable": None, "value": SPECIALS,
                               "text": SPECIALS}], synthetic=False, provenance_line="p")
    assert rf"\newcommand{{\bestOutlierMethod}}{{{ESCAPED}}}" in tex


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no pdflatex installed")
def test_pdflatex_compiles_the_table_and_the_macro(tmp_path):
    macros = render_numbers_tex([{"macro": "levelName", "description": "d", "sql": "S",
                                  "statistic": None, "unavailable": None, "value": SPECIALS,
                                  "text": SPECIALS}], synthetic=False, provenance_line="p")
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\\usepackage{booktabs}\n" + macros
        + "\\begin{document}\n\\levelName\n" + _top_table_with_specials()
        + "\\end{document}\n")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000
