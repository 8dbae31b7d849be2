"""pdflatex run on a LaTeX document in a temporary folder, and its log read back: the first
error and every overfull box, each named by the input it happened in.

A document marks each input it reads with `\\typeout{<INPUT_MARK> begin <name>}` and
`\\par\\typeout{... end <name>}` (input_marks); the log then says which table or figure an
error or a too wide box belongs to, without following TeX's nesting of file names.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

INPUT_MARK = "plr-supplement-input"
PDFLATEX = "pdflatex"
# The second pass reads the contents and labels the first one wrote; a third one follows when
# they moved pages (the contents itself grew a page), as LaTeX's log asks.
MAX_PASSES = 3
_RERUN = "Rerun to get cross-references right"
TIMEOUT_SECONDS = 600
_MARK = re.compile(rf"^{INPUT_MARK} (begin|end) (.+)$")
_OVERFULL = re.compile(r"^Overfull \\([hv])box \(([\d.]+)pt too (?:wide|high)\) (.*)$")
_ERROR_LINE = re.compile(r"^l\.\d+ ")


class LatexError(RuntimeError):
    """pdflatex stopped on an error; the message names the input it happened in."""

    def __init__(self, message: str, log: str):
        super().__init__(message)
        self.log = log


@dataclass(frozen=True)
class OverfullBox:
    """A box wider (hbox) or taller (vbox) than the room it was set in."""

    input: str  # the marked input it happened in, or "the document" outside every input
    kind: str  # "hbox" or "vbox"
    points: float  # how far too wide or too high
    where: str  # TeX's own words: "in paragraph at lines 12--14", "in alignment at ..."


@dataclass(frozen=True)
class Compiled:
    pdf: bytes
    log: str


def pdflatex_available() -> bool:
    return shutil.which(PDFLATEX) is not None


def input_marks(name: str) -> tuple[str, str]:
    """The LaTeX lines a document puts before and after the input `name`. The paragraph ends
    before the end mark: TeX reports a paragraph's overfull lines when it ends."""
    return (rf"\typeout{{{INPUT_MARK} begin {name}}}",
            rf"\par\typeout{{{INPUT_MARK} end {name}}}")


def compile_latex(tex: str, input_dir: Path, jobname: str = "document") -> Compiled:
    """tex compiled by pdflatex in a temporary folder; the inputs it names (\\input,
    \\includegraphics) are found relative to input_dir. Raises LatexError naming the first
    error and its input."""
    with tempfile.TemporaryDirectory(prefix="plr-latex-") as work:
        source = Path(work) / f"{jobname}.tex"
        source.write_text(tex, encoding="utf-8")
        # This folder first (input_dir may hold an earlier build's file of the same name),
        # then input_dir, then TeX's own tree (the empty entry); one log line per message
        # (TeX wraps at 79 characters otherwise), so a name is never cut in two.
        env = {**os.environ, "TEXINPUTS": f".:{Path(input_dir).absolute()}:",
               "max_print_line": "100000"}
        for n_pass in range(1, MAX_PASSES + 1):
            done = subprocess.run(
                [PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                 str(source)], cwd=work, env=env, capture_output=True, timeout=TIMEOUT_SECONDS)
            log_path = source.with_suffix(".log")
            log = (log_path.read_text(encoding="utf-8", errors="replace") if log_path.is_file()
                   else done.stdout.decode(errors="replace"))
            if done.returncode != 0:
                raise LatexError(first_error(log) or f"pdflatex exited {done.returncode}", log)
            if n_pass >= 2 and _RERUN not in log:
                break
        return Compiled(source.with_suffix(".pdf").read_bytes(), log)


def _current_input(marks: list[str]) -> str:
    return marks[-1] if marks else "the document"


def first_error(log: str) -> str | None:
    """The first error of a pdflatex log: the input it happened in, TeX's message and the
    line it stopped at; None without an error."""
    open_inputs: list[str] = []
    lines = log.splitlines()
    for i, line in enumerate(lines):
        mark = _MARK.match(line)
        if mark:
            _follow(open_inputs, mark)
        elif line.startswith("! "):
            context = next((following.strip() for following in lines[i + 1:i + 12]
                            if _ERROR_LINE.match(following)), "")
            message = line[2:].strip()
            return (f"{_current_input(open_inputs)}: {message}"
                    + (f" (at {context})" if context else ""))
    return None


def overfull_boxes(log: str) -> list[OverfullBox]:
    """Every overfull box of a pdflatex log, in order, with the input it happened in."""
    open_inputs: list[str] = []
    found = []
    for line in log.splitlines():
        mark = _MARK.match(line)
        if mark:
            _follow(open_inputs, mark)
            continue
        box = _OVERFULL.match(line)
        if box:
            found.append(OverfullBox(_current_input(open_inputs), f"{box.group(1)}box",
                                     float(box.group(2)), box.group(3).strip()))
    return found


def _follow(open_inputs: list[str], mark: re.Match) -> None:
    if mark.group(1) == "begin":
        open_inputs.append(mark.group(2))
    elif open_inputs and open_inputs[-1] == mark.group(2):
        open_inputs.pop()
