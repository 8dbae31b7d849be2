"""Reading numbers.tex back: each macro with its value, meaning, SQL and, for a number the
data cannot support, the reason it is unavailable.

numbers.tex is the interface the manuscript uses, so the report page and the build history
read it rather than a second copy of the numbers. Each `\\newcommand` is described by the
comment line right above it (`% meaning: SQL[ -> statistic]`); header comments describe
nothing. A number the data cannot support is defined as `\\textit{n/a}`, its meaning and reason
in a comment of the block above the n/a macros (`% macro unavailable (n/a), meaning: reason`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NEWCOMMAND = re.compile(r"^\\newcommand\{\\(?P<macro>\w+)\}\{(?P<text>.*)\}$")
_UNAVAILABLE = re.compile(r"^% (?P<macro>\w+) unavailable \(n/a\), (?P<why>.*)$")
_NOT_AVAILABLE = r"\textit{n/a}"


@dataclass(frozen=True)
class Number:
    macro: str
    text: str  # the macro's LaTeX body as written ("" when unavailable)
    description: str
    sql: str
    statistic: str | None = None
    unavailable: str | None = None  # the reason, for a number that has no value


def read_numbers(numbers_tex: str) -> list[Number]:
    """Every macro of numbers.tex, defined or not, in the file's order."""
    numbers, comment = [], None
    why_unavailable: dict[str, str] = {}
    for line in numbers_tex.splitlines():
        unavailable = _UNAVAILABLE.match(line)
        if unavailable:
            why_unavailable[unavailable["macro"]] = unavailable["why"]
            comment = None
            continue
        if line.startswith("% "):
            comment = line[2:]
            continue
        command = _NEWCOMMAND.match(line)
        if command is None:
            comment = None
            continue
        if _NOT_AVAILABLE in command["text"]:
            description, _, reason = why_unavailable.get(command["macro"], "").partition(": ")
            numbers.append(Number(command["macro"], "", description, "", None,
                                  reason or comment or "not available"))
        else:
            numbers.append(Number(command["macro"], command["text"], *_describe(comment)))
        comment = None
    return numbers


def _describe(comment: str | None) -> tuple[str, str, str | None]:
    """(meaning, SQL, statistic) of a number's comment line."""
    if not comment:
        return "", "", None
    description, _, sql = comment.partition(": ")
    sql, _, statistic = sql.partition(" -> ")
    return description, sql, statistic or None


def tex_to_text(tex: str) -> str:
    """What a reader sees of the small LaTeX the outputs use (escapes, math signs, bold)."""
    text = re.sub(r"\\text(?:bf|it)\{([^}]*)\}", r"\1", tex)
    text = (text.replace("$<$", "<").replace("$>$", ">").replace(r"$\eta^2$", "η²")
            .replace("--", "–").replace(r"\textbackslash{}", "\\"))
    return re.sub(r"\\([_%&#$])", r"\1", text)
