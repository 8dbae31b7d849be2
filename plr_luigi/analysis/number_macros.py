"""numbers.tex: one LaTeX macro per number the manuscript's text quotes, each from one query.

Each number is a `NumberSpec`: its macro, what it means, the SQL that computes it and how it
is printed. The numbers file and its JSON twin record the SQL, so every number can be traced
to the database (lesson 7: a number must never silently become 0 or be typed in).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from plr_luigi.analysis.latex import escape_latex
from plr_luigi.analysis.statistics import RESIDUAL, SHARED
from plr_luigi.study import schema
from plr_luigi.study.configs import load_standard_pipelines
from plr_luigi.study.factors import FACTORS
from plr_luigi.study.manuscript import load_population
from plr_luigi.study.unavailable import DataUnavailableError

logger = logging.getLogger(__name__)

UNAVAILABLE_TEXT = r"\textit{n/a}"  # what the text prints for a number the data cannot support

E = schema.ESSENTIAL
B = schema.BOOTSTRAP_AUROC


@dataclass(frozen=True)
class NumberSpec:
    macro: str  # letters only (TeX macro names)
    description: str
    sql: str
    fmt: str | Callable[[float], str] = "{}"  # str.format pattern, or a function, for the value
    # A statistic of the query's rows: (name recorded in numbers.tex, function of the rows'
    # frame returning a dict of values, key of this number's value). None: the query's value.
    derive: tuple[str, Callable[[pd.DataFrame], dict], str] | None = None
    # The configurations the number is computed over, in words (numbers.json carries it).
    population: str = "every configuration of the results database"


def format_p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def camel_case(text: str) -> str:
    return "".join(part.capitalize() for part in re.split("[^A-Za-z]+", text))


def _friedman(frame: pd.DataFrame, alpha: float) -> dict:
    from plr_luigi.analysis.statistics import blocks_by_treatment, friedman_nemenyi

    blocks = blocks_by_treatment(frame, B.config_id, B.iteration, B.auroc)
    return friedman_nemenyi(blocks, alpha=alpha)


def _variance_shares(frame: pd.DataFrame) -> dict:
    from plr_luigi.analysis.statistics import bootstrap_variance_decomposition

    configs = frame.drop_duplicates(E.config_id)[[E.config_id, *FACTORS, E.auroc]]
    iterations = frame[[E.config_id, B.iteration, "iteration_auroc"]].rename(
        columns={"iteration_auroc": B.auroc})
    table = bootstrap_variance_decomposition(configs, iterations, list(FACTORS), E.auroc)
    return {f"{row.factor}:{column}": getattr(row, column) for row in table.itertuples()
            for column in ("eta_sq", "eta_sq_ci_lo", "eta_sq_ci_hi")}


def quoted(value: str) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def levels_where(levels: dict[str, str], alias: str = "") -> str:
    """SQL condition holding each named factor at its level (TRUE for none)."""
    for factor in levels:
        getattr(E, factor)  # an unknown factor fails here, not as an empty result
    return " AND ".join(f"{alias}{factor} = {quoted(level)}"
                        for factor, level in levels.items()) or "TRUE"


def population_text(name: str) -> str:
    """A population in words: "handcrafted (featurization = simple1.0)"."""
    levels = load_population(name)
    return f"{name} ({', '.join(f'{f} = {v}' for f, v in levels.items()) or 'all'})"


STUDY_POPULATION = "handcrafted"  # the study's database holds handcrafted features only


def _best(where: str = "TRUE", column: str = E.auroc) -> str:
    return (f"SELECT {column} FROM {E.name} WHERE {where} "
            f"ORDER BY {E.auroc} DESC, {E.config_id} LIMIT 1")


def _ground_truth() -> dict[str, str]:
    """The ground-truth pipeline's four levels, as configs/pipelines.yaml names them."""
    pipeline = load_standard_pipelines()["ground_truth"]
    return {factor: pipeline[factor] for factor in FACTORS}


def _gt_where() -> str:
    return " AND ".join(f"{factor} = '{level.replace(chr(39), chr(39) * 2)}'"
                        for factor, level in _ground_truth().items())


def _gt_description() -> str:
    outlier, imputation, classifier, featurization = _ground_truth().values()
    return f"AUROC of the ground-truth pipeline ({outlier} + {imputation}, {classifier}, " \
           f"{featurization})"


