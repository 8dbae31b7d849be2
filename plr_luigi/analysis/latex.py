"""Plain text into LaTeX: the one escaper every table, caption and numbers.tex macro goes through.

The tables and numbers are built as plain text (what a reader sees, and what their JSON twins
hold); their LaTeX is derived from it here, never the other way round.
"""

from __future__ import annotations

import re

import pandas as pd

# LaTeX's special characters, and the few plain-text characters the outputs print that
# pdflatex's default (OT1) text font would get wrong: `<` and `>` print as ¡ and ¿ there.
_REPLACEMENTS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": "$<$",
    ">": "$>$",
    "|": r"\textbar{}",  # mean |SHAP|: OT1 prints `|` as an em dash
    "–": "--",  # the en dash of ranges ("0.85–0.95") and of an empty cell
    "η²": r"$\eta^2$",  # a column header of the variance table
    "ω²": r"$\omega^2$",  # and of the factorial ANOVA's
    "×": r"$\times$",  # an interaction term (Outlier detection × Imputation)
    "π": r"$\pi$",  # a prevalence in a formula of a caption
}
# One pass, so that no replacement is escaped again (the backslash of `\&` stays one).
_SPECIAL = re.compile("|".join(re.escape(text) for text in
                               sorted(_REPLACEMENTS, key=len, reverse=True)))

# What a table caption adds when the data is synthetic, as LaTeX and as plain text.
SYNTHETIC_NOTE = r"\textbf{Synthetic data:} not study results."
SYNTHETIC_NOTE_TEXT = "Synthetic data: not study results."


def escape_latex(text: str) -> str:
    """text as LaTeX that prints it."""
    return _SPECIAL.sub(lambda match: _REPLACEMENTS[match.group()], text)


def escape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of frame with its column headers and text cells escaped, for
    `DataFrame.to_latex(escape=False)`; numbers are left to to_latex's float_format."""
    # pandas 3 gives text columns the `str` dtype, older pandas `object`: both hold text.
    escaped = frame.apply(lambda column: column.map(
        lambda value: escape_latex(value) if isinstance(value, str) else value)
        if column.dtype == object or pd.api.types.is_string_dtype(column.dtype) else column)
    return escaped.rename(columns=lambda name: escape_latex(str(name)))
