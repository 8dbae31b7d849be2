"""Read-only queries of the results database that figures and tables plot or print.

Every query that selects a subset says which (lesson 8): the `subset` arguments are the factor
levels held fixed, and they travel into the figure's JSON and the table's caption.
"""

from __future__ import annotations

import pandas as pd

from plr_luigi.study import schema
from plr_luigi.study.factors import FACTORS

E = schema.ESSENTIAL
B = schema.BOOTSTRAP_AUROC
H = schema.HYPERPARAMETERS
C = schema.COHORT_SUMMARY
FACTOR_COLUMNS = tuple(getattr(E, f) for f in FACTORS)


def subset_where(subset: dict[str, str]) -> tuple[str, list[str]]:
    for factor in subset:
        getattr(E, factor)  # an unknown factor name fails here, not as an empty result
    clause = " AND ".join(f"{factor} = ?" for factor in subset) or "TRUE"
    return clause, list(subset.values())


def _level_iterations_sql(factor: str, where: str) -> str:
    """Per level of factor and bootstrap iteration: the mean AUROC of the level's configurations
    (CTEs `chosen` and `per_iteration`)."""
    return f"""
        WITH chosen AS (SELECT {E.config_id}, {factor} AS level FROM {E.name} WHERE {where}),
        per_iteration AS (
            SELECT c.level, b.{B.iteration}, avg(b.{B.auroc}) AS auroc
            FROM {B.name} b JOIN chosen c USING ({E.config_id})
            GROUP BY c.level, b.{B.iteration})"""


def factor_comparison(con, factor: str, subset: dict[str, str]) -> pd.DataFrame:
    """Per level of factor within subset (Fig 2): its configurations, their mean AUROC, the
    envelope of their CIs and the bootstrap CI of the mean.

    - `auroc`: the mean of the level's configurations' AUROCs (the study's point);
    - `envelope_lo` / `envelope_hi`: the minimum of their CI lower bounds and the maximum of
      their CI upper bounds, the study's whiskers: an envelope, not a confidence interval;
    - `mean_ci_lo` / `mean_ci_hi`: the 95 % bootstrap CI of the level mean, over the bootstrap
      iterations of the level's mean AUROC (the study's iterations are paired across
      pipelines, so iteration b's level mean is one replicate): the interval for the mean
      that the envelope is not, kept beside it (manuscript.yaml, Fig 2's difference).
    """
    where, params = subset_where(subset)
    return con.execute(_level_iterations_sql(factor, where) + f"""
        , envelope AS (
            SELECT {factor} AS level, count(*) AS n_configurations, avg({E.auroc}) AS auroc,
                   min({E.auroc_ci_lo}) AS envelope_lo, max({E.auroc_ci_hi}) AS envelope_hi
            FROM {E.name} WHERE {where} GROUP BY {factor}),
        mean_ci AS (
            SELECT level, quantile_cont(auroc, 0.025) AS mean_ci_lo,
                   quantile_cont(auroc, 0.975) AS mean_ci_hi
            FROM per_iteration GROUP BY level)
        SELECT e.level, e.n_configurations, e.auroc, e.envelope_lo, e.envelope_hi,
               m.mean_ci_lo, m.mean_ci_hi
        FROM envelope e JOIN mean_ci m USING (level)
        ORDER BY e.auroc DESC, e.level
    """, params * 2).df()


def factor_summary(con, factor: str, subset: dict[str, str]) -> pd.DataFrame:
    """Per level of factor within subset: mean, SD, min, max AUROC and n configurations."""
    return _level_summary(con, factor, *subset_where(subset))


def _level_summary(con, factor: str, where: str, params: list) -> pd.DataFrame:
    return con.execute(f"""
        SELECT {factor} AS level, avg({E.auroc}) AS mean, stddev_samp({E.auroc}) AS sd,
               min({E.auroc}) AS min, max({E.auroc}) AS max, count(*) AS n
        FROM {E.name} WHERE {where}
        GROUP BY {factor} ORDER BY mean DESC, level
    """, params).df()


def level_iterations(con, factor: str, subset: dict[str, str]) -> pd.DataFrame:
    """Per level of factor within subset and bootstrap iteration: the level's mean AUROC
    (level, iteration, auroc), the blocks x treatments input of a per-factor Friedman test."""
    where, params = subset_where(subset)
    return con.execute(_level_iterations_sql(factor, where) + f"""
        SELECT level, {B.iteration}, auroc FROM per_iteration ORDER BY level, {B.iteration}
    """, params).df()


def configurations(con, limit: int | None = None,
                   subset: dict[str, str] | None = None) -> pd.DataFrame:
    """Every configuration within subset (None: all; or the best `limit`): factors, AUROC and
    CI, best first."""
    limit_clause = f"LIMIT {int(limit)}" if limit is not None else ""
    where, params = subset_where(subset or {})
    return con.execute(f"""
        SELECT {E.config_id}, {E.outlier_method}, {E.imputation_method}, {E.classifier},
               {E.featurization}, {E.auroc}, {E.auroc_ci_lo}, {E.auroc_ci_hi}
        FROM {E.name} WHERE {where} ORDER BY {E.auroc} DESC, {E.config_id} {limit_clause}
    """, params).df()