def _statistic_specs(top_n: int, alpha: float) -> list[NumberSpec]:
    three = "{:.3f}"
    top_sql = (f"SELECT {B.config_id}, {B.iteration}, {B.auroc} FROM {B.name} WHERE "
               f"{B.config_id} IN (SELECT {E.config_id} FROM {E.name} ORDER BY {E.auroc} DESC, "
               f"{E.config_id} LIMIT {int(top_n)}) ORDER BY {B.config_id}, {B.iteration}")
    friedman = (f"statistics.friedman_nemenyi(alpha={alpha})",
                lambda frame: _friedman(frame, alpha))
    specs = [
        NumberSpec("friedmanChiSqTop", f"Friedman chi-square, the {top_n} best configurations "
                   "(bootstrap iterations as blocks)", top_sql, "{:.1f}", (*friedman, "statistic")),
        NumberSpec("friedmanPTop", "its p-value", top_sql, format_p, (*friedman, "p_value")),
        NumberSpec("nemenyiCdTop", "Nemenyi critical difference of average ranks", top_sql,
                   "{:.2f}", (*friedman, "critical_difference")),
        NumberSpec("nTopCd", "configurations in the critical-difference comparison", top_sql,
                   "{}", (*friedman, "n_treatments")),
    ]
    variance_sql = (f"SELECT e.{E.config_id}, {', '.join(f'e.{f}' for f in FACTORS)}, "
                    f"e.{E.auroc}, b.{B.iteration}, b.{B.auroc} AS iteration_auroc "
                    f"FROM {E.name} e JOIN {B.name} b USING ({E.config_id}) "
                    f"ORDER BY e.{E.config_id}, b.{B.iteration}")
    variance = ("statistics.bootstrap_variance_decomposition", _variance_shares)
    for factor in (*FACTORS, SHARED, RESIDUAL):
        name = camel_case(factor)
        specs += [
            NumberSpec(f"etaSq{name}", f"eta squared of {factor} (share of AUROC variance)",
                       variance_sql, three, (*variance, f"{factor}:eta_sq")),
            NumberSpec(f"etaSq{name}CiLo", "its bootstrap CI lower bound", variance_sql,
                       three, (*variance, f"{factor}:eta_sq_ci_lo")),
            NumberSpec(f"etaSq{name}CiHi", "its bootstrap CI upper bound", variance_sql,
                       three, (*variance, f"{factor}:eta_sq_ci_hi")),
        ]
    return specs


def number_specs(classifiers: list[str], top_n: int, alpha: float) -> list[NumberSpec]:
    """This project's numbers (the study's own macro names are in manuscript_numbers): counts
    and AUROC range over every configuration; the best configuration over the study's
    population (handcrafted features), as \\bestAUROC and \\bestClassifier are."""
    three = "{:.3f}"
    study = load_population(STUDY_POPULATION)
    in_study, study_words = levels_where(study), population_text(STUDY_POPULATION)

    def best(description: str, column: str, fmt: str = "{}") -> dict:
        return dict(description=description, sql=_best(in_study, column), fmt=fmt,
                    population=study_words)

    specs = [
        NumberSpec("nConfigurations", "configurations in the results database",
                   f"SELECT count(*) FROM {E.name}"),
        NumberSpec("nRunsSeen", "runs of the classification experiment",
                   f"SELECT count(*) FROM {schema.EXTRACTION_REPORT.name}"),
        NumberSpec("nTestSubjects", "test subjects per configuration",
                   f"SELECT max({E.n_test}) FROM {E.name}"),
        NumberSpec("nBootstrap", "bootstrap iterations per configuration",
                   f"SELECT max({E.n_bootstrap}) FROM {E.name}"),
        NumberSpec("aurocMin", "lowest AUROC", f"SELECT min({E.auroc}) FROM {E.name}", three),
        NumberSpec("aurocMax", "highest AUROC", f"SELECT max({E.auroc}) FROM {E.name}", three),
        NumberSpec("aurocMean", "mean AUROC over configurations",
                   f"SELECT avg({E.auroc}) FROM {E.name}", three),
        NumberSpec("nAurocAtLeastNinety", "configurations with AUROC >= 0.90",
                   f"SELECT count(*) FROM {E.name} WHERE {E.auroc} >= 0.90"),
        NumberSpec("bestAuroc", **best("AUROC of the best configuration", E.auroc, three)),
        NumberSpec("bestAurocCiLo", **best("its CI lower bound", E.auroc_ci_lo, three)),
        NumberSpec("bestAurocCiHi", **best("its CI upper bound", E.auroc_ci_hi, three)),
        NumberSpec("bestOutlierMethod", **best("outlier method of the best configuration",
                                               E.outlier_method)),
        NumberSpec("bestImputationMethod", **best("imputation method of the best "
                                                  "configuration", E.imputation_method)),
        NumberSpec("groundTruthAuroc", _gt_description(),
                   _best(_gt_where()), three),
        NumberSpec("groundTruthAurocCiLo", "its CI lower bound",
                   _best(_gt_where(), E.auroc_ci_lo), three),
        NumberSpec("groundTruthAurocCiHi", "its CI upper bound",
                   _best(_gt_where(), E.auroc_ci_hi), three),
    ]
    specs += [NumberSpec(f"n{camel_case(factor)}Levels", f"levels of {factor} in the database",
                         f"SELECT count(DISTINCT {factor}) FROM {E.name}") for factor in FACTORS]
    specs += [NumberSpec(f"bestAuroc{re.sub('[^A-Za-z]', '', cls)}", f"best AUROC with {cls}",
                         f"SELECT max({E.auroc}) FROM {E.name} WHERE {E.classifier} = '{cls}'",
                         three)
              for cls in classifiers]
    return specs + _statistic_specs(top_n, alpha)


