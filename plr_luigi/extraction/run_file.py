"""One run's rows of every per-run table, in one Arrow IPC file (Feather v2).

The file has one row and one column per table of schema.RUN_TABLES, named after the table: a
list of structs, one struct per row of that table, with the table's columns. One file per run
instead of one Parquet file per table: eleven Parquet writes cost more than computing the run's
metrics, and even one Parquet file of the ~95 nested columns takes 9-15 ms to write against
~0.6 ms for Arrow IPC (BENCHMARKS.md). The merge reads the files a chunk of runs at a time
and inserts each table's column of the chunk into DuckDB (plr_luigi.database.results_database).
Types are the schema's; NaN is written as NULL, as pandas' to_parquet did before.
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


def _list_of_rows(table: schema.Table):
    """The file's field of one table: a list of structs of the table's columns."""
    import pyarrow as pa

    return pa.field(table.name, pa.list_(pa.struct(
        [pa.field(c.name, _arrow_type(c.sql_type)) for c in table.columns])))


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
    data = pa.table(columns, schema=pa.schema([_list_of_rows(t) for t in schema.RUN_TABLES]))
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, data.schema) as writer:
        writer.write_table(data)


def read_run_files(paths: list[Path]):
    """The run files (at least one) as one Arrow table, a row per run (in the order of paths)
    and a column per table of schema.RUN_TABLES, each file memory-mapped, not copied (Arrow's
    buffers keep a mapping alive after its file is closed). Each file is opened once for all
    its tables: opening one costs ~0.3 ms (its footer and ~95 nested fields), and once per
    table was 0.64 of 0.69 s of reading the 200-run store's files (BENCHMARKS.md §2)."""
    import pyarrow as pa

    tables = []
    for path in paths:
        with pa.memory_map(str(path)) as source:
            tables.append(pa.ipc.open_file(source).read_all())
    return pa.concat_tables(tables)
