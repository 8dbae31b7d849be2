"""The public results database: bulk-loading the per-run files, validating, reading.

The merge reads the per-run files a chunk of runs at a time (plr_luigi.extraction.run_file: a
column per table, a list of row structs), memory-mapped, and runs one `INSERT ... SELECT` per
table and chunk, so that memory holds one chunk, never every run's rows (lesson 1). The
database is built under a temporary name (by the caller), validated, and only then renamed
into place: a database that exists is complete and valid.
"""

from __future__ import annotations

import contextlib
import logging
import queue
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from plr_luigi.extraction.run_file import read_run_files, tables_file
from plr_luigi.study import schema
from plr_luigi.study.subject_codes import ORIGINAL_CODE_REGEX, PUBLIC_CODE_REGEX

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

# Runs whose files are read and inserted together: each file is opened once for all its tables
# (the 200-run store's merge 1.7-2.2 -> 1.3 s), and memory holds one chunk's mapped files,
# whatever the number of runs. Each table and chunk is one statement, whose fixed cost showed
# once the rows were flattened by Arrow: the 410-run store's inserts took 1.01-1.02 s with 32
# runs a chunk, 0.78-0.81 s with 128 (peak RSS +15 MB), 0.72-0.74 s with 256 (+45 MB).
RUNS_PER_INSERT = 128
# Threads inserting the runs' tables, each its own tables (_table_writers): the 410-run store's
# inserts 0.85 -> 0.59 s with two (one per core here); DuckDB's own threads instead were slower.
TABLE_WRITERS = 2


class ValidationError(RuntimeError):
    """The merged database breaks an invariant; the message lists every problem found."""


def _ignore_progress(stage: str, percent: int) -> None:
    logger.debug("%s (%d%%)", stage, percent)


def build_database(db_path: Path, run_dirs: list[Path], extraction_report: pd.DataFrame,
                   provenance: dict[str, str],
                   progress: Callable[[str, int], None] = _ignore_progress,
                   upstream_files: dict[str, list[Path]] | None = None,
                   upstream_report: pd.DataFrame | None = None,
                   standard_pipeline_only: set[str] | frozenset[str] = frozenset(),
                   merged_tables: dict[str, pd.DataFrame | Callable[[], pd.DataFrame]] | None = None
                   ) -> dict[str, int]:
    """Load every run's tables, the report and provenance into a new database at db_path and
    validate it; returns row counts. upstream_files: per upstream table (schema.UPSTREAM_TABLES)
    the Parquet files of the upstream runs; upstream_report: their extraction report;
    merged_tables: the rows of the tables the merge itself makes (schema.MERGED_TABLES), by
    table name, or a function returning them, called once the runs' tables are loaded (rows
    computed in a thread meanwhile). On any failure db_path is removed: callers write to a
    temporary path and rename it only after this returns. progress(stage, percent) is called
    after each chunk of runs and before the validation (Luigi's status message and the stall
    guard)."""
    import pandas as pd

    # One thread: DuckDB's per-thread buffers made the merge's peak memory grow with the
    # number of runs (+130 MB at 400 runs vs +45 MB at 50; one thread: +88 vs +65 MB) and
    # the load is no slower (bench/bench_merge.py, BENCHMARKS.md). A 32 MB buffer pool:
    # DuckDB otherwise keeps every block it wrote in memory (+24 MB from 50 to 405 runs;
    # with the limit +9 MB, no slower); what exceeds it is written out or spilled.
    with new_database(db_path, {"threads": 1, "memory_limit": "32MB"}) as con:
        for table in schema.ALL_TABLES:
            con.execute(table.ddl())
        files = [tables_file(d) for d in run_dirs]
        with _table_writers(con) as insert_run_files:
            for start in range(0, len(files), RUNS_PER_INSERT):
                done = min(start + RUNS_PER_INSERT, len(files))
                insert_run_files(read_run_files(files[start:done]))
                progress(f"loaded the tables of {done} of {len(files)} runs",
                         5 + 80 * done // len(files))
        loaded = sum(con.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]
                     for table in schema.RUN_TABLES)
        _set_apart_standard_pipeline_only(con, standard_pipeline_only)
        for table in schema.UPSTREAM_TABLES:
            files = [str(f) for f in (upstream_files or {}).get(table.name, [])]
            if files:
                con.execute(f"INSERT INTO {table.name} SELECT {', '.join(table.column_names)}"
                            " FROM read_parquet(?)", [files])
        _insert_frame(con, schema.EXTRACTION_REPORT, extraction_report)
        for table in schema.MERGED_TABLES:
            rows = (merged_tables or {}).get(table.name)
            if rows is not None:
                _insert_frame(con, table, rows() if callable(rows) else rows)
        if upstream_report is not None:
            _insert_frame(con, schema.UPSTREAM_EXTRACTION_REPORT, upstream_report)
        _insert_frame(con, schema.PROVENANCE,
                      pd.DataFrame(sorted(provenance.items()), columns=["key", "value"]))
        progress(f"validating {loaded:,} rows", 90)
        problems = validate(con)
        if problems:
            raise ValidationError("results database failed validation:\n- "
                                  + "\n- ".join(problems))
        counts = {t.name: con.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0]
                  for t in schema.ALL_TABLES}
    return counts


