"""Merge: the bulk load of every per-run Parquet target into DuckDB
(`plr_luigi.database.build_database`, one INSERT ... SELECT FROM read_parquet per table)
against the earlier version's way: the same rows read into Python and inserted row by row
(`executemany`). The row-by-row load stops after --budget seconds and is extrapolated
linearly, per table, from the rows it inserted (reported as such).

    python -m bench.bench_merge [--runs 410] [--budget 240]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bench import common


def _run_rows(run_dir: Path, table):
    """One table's rows of one run's file, as a DataFrame."""
    import pyarrow as pa

    from plr_luigi.extraction.run_file import tables_file

    with pa.memory_map(str(tables_file(run_dir))) as source:
        rows = pa.ipc.open_file(source).read_all().column(table.name).combine_chunks().flatten()
    return pa.Table.from_batches([pa.RecordBatch.from_struct_array(rows)]).to_pandas()


def bulk_load(run_dirs: list[Path], db: Path) -> float:
    import pandas as pd

    from plr_luigi.database.results_database import build_database
    from plr_luigi.study import schema

    db.unlink(missing_ok=True)
    report = pd.DataFrame(columns=schema.EXTRACTION_REPORT.column_names)
    started = time.perf_counter()
    build_database(db, run_dirs, report, {"synthetic": "true"})
    return time.perf_counter() - started


def row_by_row(run_dirs: list[Path], db: Path, budget: float, chunk: int = 1000) -> dict:
    import duckdb
    import pandas as pd

    from plr_luigi.study import schema

    db.unlink(missing_ok=True)
    started = time.perf_counter()
    total_rows = inserted = 0
    extrapolated_s = 0.0
    with duckdb.connect(str(db)) as con:
        for table in schema.RUN_TABLES:
            con.execute(table.ddl())
            rows = pd.concat([_run_rows(d, table) for d in run_dirs],
                             ignore_index=True)[table.column_names]
            records = list(rows.astype(object).where(rows.notna(), None)
                           .itertuples(index=False, name=None))
            total_rows += len(records)
            sql = (f"INSERT INTO {table.name} VALUES "
                   f"({', '.join('?' * len(table.column_names))})")
            table_start = time.perf_counter()
            done = 0
            for i in range(0, len(records), chunk):
                if time.perf_counter() - started > budget and done:
                    break
                con.executemany(sql, records[i:i + chunk])
                done += len(records[i:i + chunk])
            inserted += done
            if done < len(records):
                rate = (time.perf_counter() - table_start) / done
                extrapolated_s += rate * (len(records) - done)
    measured = time.perf_counter() - started
    return {"rows": total_rows, "rows_inserted": inserted, "measured_s": round(measured, 3),
            "seconds": round(measured + extrapolated_s, 3),
            "extrapolated": inserted < total_rows}


def main(argv=None) -> int:
    p = common.parser(__doc__)
    p.add_argument("--runs", type=int, default=410)
    p.add_argument("--budget", type=float, default=150.0)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--chunk", type=int, default=1000, help="rows per executemany")
    args = p.parse_args(argv)
    common.resolve_args(args)
    if args.smoke:
        # budget 0: one chunk of each table inserted row by row, the rest extrapolated (the
        # path the paper-size run takes), instead of every row of the store
        args.runs, args.repeat, args.budget, args.chunk = common.count_runs(args.store), 1, 0.0, 100
    build = common.Build(args.store, args.workdir / f"build-{args.runs}")
    if not build.db.is_file():  # reuse the memory benchmark's build of this size if kept
        build.store = common.store_of(args.store, args.runs, args.workdir / f"subset-{args.runs}")
        common.luigi_build(build, "database.MergeToDuckDB")
    import json

    run_dirs = [d for d in build.run_dirs()
                if json.loads((d / "record.json").read_text())["outcome"] == "extract"]
    db = args.workdir / "merge-bench.duckdb"
    bulk = [bulk_load(run_dirs, db) for _ in range(args.repeat)]
    slow = row_by_row(run_dirs, db, args.budget, args.chunk)
    db.unlink(missing_ok=True)
    bulk_s = common.median(bulk)
    figures = {"runs": len(run_dirs), "rows": slow["rows"], "bulk_s": bulk_s,
               "bulk_s_all": [round(b, 3) for b in bulk], "row_by_row": slow,
               "speedup": round(slow["seconds"] / bulk_s, 1), "goal_speedup": 20,
               "goal_met": slow["seconds"] / bulk_s >= 20}
    common.write_result(args, "merge", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
