"""Inputs of the statistical figures, tables and numbers, read from the results database: the
blocks of a critical-difference diagram, and the variance decomposition of AUROC.

Figures, tables and numbers.tex call these same functions, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from plr_luigi.analysis.statistics import blocks_by_treatment, bootstrap_variance_decomposition
from plr_luigi.database import queries
from plr_luigi.study import schema
from plr_luigi.study.display import configuration_label, display_name, factor_label, level_colour
from plr_luigi.study.factors import FACTORS

E = schema.ESSENTIAL


@dataclass(frozen=True)
class CriticalDifferenceInput:
    blocks: pd.DataFrame  # one row per bootstrap iteration, one column per treatment
    labels: dict[str, str]  # treatment -> display label
    colours: dict[str, str]
    title: str
    query: str
    subset: dict[str, str]


def top_pipeline_blocks(con, top_n: int) -> CriticalDifferenceInput:
    """The best top_n configurations (all featurizations) as treatments, iterations as blocks."""
    top = queries.configurations(con, limit=top_n)
    long = queries.configuration_iterations(con, top[E.config_id].tolist())
    blocks = blocks_by_treatment(long, E.config_id, "iteration", "auroc")[top[E.config_id]]
    labels = {row[E.config_id]: configuration_label(row, sep="\n") for _, row in top.iterrows()}
    colours = {row[E.config_id]: level_colour(row[E.outlier_method]) for _, row in top.iterrows()}
    return CriticalDifferenceInput(blocks, labels, colours,
                                   f"Critical difference: the {len(top)} best pipelines",
                                   "queries.configurations + queries.configuration_iterations",
                                   {})


def factor_level_blocks(con, factor: str, subset: dict[str, str]) -> CriticalDifferenceInput:
    """The levels of factor within subset as treatments (each level's mean AUROC over its
    configurations in an iteration), iterations as blocks."""
    long = queries.level_iterations(con, factor, subset)
    blocks = blocks_by_treatment(long, "level", "iteration", "auroc")
    labels = {level: display_name(factor, level) for level in blocks.columns}
    colours = {level: level_colour(level) for level in blocks.columns}
    where = ", ".join(display_name(f, v) for f, v in subset.items()) or "all configurations"
    return CriticalDifferenceInput(blocks, labels, colours,
                                   f"Critical difference: {factor_label(factor).lower()} "
                                   f"({where})", "queries.level_iterations", subset)


def variance_table(con) -> pd.DataFrame:
    """AUROC variance decomposition over all configurations by the four factors, with
    bootstrap CIs (statistics.bootstrap_variance_decomposition)."""
    configs = queries.configurations(con)[[E.config_id, *FACTORS, E.auroc]]
    iterations = queries.configuration_iterations(con)
    return bootstrap_variance_decomposition(configs, iterations, list(FACTORS), E.auroc)