def classifiers_in(con) -> list[str]:
    """Per-classifier numbers exist for every classifier of the factor registry and for any
    other in the database: one absent from the data gets its macro as n/a, with the reason."""
    from plr_luigi.study.factors import load_factor_registry

    present = [row[0] for row in con.execute(
        f"SELECT DISTINCT {E.classifier} FROM {E.name} ORDER BY 1").fetchall()]
    return sorted({*load_factor_registry().classifiers.values(), *present})


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def compute_numbers(con, specs: list[NumberSpec]) -> list[dict]:
    """Each spec's value. A number the data cannot support (a query that finds nothing, a
    Friedman test of two pipelines, a decomposition with no residual degrees of freedom) is
    unavailable, with the reason in numbers.tex and the log: its macro prints n/a, never a
    made-up 0. A derived number's statistic is computed once per query and shared by the
    numbers that quote it; an error other than DataUnavailableError is a defect and raises."""
    numbers, derived = [], {}
    for spec in specs:
        record = {"macro": spec.macro, "description": spec.description, "sql": spec.sql,
                  "statistic": spec.derive[0] if spec.derive else None,
                  "population": spec.population, "unavailable": None}
        if spec.derive is None:
            row = con.execute(spec.sql).fetchone()
            value = None if row is None else row[0]
        else:
            name, function, key = spec.derive
            if (spec.sql, name) not in derived:
                frame = con.execute(spec.sql).df()
                try:
                    derived[spec.sql, name] = function(frame) if len(frame) else {}
                except DataUnavailableError as error:
                    logger.warning("numbers: %s is not computable here: %s", name, error)
                    derived[spec.sql, name] = {
                        "unavailable": f"{name} not computable: {error}"}
            value = derived[spec.sql, name].get(key)
            record["unavailable"] = derived[spec.sql, name].get("unavailable")
        if record["unavailable"] is None and _is_missing(value):
            record["unavailable"] = f"the query found nothing: {spec.sql}"
            logger.warning("numbers: %s (%s): %s", spec.macro, spec.description,
                           record["unavailable"])
        if record["unavailable"] is None:
            record["value"] = value
            record["text"] = spec.fmt(value) if callable(spec.fmt) else spec.fmt.format(value)
        numbers.append(record)
    return numbers


def unavailable_numbers(specs: list[NumberSpec], reason: str) -> list[dict]:
    """The records compute_numbers gives, for numbers whose data does not exist at all (their
    query would name a missing database): each n/a with the reason."""
    logger.warning("numbers: %s unavailable: %s", ", ".join(s.macro for s in specs), reason)
    return [{"macro": s.macro, "description": s.description, "sql": s.sql, "statistic": None,
             "population": s.population, "unavailable": reason} for s in specs]


