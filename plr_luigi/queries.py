"""Read-only queries of the results database that figures and tables plot or print.

Every query that selects a subset says which (lesson 8): the `subset` arguments are the factor
levels held fixed, and they travel into the figure's JSON and the table's caption.
"""

from __future__ import annotations

import pandas as pd

from plr_luigi import schema

E = schema.ESSENTIAL
B = schema.BOOTSTRAP_AUROC


def _where(subset: dict[str, str]) -> tuple[str, list[str]]:
    for factor in subset:
        getattr(E, factor)  # an unknown factor name fails here, not as an empty result
    clause = " AND ".join(f"{factor} = ?" for factor in subset) or "TRUE"
    return clause, list(subset.values())


def factor_comparison(con, factor: str, subset: dict[str, str]) -> pd.DataFrame:
    """Per level of factor within subset: configurations, mean AUROC and its 95% bootstrap CI.

    The CI is over bootstrap iterations of the level's mean AUROC: the study's bootstrap
    iterations are paired blocks across pipelines (the same treatment the Friedman test of the
    critical-difference diagrams relies on), so iteration b's level mean is one replicate.
    """
    where, params = _where(subset)
    return con.execute(f"""
        WITH chosen AS (SELECT {E.config_id}, {factor} AS level FROM {E.name} WHERE {where}),
        per_iteration AS (
            SELECT c.level, b.{B.iteration}, avg(b.{B.auroc}) AS auroc
            FROM {B.name} b JOIN chosen c USING ({E.config_id})
            GROUP BY c.level, b.{B.iteration})
        SELECT p.level, n.n_configurations, avg(p.auroc) AS auroc,
               quantile_cont(p.auroc, 0.025) AS auroc_ci_lo,
               quantile_cont(p.auroc, 0.975) AS auroc_ci_hi
        FROM per_iteration p JOIN (SELECT level, count(*) AS n_configurations FROM chosen
                                   GROUP BY level) n USING (level)
        GROUP BY p.level, n.n_configurations
        ORDER BY auroc DESC, p.level
    """, params).df()


def factor_summary(con, factor: str, subset: dict[str, str]) -> pd.DataFrame:
    """Per level of factor within subset: mean, SD, min, max AUROC and n configurations."""
    where, params = _where(subset)
    return con.execute(f"""
        SELECT {factor} AS level, avg({E.auroc}) AS mean, stddev_samp({E.auroc}) AS sd,
               min({E.auroc}) AS min, max({E.auroc}) AS max, count(*) AS n
        FROM {E.name} WHERE {where}
        GROUP BY {factor} ORDER BY mean DESC, level
    """, params).df()
