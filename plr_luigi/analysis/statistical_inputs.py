"""Inputs of the statistical figures, tables and numbers, read from the results database: the
blocks of a critical-difference diagram, and the variance decomposition of AUROC.

Figures, tables and numbers.tex call these same functions, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from plr_luigi.analysis.pipeline_types import PIPELINE_TYPE
from plr_luigi.analysis.statistics import (
    blocks_by_treatment,
    bootstrap_variance_decomposition,
    complete_blocks,
    order_averaged_eta_squared,
    type1_eta_squared,
)
from plr_luigi.database import queries
from plr_luigi.study import schema
from plr_luigi.study.categories import category_colour, category_label, outlier_category
from plr_luigi.study.display import configuration_label, display_name, factor_label, level_colour
from plr_luigi.study.factors import FACTORS
from plr_luigi.study.manuscript import load_population
from plr_luigi.study.unavailable import DataUnavailableError

E = schema.ESSENTIAL


@dataclass(frozen=True)
class CriticalDifferenceInput:
    blocks: pd.DataFrame  # one row per block, one column per treatment
    labels: dict[str, str]  # treatment -> display label
    colours: dict[str, str]
    title: str
    query: str
    subset: dict[str, str]
    block_rule: str = ""  # how blocks are chosen, in words (the figure's JSON)
    block_name: str = "bootstrap iterations"  # what a block is, plural (the figure's title)
    dropped: dict[str, list[str]] = field(default_factory=dict)  # completeness rule's drops


@dataclass(frozen=True)
class BlockDesign:
    """A critical-difference diagram over factor levels: treatments are the levels of
    `treatment`, blocks the levels (or level pairs) of `block`."""
    treatment: str  # a factor, or PIPELINE_TYPE (the outlier method's category)
    block: tuple[str, ...]
    population: str  # configs/manuscript.yaml population


# S3 (a), (b), (c) as published, and the extended classifier diagram.
BLOCK_DESIGNS = {
    "outlier_method": BlockDesign("outlier_method", ("imputation_method",),
                                  "catboost_handcrafted"),
    "imputation_method": BlockDesign("imputation_method", ("outlier_method",),
                                     "catboost_handcrafted"),
    "outlier_category": BlockDesign(PIPELINE_TYPE, ("imputation_method",),
                                    "catboost_handcrafted"),
    "classifier": BlockDesign("classifier", ("outlier_method", "imputation_method"),
                              "handcrafted"),
}


def top_pipeline_blocks(con, top_n: int) -> CriticalDifferenceInput:
    """The best top_n configurations (all featurizations) as treatments, bootstrap iterations
    as blocks (extended: the iterations resample one data set, so they are not independent
    blocks and the diagram overstates the differences)."""
    top = queries.configurations(con, limit=top_n)
    long = queries.configuration_iterations(con, top[E.config_id].tolist())
    blocks = blocks_by_treatment(long, E.config_id, "iteration", "auroc")[top[E.config_id]]
    labels = {row[E.config_id]: configuration_label(row, sep="\n") for _, row in top.iterrows()}
    colours = {row[E.config_id]: level_colour(row[E.outlier_method]) for _, row in top.iterrows()}
    return CriticalDifferenceInput(blocks, labels, colours,
                                   f"Critical difference: the {len(top)} best pipelines",
                                   "queries.configurations + queries.configuration_iterations",
                                   {}, block_rule="bootstrap iterations (not independent: "
                                                  "extended)")


def factor_level_blocks(con, scope: str, settings: dict) -> CriticalDifferenceInput:
    """The treatments and blocks of BLOCK_DESIGNS[scope] within its population, AUROC averaged
    per cell (one configuration per cell, but for pipeline types), after the study's
    completeness rule (statistics.complete_blocks with settings' block_share, min_blocks)."""
    design = BLOCK_DESIGNS[scope]
    subset = load_population(design.population)
    frame = queries.configuration_metrics(con, [E.auroc], subset)
    if design.treatment == PIPELINE_TYPE:
        frame[PIPELINE_TYPE] = frame[E.outlier_method].map(outlier_category)
    blocks, dropped = complete_blocks(frame, design.treatment, list(design.block), E.auroc,
                                      settings["block_share"], settings["min_blocks"])
    if design.treatment == PIPELINE_TYPE:
        labels = {t: category_label(t) for t in blocks.columns}
        colours = {t: category_colour(t) for t in blocks.columns}
        name = "pipeline types (outlier-detection categories)"
    else:
        labels = {level: display_name(design.treatment, level) for level in blocks.columns}
        colours = {level: level_colour(level, design.treatment) for level in blocks.columns}
        name = factor_label(design.treatment).lower()
    block_rule = (" x ".join(factor_label(b).lower() for b in design.block) + " levels holding "
                  f">= {settings['block_share']:.0%} of the compared levels, then the levels "
                  "complete in every kept block")
    where = ", ".join(display_name(f, v) for f, v in subset.items()) or "all configurations"
    return CriticalDifferenceInput(blocks, labels, colours,
                                   f"Critical difference: {name} ({where})",
                                   "queries.configuration_metrics -> statistics.complete_blocks",
                                   subset, block_rule=f"blocks: {block_rule}",
                                   block_name=" x ".join(factor_label(b).lower()
                                                         for b in design.block) + " levels",
                                   dropped=dropped)


def variance_panels(con, panels: dict[str, dict]) -> dict[str, dict]:
    """Fig 6: per panel (configs/figures.yaml variance_panels) the type I eta squared of AUROC
    with the factors in the panel's order (statistics.type1_eta_squared) and, beside each
    share, the order-averaged one (statistics.order_averaged_eta_squared)."""
    out = {}
    for name, panel in panels.items():
        frame = queries.configuration_metrics(con, [E.auroc], panel["subset"])
        if frame.empty:
            raise DataUnavailableError(f"variance panel {name}: no configuration with "
                                       f"{panel['subset']}")
        rows = type1_eta_squared(frame, panel["factors"], E.auroc)
        order_free = order_averaged_eta_squared(frame, panel["factors"], E.auroc)
        rows["eta_sq_order_averaged"] = rows["factor"].map(order_free)
        out[name] = {"title": panel["title"], "subset": panel["subset"],
                     "factors": panel["factors"],
                     "formula": "auroc ~ " + " + ".join(panel["factors"]),
                     "n_configurations": len(frame), "rows": rows}
    return out


def variance_table(con) -> pd.DataFrame:
    """AUROC variance decomposition over all configurations by the four factors, with
    bootstrap CIs (statistics.bootstrap_variance_decomposition)."""
    configs = queries.configurations(con)[[E.config_id, *FACTORS, E.auroc]]
    iterations = queries.configuration_iterations(con)
    return bootstrap_variance_decomposition(configs, iterations, list(FACTORS), E.auroc)
