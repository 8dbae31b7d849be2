"""The public interpretation database (schema.INTERPRETATION_TABLES): which configurations are
explained, and the build of the database from their per-configuration files.

Its own file beside the results database, written once every selected configuration is
explained: the results database is complete without it, and a build from a checkpoint (no
model pickles) has the results database but no interpretation.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import pandas as pd

from plr_luigi.database.results_database import new_database
from plr_luigi.study import schema

logger = logging.getLogger(__name__)

E = schema.ESSENTIAL
R = schema.SHAP_REPORT


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _levels_where(levels: dict[str, str]) -> str:
    return " AND ".join(f"{factor} = {_literal(level)}" for factor, level in levels.items())


def select_configurations(con, top_n: int, population: dict[str, str],
                          standard_pipelines: dict[str, dict]) -> pd.DataFrame:
    """config_id, run_name, selection: the `top_n` configurations of the population by AUROC
    (ties by config_id), then each standard pipeline in the database not among them."""
    top = con.execute(
        f"SELECT {E.config_id}, {E.run_name} FROM {E.name} WHERE {_levels_where(population)} "
        f"ORDER BY {E.auroc} DESC, {E.config_id} LIMIT {int(top_n)}").fetchall()
    rows = [(cid, name, f"AUROC rank {rank} of {_describe(population)}")
            for rank, (cid, name) in enumerate(top, start=1)]
    chosen = {cid for cid, _, _ in rows}
    factors = (E.outlier_method, E.imputation_method, E.classifier, E.featurization)
    for pipeline, spec in standard_pipelines.items():
        found = con.execute(
            f"SELECT {E.config_id}, {E.run_name} FROM {E.name} WHERE "
            f"{_levels_where({f: spec[f] for f in factors})}").fetchall()
        for cid, name in found:
            if cid in chosen:
                rows = [(c, n, f"{s}; standard pipeline {pipeline}" if c == cid else s)
                        for c, n, s in rows]
            else:
                rows.append((cid, name, f"standard pipeline {pipeline}"))
                chosen.add(cid)
    return pd.DataFrame(rows, columns=[R.config_id, R.run_name, R.selection])


def _describe(population: dict[str, str]) -> str:
    return ", ".join(population.values())


def interpretation_digest(results_inventory: str, config_texts: list[bytes]) -> str:
    """What an interpretation database is built from: the results database's content (which
    runs, hence which configurations are selected) and the configuration files."""
    digest = hashlib.sha256(results_inventory.encode())
    for text in config_texts:
        digest.update(text)
    digest.update(repr([t.ddl() for t in schema.INTERPRETATION_TABLES]).encode())
    return digest.hexdigest()[:16]


def build_interpretation_database(db_path: Path, selection: pd.DataFrame,
                                  config_dirs: dict[str, Path],
                                  provenance: dict[str, str]) -> dict[str, int]:
    """Load each selected configuration's files (config_id -> its directory, written by
    extraction.interpretation.write_interpretation) into a new database at db_path; returns
    row counts. On failure db_path is removed (callers write to a temporary path)."""
    from plr_luigi.extraction.interpretation import INTERPRETATION_FILES

    report = []
    for row in selection.itertuples(index=False):
        outcome = json.loads((config_dirs[row.config_id] / INTERPRETATION_FILES["outcome"])
                             .read_text(encoding="utf-8"))
        report.append({R.config_id: row.config_id, R.run_name: row.run_name,
                       R.selection: row.selection, **outcome})
    report_frame = pd.DataFrame(report, columns=R.column_names)
    with new_database(db_path, {"threads": 1}) as con:
        for table in schema.INTERPRETATION_TABLES:
            con.execute(table.ddl())
        for table, key in ((schema.SHAP_IMPORTANCE, "shap"), (schema.VIF, "vif")):
            files = [str(d / INTERPRETATION_FILES[key]) for d in config_dirs.values()]
            if files:
                con.execute(f"INSERT INTO {table.name} SELECT {', '.join(table.column_names)}"
                            " FROM read_parquet(?, union_by_name = true)", [files])
        for table, frame in ((R, report_frame), (schema.PROVENANCE, pd.DataFrame(
                sorted(provenance.items()), columns=["key", "value"]))):
            con.register("incoming", frame[table.column_names])
            con.execute(f"INSERT INTO {table.name} SELECT * FROM incoming")
            con.unregister("incoming")
        counts = {t.name: con.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0]
                  for t in schema.INTERPRETATION_TABLES}
    return counts