def configuration_iterations(con, config_ids: list[str] | None = None) -> pd.DataFrame:
    """Per-iteration AUROC (config_id, iteration, auroc) of the given configurations (all if
    None): blocks are iterations, treatments configurations."""
    where = f"WHERE {B.config_id} IN (SELECT unnest(?))" if config_ids is not None else ""
    params = [list(config_ids)] if config_ids is not None else []
    return con.execute(f"""
        SELECT {B.config_id}, {B.iteration}, {B.auroc} FROM {B.name} {where}
        ORDER BY {B.config_id}, {B.iteration}
    """, params).df()


def heatmap_cells(con, rows: str, columns: str, subset: dict[str, str]) -> pd.DataFrame:
    """Mean AUROC and configuration count per (rows level, columns level) within subset; cells
    without a configuration are absent, not zero."""
    getattr(E, rows), getattr(E, columns)
    where, params = subset_where(subset)
    return con.execute(f"""
        SELECT {rows} AS row_level, {columns} AS column_level, avg({E.auroc}) AS auroc,
               count(*) AS n
        FROM {E.name} WHERE {where} GROUP BY {rows}, {columns} ORDER BY row_level, column_level
    """, params).df()


def find_pipelines(con, pipelines: dict[str, dict[str, str]]) -> tuple[pd.DataFrame, list[str]]:
    """The configuration of each named pipeline (configs/pipelines.yaml): a frame (pipeline,
    config_id, auroc), in the order given, and the names of pipelines the database lacks. A
    missing pipeline is reported by the caller, never replaced by a similar one. The compared
    configurations and the runs extracted as standard pipelines only (the deep-learning
    pipeline) are searched: the one query that sees the latter."""
    found, missing = [], []
    for name, levels in pipelines.items():
        absent = [f for f in FACTOR_COLUMNS if f not in levels]
        if absent:  # a partial specification would match several configurations
            raise ValueError(f"standard pipeline {name!r} does not name {absent}")
        where, params = subset_where({f: levels[f] for f in FACTOR_COLUMNS})
        row = con.execute(f"SELECT {E.config_id}, {E.auroc} FROM "
                          f"{schema.EVERY_EXTRACTED_CONFIGURATION} WHERE {where}",
                          params).fetchone()
        if row is None:
            missing.append(name)
        else:
            found.append({"pipeline": name, E.config_id: row[0], E.auroc: row[1]})
    return pd.DataFrame(found, columns=["pipeline", E.config_id, E.auroc]), missing


def pipeline_rows(con, table: schema.Table, config_ids: list[str],
                  order_by: tuple[str, ...]) -> pd.DataFrame:
    """Every row of a per-configuration detail table for the given configurations."""
    columns = ", ".join(table.column_names)
    order = ", ".join((table.config_id, *(getattr(table, c) for c in order_by)))
    return con.execute(f"""
        SELECT {columns} FROM {table.name} WHERE {table.config_id} IN (SELECT unnest(?))
        ORDER BY {order}
    """, [list(config_ids)]).df()


def standard_pipeline_rows(con, table: schema.Table, order_by: tuple[str, ...],
                           pipelines: dict[str, dict[str, str]]
                           ) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """(rows, found, missing): the detail-table rows of the standard pipelines in the database
    (with a `pipeline` column), find_pipelines' frame and the names of those it lacks."""
    found, missing = find_pipelines(con, pipelines)
    rows = pipeline_rows(con, table, found[E.config_id].tolist(), order_by)
    return rows.merge(found[["pipeline", E.config_id]], on=E.config_id), found, missing


def shared_levels(pipelines: dict[str, dict[str, str]]) -> dict[str, str]:
    """The factor levels every pipeline shares (the subset they are compared within)."""
    first = next(iter(pipelines.values()))
    return {f: first[f] for f in FACTOR_COLUMNS
            if all(p.get(f) == first[f] for p in pipelines.values())}


def configuration_metrics(con, metrics: list[str],
                          subset: dict[str, str] | None = None) -> pd.DataFrame:
    """Every configuration's factors and the given essential-metrics columns, within subset
    (None or {}: all configurations)."""
    columns = ", ".join([E.config_id, *FACTOR_COLUMNS, *(getattr(E, m) for m in metrics)])
    where, params = subset_where(subset or {})
    return con.execute(f"SELECT {columns} FROM {E.name} WHERE {where} ORDER BY {E.config_id}",
                       params).df()


