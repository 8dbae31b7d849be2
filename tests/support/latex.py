"""Compile a LaTeX fragment with pdflatex and report what went wrong (errors, undefined
control sequences, overfull boxes). Tests skip with the reason only where pdflatex is absent:
`make test-deps` installs TeX Live (texlive-latex-base, -recommended, -extra)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

# The study's own macro names (figure_and_stats_generation.py step 5.1 and analysis_flow.py):
# a manuscript written against them must compile with plr_luigi's numbers.tex unchanged.
STUDY_MACROS = ("nConfigs", "nBenchmark", "minAUROC", "maxAUROC", "meanAUROC", "aurocRange",
                "bestOutlier", "bestImputation", "bestClassifier", "bestAUROC", "bestPipeline",
                "najjarAUROC", "najjarCILower", "najjarCIUpper", "nPredictions")
OVERFULL_LIMIT_PT = 1.0


def require_pdflatex() -> str:
    path = shutil.which("pdflatex")
    if path is None:
        pytest.skip("pdflatex is not installed (make test-deps installs TeX Live)")
    return path


def manuscript_fragment(macros: list[str]) -> str:
    """A small manuscript that inputs numbers.tex and prints every macro in running text,
    the way the study's text uses them."""
    sentences = "\n\n".join(rf"\texttt{{{m}}}: \{m}." for m in macros)
    return "\n".join([
        r"\documentclass[11pt]{article}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\usepackage[T1]{fontenc}",
        r"\input{numbers.tex}",
        r"\begin{document}",
        r"\sloppy",  # long level names (the ensemble's) break at their hyphens, not past the margin
        r"We compared \nConfigs{} configurations; AUROC ranged from \minAUROC{} to "
        r"\maxAUROC{} (mean \meanAUROC, range \aurocRange); \nBenchmark{} reached the "
        r"benchmark of \najjarAUROC{} (\najjarCILower--\najjarCIUpper). The best pipeline "
        r"(\bestPipeline: \bestOutlier, \bestImputation, \bestClassifier) reached "
        r"\bestAUROC{} over \nPredictions{} predictions.",
        sentences,
        r"\end{document}",
    ]) + "\n"


def compile_fragment(directory: Path, numbers_tex: str, macros: list[str]) -> list[str]:
    """Write numbers.tex and a fragment using `macros` into directory, run pdflatex, and
    return the problems of its log: errors, undefined control sequences, overfull boxes
    wider than OVERFULL_LIMIT_PT."""
    pdflatex = require_pdflatex()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "numbers.tex").write_text(numbers_tex, encoding="utf-8")
    (directory / "fragment.tex").write_text(manuscript_fragment(macros), encoding="utf-8")
    result = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error",
                             "fragment.tex"], cwd=directory, capture_output=True, timeout=120)
    log = (directory / "fragment.log").read_text(encoding="latin-1", errors="replace")
    problems = [line for line in log.splitlines() if line.startswith("! ")]
    problems += [f"overfull box: {m.group(0)}" for m in re.finditer(
        r"Overfull \\[hv]box \((\d+(?:\.\d+)?)pt too \w+\)", log)
        if float(m.group(1)) > OVERFULL_LIMIT_PT]
    if result.returncode != 0 and not problems:
        problems.append(f"pdflatex exited with {result.returncode}")
    if not (directory / "fragment.pdf").is_file():
        problems.append("no PDF written")
    return problems
