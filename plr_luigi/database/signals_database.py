"""The PRIVATE signals database (data/private/plr_signals.duckdb): every imputation run's
reconstructed per-subject signals under anonymised codes, bulk-loaded from the runs' Parquet
files as the public merge does (DuckDB streams them; Python never holds the rows)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from plr_luigi.database.results_database import new_database, read_provenance_of
from plr_luigi.study import schema

logger = logging.getLogger(__name__)

MEMORY_LIMIT = "256MB"  # DuckDB's buffers; the rows are on disk, not in memory


def _ignore_progress(stage: str, percent: int) -> None:
    logger.debug("%s (%d%%)", stage, percent)


def build_signals_database(db_path: Path, run_dirs: list[Path], inventory: str,
                           progress: Callable[[str, int], None] = _ignore_progress) -> int:
    """Load the signal files of run_dirs (those that have one) into a new database at db_path;
    returns the number of signal rows. `inventory` identifies the runs (provenance)."""
    signals = [d / f"{schema.RECONSTRUCTED_SIGNALS.name}.parquet" for d in run_dirs]
    signals = [str(f) for f in signals if f.is_file()]
    times = [str(d / f"{schema.SIGNAL_TIME.name}.parquet") for d in run_dirs
             if (d / f"{schema.SIGNAL_TIME.name}.parquet").is_file()]
    # One INSERT per run under a memory limit: one INSERT of every file kept the whole
    # table's list blocks in DuckDB's buffers (0.3 GB at 20 runs, 1.3 GB at 136:
    # bench/bench_imputation.py); limited, they go to disk: 0.30 GB at 20, 0.40 at 136.
    with new_database(db_path, {"threads": 1, "memory_limit": MEMORY_LIMIT,
                                "preserve_insertion_order": False}) as con:
        for table in (*schema.SIGNAL_TABLES, schema.PROVENANCE):
            con.execute(table.ddl())
        columns = ", ".join(schema.RECONSTRUCTED_SIGNALS.column_names)
        for k, path in enumerate(signals, 1):
            con.execute(f"INSERT INTO {schema.RECONSTRUCTED_SIGNALS.name} SELECT {columns} "
                        "FROM read_parquet(?)", [path])
            progress(f"loaded signals of {k}/{len(signals)} runs", 5 + 85 * k // len(signals))
        if signals:
            # every run shares the time axis: the first run's
            columns = ", ".join(schema.SIGNAL_TIME.column_names)
            con.execute(f"INSERT INTO {schema.SIGNAL_TIME.name} SELECT {columns} "
                        "FROM read_parquet(?)", [times[0]])
        con.execute(f"INSERT INTO {schema.PROVENANCE.name} VALUES (?, ?)",
                    [schema.PROV_INVENTORY_DIGEST, inventory])
        rows = con.execute(f"SELECT count(*) FROM {schema.RECONSTRUCTED_SIGNALS.name}"
                           ).fetchone()[0]
    return rows


def signals_inventory(db_path: Path) -> str | None:
    """The inventory digest the signals database was built from (None: no such database).
    Read once per version of the file (read_provenance_of): the completeness of MergeSignals
    and of the figures of the signals is asked ~40 times a build."""
    if not db_path.is_file():
        return None
    return read_provenance_of(db_path).get(schema.PROV_INVENTORY_DIGEST)


def read_signals(db_path: Path, outlier_methods: list[str]):
    """(signals (n, samples) float32, time, light) of every reconstructed signal whose outlier
    source is one of outlier_methods; light is the stronger of the red and blue stimuli."""
    import duckdb
    import numpy as np

    s, t = schema.RECONSTRUCTED_SIGNALS, schema.SIGNAL_TIME
    with duckdb.connect(str(db_path), read_only=True) as con:
        axis = con.execute(f"SELECT {t.time_s}, greatest({t.red}, {t.blue}) FROM {t.name} "
                           f"ORDER BY {t.sample}").fetchnumpy()
        # a relation's Arrow table: no extra copy of the rows (a DB-API result makes one)
        frame = con.sql(f"SELECT {s.signal} FROM {s.name} WHERE {s.outlier_method} IN "
                        f"(SELECT unnest(?)) ORDER BY {s.run_id}, {s.split}, {s.subject_code}",
                        params=[outlier_methods]).to_arrow_table()
    values = frame.column(0).combine_chunks()
    n = len(values)
    time, light = (np.asarray(v) for v in axis.values())
    signals = values.flatten().to_numpy().reshape(n, len(time)) if n else np.empty((0, len(time)))
    return signals.astype(np.float32, copy=False), time, light