def extraction_reports(con) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The classification runs' extraction report and the upstream runs', every column."""
    return (con.execute(f"SELECT * FROM {schema.EXTRACTION_REPORT.name}").df(),
            con.execute(f"SELECT * FROM {schema.UPSTREAM_EXTRACTION_REPORT.name}").df())


def every_extracted_run(con) -> pd.DataFrame:
    """Every run of every experiment with its outcome (the extraction report's columns; the
    upstream runs' experiment column left out), ordered by run name."""
    columns = ", ".join(schema.EXTRACTION_REPORT.column_names)
    return con.execute(
        f"SELECT {columns} FROM {schema.EXTRACTION_REPORT.name} UNION ALL SELECT {columns} "
        f"FROM {schema.UPSTREAM_EXTRACTION_REPORT.name} ORDER BY run_name, run_id").df()


def failed_runs(con) -> list[tuple[str, str]]:
    """(run name, reason) of every run whose extraction failed, classification and upstream."""
    return con.execute(f"SELECT run_name, reason FROM {schema.EXTRACTION_REPORT.name} "
                       "WHERE outcome = 'failed' UNION ALL SELECT run_name, reason FROM "
                       f"{schema.UPSTREAM_EXTRACTION_REPORT.name} "
                       "WHERE outcome = 'failed' ORDER BY run_name").fetchall()


def population_where(levels: dict[str, object]) -> tuple[str, list]:
    """The WHERE clause of a manuscript population (configs/manuscript.yaml `populations`: the
    factor levels it holds fixed) restricted to the levels valid for the manuscript's factor
    comparisons (configs/factors.yaml): a run extracted for another reason (a standard pipeline
    of an invalid level) stays out of them."""
    from plr_luigi.study.factors import load_factor_registry

    fixed = {f: str(v) for f, v in levels.items() if f in FACTOR_COLUMNS}
    where, params = subset_where(fixed)
    valid = load_factor_registry().valid
    for factor in FACTOR_COLUMNS:
        where += f" AND {factor} IN (SELECT unnest(?))"
        params.append(sorted(valid[factor]))
    return where, params


def population_configurations(con, levels: dict[str, object]) -> pd.DataFrame:
    """Every configuration of the population: config_id, the factors and AUROC with its CI."""
    where, params = population_where(levels)
    return con.execute(f"""
        SELECT {E.config_id}, {", ".join(FACTOR_COLUMNS)}, {E.auroc}, {E.auroc_ci_lo},
               {E.auroc_ci_hi}
        FROM {E.name} WHERE {where} ORDER BY {E.auroc} DESC, {E.config_id}
    """, params).df()


def population_factor_summary(con, factor: str, levels: dict[str, object]) -> pd.DataFrame:
    """Per level of factor over the population: mean, SD, min, max AUROC, n configurations
    (the study's T3-T5)."""
    getattr(E, factor)
    return _level_summary(con, factor, *population_where(levels))


STRATOS_COLUMNS = ("auroc", "auroc_ci_lo", "auroc_ci_hi", "calibration_slope", "o_e_ratio",
                   "brier", "brier_of_mean_prob", "prevalence", "n_test", "n_events",
                   *(schema.net_benefit_column(t) for t in schema.NET_BENEFIT_THRESHOLDS))


def standard_pipeline_metrics(con, pipelines: dict[str, dict[str, str]]
                              ) -> tuple[pd.DataFrame, list[str]]:
    """The essential metrics of each standard pipeline in the database (pipeline, config_id,
    STRATOS_COLUMNS), in configs/pipelines.yaml's order, and the names of those it lacks."""
    found, missing = find_pipelines(con, pipelines)
    columns = ", ".join(getattr(E, c) for c in STRATOS_COLUMNS)
    metrics = con.execute(f"""
        SELECT {E.config_id}, {columns} FROM {schema.EVERY_EXTRACTED_CONFIGURATION}
        WHERE {E.config_id} IN (SELECT unnest(?))
    """, [found[E.config_id].tolist()]).df()
    frame = found[["pipeline", E.config_id]].merge(metrics, on=E.config_id, how="left")
    return frame, missing


def classifier_hyperparameters(con, levels: dict[str, object]) -> pd.DataFrame:
    """Per classifier and hyperparameter of the population's runs: the distinct values and the
    number of configurations logging each (classifier, hyperparameter, value,
    n_configurations)."""
    where, params = population_where(levels)
    return con.execute(f"""
        SELECT e.{E.classifier} AS classifier, h.{H.hyperparameter} AS hyperparameter,
               h.{H.value} AS value,
               count(*) AS n_configurations
        FROM {H.name} h JOIN (SELECT {E.config_id}, {E.classifier} FROM {E.name}
                              WHERE {where}) e USING ({E.config_id})
        GROUP BY ALL ORDER BY classifier, hyperparameter, value
    """, params).df()


def cohort_summary(con) -> pd.DataFrame:
    """The cohort's aggregates by group (schema.COHORT_SUMMARY), in the table's order."""
    return con.execute(f"SELECT {', '.join(C.column_names)} FROM {C.name} "
                       f"ORDER BY {C.group_order}").df()