def configured_number(macro: str, description: str, value, text: str, source: str,
                      population: str) -> dict:
    """The record of a number that is configuration, not data (a published benchmark): no
    query; `source` names the configuration file and key it comes from."""
    return {"macro": macro, "description": description, "sql": None, "statistic": source,
            "population": population, "unavailable": None, "value": value, "text": text}


def check_unique_macros(numbers: list[dict]) -> None:
    """A macro defined twice is a LaTeX error (\\newcommand of a defined name): refuse it."""
    macros = [n["macro"] for n in numbers]
    repeated = sorted({m for m in macros if macros.count(m) > 1})
    if repeated:
        raise ValueError(f"numbers.tex would define these macros twice: {repeated}")


SYNTHETIC_MACRO = "dataIsSynthetic"  # defined (as "true") only when the data is synthetic
SYNTHETIC_DESCRIPTION = "SYNTHETIC DATA (not study results)"


def render_numbers_tex(numbers: list[dict], synthetic: bool, provenance_line: str) -> str:
    check_unique_macros(numbers)
    lines = ["% Generated by plr_luigi (NumbersTex) from the results database; do not edit.",
             f"% {provenance_line}"]
    if synthetic:
        lines.append(f"% {SYNTHETIC_DESCRIPTION}")
        lines.append(rf"\newcommand{{\{SYNTHETIC_MACRO}}}{{true}}")
    available, unavailable = _split(numbers)
    for number in available:
        if number["sql"] is None:  # configuration: the statistic names its file and key
            lines.append(f"% {number['description']} (configuration, {number['statistic']})")
        else:
            via = f" -> {number['statistic']}" if number["statistic"] else ""
            lines.append(f"% {number['description']}: {number['sql']}{via}")
        lines.append(rf"\newcommand{{\{number['macro']}}}{{{escape_latex(number['text'])}}}")
    if unavailable:
        # Reasons first, macros after a bare "%": a macro line is never right after a
        # "% description: sql" line, so each macro's comment describes only that macro.
        lines.append("% Numbers the data cannot support print n/a:")
        lines.extend(f"% {n['macro']} unavailable (n/a), {n['description']}: "
                     + _one_line(n["unavailable"]) for n in unavailable)
        lines.append("%")
        lines.extend(rf"\newcommand{{\{n['macro']}}}{{{UNAVAILABLE_TEXT}}}" for n in unavailable)
    return "\n".join(lines) + "\n"


def _split(numbers: list[dict]) -> tuple[list[dict], list[dict]]:
    """(available, unavailable) numbers: numbers.tex and its twin list them in this order."""
    return ([n for n in numbers if not n["unavailable"]], [n for n in numbers if n["unavailable"]])


def _one_line(text: str) -> str:
    return " ".join(text.split())  # a TeX comment ends at the line's end


def _raw(value):
    """A query's or statistic's value as JSON holds it (numpy scalars as Python numbers)."""
    return value.item() if hasattr(value, "item") else value


def numbers_twin(numbers: list[dict], synthetic: bool, provenance: dict[str, str]) -> dict:
    """numbers.json, the twin of numbers.tex: every macro in the file's order with its raw
    value, the text it prints (display: plain text; latex: the macro's body), the SQL and
    statistic behind it, and the reason it is unavailable (null when available)."""
    entries = [{"macro": SYNTHETIC_MACRO, "description": SYNTHETIC_DESCRIPTION, "value": True,
                "display": "true", "latex": "true", "sql": None, "statistic": None,
                "population": None, "unavailable": None}] if synthetic else []
    available, unavailable = _split(numbers)
    entries += [{"macro": n["macro"], "description": n["description"], "value": _raw(n["value"]),
                 "display": n["text"], "latex": escape_latex(n["text"]), "sql": n["sql"],
                 "statistic": n["statistic"], "population": n.get("population"),
                 "unavailable": None} for n in available]
    entries += [{"macro": n["macro"], "description": n["description"], "value": None,
                 "display": "n/a", "latex": UNAVAILABLE_TEXT, "sql": n["sql"],
                 "statistic": n["statistic"], "population": n.get("population"),
                 "unavailable": _one_line(n["unavailable"])}
                for n in unavailable]
    return {"synthetic": synthetic, "provenance": provenance, "numbers": entries}
