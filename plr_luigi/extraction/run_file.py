"""One run's rows of every per-run table, in one Arrow IPC file (Feather v2).

The file has one row and one column per table of schema.RUN_TABLES, named after the table: a
list of structs, one struct per row of that table, with the table's columns. One file per run
instead of one Parquet file per table: eleven Parquet writes cost more than computing the run's
metrics, and even one Parquet file of the ~95 nested columns takes 9-15 ms to write against
~0.6 ms for Arrow IPC (BENCHMARKS.md). The merge streams a table's column of every run file
into DuckDB (plr_luigi.database.results_database). Types are the schema's; NaN is written as
NULL, as pandas' to_parquet did before.
"""

from __future__ import annotations

from pathlib import Path

from plr_luigi.extraction.metrics import Columns
from plr_luigi.study import schema

TABLES_FILE = "tables.arrow"


def tables_file(run_dir: Path) -> Path:
    return run_dir / TABLES_FILE


def _arrow_type(sql_type: str):
    import pyarrow as pa

    return {"VARCHAR": pa.string(), "DOUBLE": pa.float64(), "INTEGER": pa.int64()}[sql_type]


def write_tables(path: Path, tables: dict[str, Columns]) -> None:
    """Write tables (table name -> column -> values, every table of schema.RUN_TABLES)."""
    import pyarrow as pa

    columns = {}
    for table in schema.RUN_TABLES:
        rows = tables[table.name]
        fields = [pa.array(rows[c.name], type=_arrow_type(c.sql_type), from_pandas=True)
                  for c in table.columns]
        structs = pa.StructArray.from_arrays(fields, names=table.column_names)
        columns[table.name] = pa.ListArray.from_arrays(pa.array([0, len(structs)], pa.int32()),
                                                       structs)
    data = pa.table(columns)
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, data.schema) as writer:
        writer.write_table(data)


def scan_table(paths: list[Path], table: schema.Table):
    """A stream (pyarrow RecordBatchReader) of the table's column of every run file: one row per
    run, holding the list of that run's row structs. DuckDB scans it without Python holding
    more than a batch."""
    import pyarrow.dataset as ds

    return ds.dataset([str(p) for p in paths], format="ipc").scanner(
        columns=[table.name]).to_reader()
