"""numbers.py on a tiny database: plain numbers, derived statistics, and what is not computable."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from plr_luigi.analysis.number_macros import (
    NumberSpec,
    compute_numbers,
    format_p,
    numbers_twin,
    render_numbers_tex,
)
from plr_luigi.study.unavailable import DataUnavailableError


@pytest.fixture
def con():
    with duckdb.connect() as connection:
        connection.execute("CREATE TABLE t AS SELECT * FROM (VALUES (1, 0.5), (2, 0.7)) v(i, x)")
        yield connection


def _refuse(frame: pd.DataFrame) -> dict:
    raise DataUnavailableError("needs >= 3 treatments")


def test_plain_and_derived_numbers_and_an_uncomputable_statistic(con):
    specs = [NumberSpec("nRows", "rows", "SELECT count(*) FROM t"),
             NumberSpec("meanX", "mean x", "SELECT x FROM t", "{:.2f}",
                        ("mean", lambda f: {"m": f["x"].mean()}, "m")),
             NumberSpec("pX", "a p-value", "SELECT x FROM t", format_p,
                        ("friedman", _refuse, "p"))]
    numbers = compute_numbers(con, specs)
    assert [n.get("text") for n in numbers] == ["2", "0.60", None]
    tex = render_numbers_tex(numbers, synthetic=False, provenance_line="test")
    assert "\\newcommand{\\nRows}{2}" in tex and "\\newcommand{\\meanX}{0.60}" in tex
    assert "\\newcommand{\\pX}{\\textit{n/a}}" in tex  # defined: the manuscript compiles
    assert "pX unavailable (n/a), a p-value: friedman not computable: needs >= 3 treatments" in tex
    assert "SELECT x FROM t -> mean" in tex


def test_a_query_that_finds_nothing_is_n_a_with_its_reason_not_zero(con):
    numbers = compute_numbers(con, [NumberSpec("nothing", "max of none",
                                               "SELECT max(x) FROM t WHERE i > 5")])
    assert "text" not in numbers[0] and "found nothing" in numbers[0]["unavailable"]
    tex = render_numbers_tex(numbers, synthetic=False, provenance_line="test")
    assert "\\newcommand{\\nothing}{\\textit{n/a}}" in tex and "{0}" not in tex
    assert "% nothing unavailable (n/a), max of none: the query found nothing: SELECT" in tex


def test_a_defect_in_a_statistic_still_fails(con):
    def broken(frame: pd.DataFrame) -> dict:
        raise KeyError("no such column")

    with pytest.raises(KeyError):
        compute_numbers(con, [NumberSpec("pX", "p", "SELECT x FROM t", format_p,
                                         ("broken", broken, "p"))])


def test_p_values_below_a_thousandth_are_bounded_not_rounded_to_zero(con):
    assert format_p(0.0) == "<0.001" and format_p(0.0123) == "0.012"
    numbers = compute_numbers(con, [NumberSpec("pTiny", "p", "SELECT 0.0", format_p)])
    assert "\\newcommand{\\pTiny}{$<$0.001}" in render_numbers_tex(numbers, False, "x")


def test_the_twin_lists_every_macro_in_the_files_order_with_value_and_reason(con):
    specs = [NumberSpec("pX", "a p-value", "SELECT x FROM t", format_p,
                        ("friedman", _refuse, "p")),
             NumberSpec("meanX", "mean x", "SELECT avg(x) FROM t", "{:.2f}")]
    numbers = compute_numbers(con, specs)
    tex = render_numbers_tex(numbers, synthetic=True, provenance_line="x")
    twin = numbers_twin(numbers, synthetic=True, provenance={"experiment": "X"})
    macros = [entry["macro"] for entry in twin["numbers"]]
    # numbers.tex defines them in this order: available first, the n/a ones after.
    assert macros == ["dataIsSynthetic", "meanX", "pX"]
    assert [tex.index("{\\" + macro + "}") for macro in macros] == sorted(
        tex.index("{\\" + macro + "}") for macro in macros)
    synthetic, mean, p = twin["numbers"]
    assert (synthetic["value"], synthetic["sql"]) == (True, None)
    assert mean == {"macro": "meanX", "description": "mean x", "value": pytest.approx(0.6),
                    "display": "0.60", "latex": "0.60", "sql": "SELECT avg(x) FROM t",
                    "statistic": None, "unavailable": None,
                    "population": "every configuration of the results database"}
    assert (p["value"], p["display"], p["latex"]) == (None, "n/a", "\\textit{n/a}")
    assert p["unavailable"] == "friedman not computable: needs >= 3 treatments"
    assert p["statistic"] == "friedman" and twin["provenance"] == {"experiment": "X"}


def test_a_macro_defined_twice_is_refused_not_written(con):
    numbers = compute_numbers(con, [NumberSpec("nRows", "rows", "SELECT count(*) FROM t"),
                                    NumberSpec("nRows", "rows again", "SELECT 2")])
    with pytest.raises(ValueError, match=r"twice.*nRows"):
        render_numbers_tex(numbers, synthetic=False, provenance_line="x")