@contextlib.contextmanager
def new_database(db_path: Path, config: dict[str, object]) -> Iterator[object]:
    """A DuckDB connection (config: DuckDB's settings) to a new database file at db_path, for
    a block that fills it. When the block ends, everything is written into the file itself
    (CHECKPOINT) before it is closed: closing checkpoints too, but a checkpoint that fails
    there (a full disk) is silent, and leaves the file partial with its rows in a `.wal`
    beside it that the caller's rename leaves behind; an explicit CHECKPOINT raises. On any
    failure the file and its `.wal` are removed: callers write to a temporary path and rename
    it only once the block has ended."""
    import duckdb

    db_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with duckdb.connect(str(db_path), config=config) as con:
            yield con
            con.execute("CHECKPOINT")
    except BaseException:
        db_path.unlink(missing_ok=True)
        Path(f"{db_path}.wal").unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def _table_writers(con) -> Iterator[Callable[[object], None]]:
    """insert_run_files(runs): every table's rows of runs (read_run_files: a row per run, a
    column per table), in the runs' order, by TABLE_WRITERS threads, each table by one of them
    with its own cursor (DuckDB runs statements of different cursors at once, outside the
    GIL). Each table's column (a list of row structs per run) is flattened by Arrow into plain
    columns, without copying, and inserted as it is (DuckDB's own unnest of the structs took
    longer: BENCHMARKS.md §2)."""
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa
    import pyarrow.compute as pc

    idle: queue.SimpleQueue = queue.SimpleQueue()
    cursors = [con.cursor() for _ in range(TABLE_WRITERS)]
    for cursor in cursors:
        idle.put(cursor)

    def insert(table: schema.Table, runs) -> None:
        rows = pc.list_flatten(runs.column(table.name))
        if len(rows) == 0:
            return  # Arrow makes no table of no struct
        columns, view = ", ".join(f'"{c}"' for c in table.column_names), f"{table.name}_rows"
        cursor = idle.get()
        try:
            cursor.register(view, pa.Table.from_struct_array(rows))
            cursor.execute(f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {view}")
            cursor.unregister(view)
        finally:
            idle.put(cursor)

    try:
        with ThreadPoolExecutor(TABLE_WRITERS, thread_name_prefix="table-writer") as pool:
            # A chunk's tables all written before the next chunk's: each table's rows stay in
            # the runs' order.
            yield lambda runs: list(pool.map(lambda table: insert(table, runs),
                                             schema.RUN_TABLES))
    finally:
        for cursor in cursors:
            cursor.close()


def _set_apart_standard_pipeline_only(con, config_ids: set[str] | frozenset[str]) -> None:
    """Move the essential rows of the given configurations to schema.STANDARD_PIPELINE_ONLY:
    essential_metrics then holds exactly the configurations of the factor comparisons."""
    essential, apart, cid = (schema.ESSENTIAL.name, schema.STANDARD_PIPELINE_ONLY.name,
                             schema.CONFIG_ID.name)
    ids = [sorted(config_ids)]
    con.execute(f"INSERT INTO {apart} SELECT * FROM {essential} "
                f"WHERE {cid} IN (SELECT unnest(?))", ids)
    con.execute(f"DELETE FROM {essential} WHERE {cid} IN (SELECT unnest(?))", ids)


def _insert_frame(con, table: schema.Table, frame: pd.DataFrame) -> None:
    con.register("incoming", frame[table.column_names])
    try:
        con.execute(f"INSERT INTO {table.name} SELECT * FROM incoming")
    finally:
        con.unregister("incoming")


def validate(con) -> list[str]:
    """Every invariant the consumers rely on; an empty list means the database is valid."""
    problems: list[str] = []
    essential = schema.ESSENTIAL.name
    cid = schema.CONFIG_ID.name
    # Every extracted configuration, compared or standard pipeline only: the detail tables'
    # parents.
    configurations = schema.EVERY_EXTRACTED_CONFIGURATION

    dup_ids = con.execute(f"SELECT count(*) - count(DISTINCT {cid}) FROM {configurations}"
                          ).fetchone()[0]
    if dup_ids:
        problems.append(f"{essential}: {dup_ids} duplicate {cid}")
    factors = "outlier_method, imputation_method, classifier, featurization"
    dup_configs = con.execute(f"SELECT count(*) FROM (SELECT {factors} FROM {configurations} "
                              f"GROUP BY {factors} HAVING count(*) > 1)").fetchone()[0]
    if dup_configs:
        problems.append(f"{essential}: {dup_configs} configurations appear more than once")

    for table in schema.RUN_TABLES:
        if table.rows_per_config is None or table is schema.ESSENTIAL:
            continue
        expected = (str(table.rows_per_config) if isinstance(table.rows_per_config, int)
                    else f"e.{table.rows_per_config}")
        wrong = con.execute(
            f"SELECT count(*) FROM {configurations} e LEFT JOIN (SELECT {cid}, count(*) AS n "
            f"FROM {table.name} GROUP BY {cid}) t USING ({cid}) "
            f"WHERE coalesce(t.n, 0) <> {expected}").fetchone()[0]
        if wrong:
            problems.append(f"{table.name}: {wrong} configurations do not have "
                            f"{table.rows_per_config} rows")
    for table in schema.RUN_TABLES:
        if table is schema.ESSENTIAL:
            continue
        orphans = con.execute(f"SELECT count(*) FROM {table.name} WHERE {cid} NOT IN "
                              f"(SELECT {cid} FROM {configurations})").fetchone()[0]
        if orphans:
            problems.append(f"{table.name}: {orphans} rows of unknown configurations")

    for table in schema.ALL_TABLES:
        # Every column's checks of a table in one scan of it (one query per check was ~0.1 s
        # of the merge at paper size): (problem, condition of the rows that have it).
        checks = [(f"{column.name}: {{}} missing or NaN values",
                   f"{column.name} IS NULL" + (f" OR isnan({column.name})"
                                               if column.sql_type == "DOUBLE" else ""))
                  for column in table.columns if column.required]
        checks += [(f"{column.name}: {{}} values hold an original subject code",
                    f"regexp_matches({column.name}, '{ORIGINAL_CODE_REGEX}')")
                   for column in table.columns if column.sql_type == "VARCHAR"]
        if not checks:
            continue
        counts = con.execute("SELECT " + ", ".join(f"count(*) FILTER (WHERE {condition})"
                                                   for _, condition in checks)
                             + f" FROM {table.name}").fetchone()
        problems += [f"{table.name}.{problem.format(n)}"
                     for (problem, _), n in zip(checks, counts, strict=True) if n]

    out_of_range = con.execute(
        f"SELECT count(*) FROM {configurations} WHERE auroc NOT BETWEEN 0 AND 1 "
        "OR auroc_ci_lo > auroc OR auroc > auroc_ci_hi OR brier NOT BETWEEN 0 AND 1").fetchone()[0]
    if out_of_range:
        problems.append(f"{essential}: {out_of_range} rows with AUROC/CI/Brier out of range")
    bad_probs = con.execute(
        f"SELECT count(*) FROM {schema.PREDICTIONS.name} "
        "WHERE y_prob NOT BETWEEN 0 AND 1 OR y_true NOT IN (0, 1)").fetchone()[0]
    if bad_probs:
        problems.append(f"{schema.PREDICTIONS.name}: {bad_probs} rows out of range")
    not_public = con.execute(
        f"SELECT count(*) FROM {schema.PREDICTIONS.name} WHERE NOT regexp_matches("
        f"{schema.PREDICTIONS.subject_code}, '{PUBLIC_CODE_REGEX}')").fetchone()[0]
    if not_public:
        problems.append(f"{schema.PREDICTIONS.name}: {not_public} subject codes are not "
                        "anonymised codes (H001.., G001..)")
    return problems


def connect_read_only(db_path: Path):
    """A read-only connection: consumers can never modify the results database.

    One thread: DuckDB's parallel aggregates sum in whatever order its threads finish, so the
    same query on the same database gave means differing in the last bit from one build to the
    next (seen: a forest plot's AUROC 0.9129923273657289 vs ...292). Every output must be the
    same for the same database; the analysis queries are small enough that one thread costs
    nothing that matters."""
    import duckdb

    if not Path(db_path).is_file():
        raise FileNotFoundError(f"results database does not exist: {db_path}")
    return duckdb.connect(str(db_path), read_only=True, config={"threads": 1})


def read_provenance(con) -> dict[str, str]:
    return dict(con.execute(f"SELECT key, value FROM {schema.PROVENANCE.name}").fetchall())


def read_provenance_of(db_path: Path) -> dict[str, str]:
    """The provenance of the database file, read once per version of the file: Luigi asks
    every output task whether it is complete, and each asks this."""
    stat = Path(db_path).stat()
    return dict(_cached_provenance(str(db_path), stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=8)
def _cached_provenance(db_path: str, _mtime_ns: int, _size: int) -> tuple[tuple[str, str], ...]:
    con = connect_read_only(Path(db_path))
    try:
        return tuple(sorted(read_provenance(con).items()))
    finally:
        con.close()
