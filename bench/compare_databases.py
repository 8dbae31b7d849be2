"""Two results databases, table by table: equal, or where they differ and by how much.

    python -m bench.compare_databases OLD.duckdb NEW.duckdb

The speed work must not change a value (BENCHMARKS.md, issue 13): a database built by the
previous code is compared with one built by the new code from the same store. Rows are matched
after sorting on every column that is not DOUBLE; DOUBLE columns must be equal to within
RELATIVE_TOLERANCE (float rounding: a few units in the last place), NULL matching NULL. What a
build legitimately changes is left out: when and by which code it was built (provenance) and
how long each run took (extraction_report.seconds, rss_growth_mb).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from plr_luigi.study import schema

RELATIVE_TOLERANCE = 1e-12
VOLATILE = {schema.PROVENANCE.name: {schema.PROV_CREATED_AT, schema.PROV_CODE_VERSION},
            schema.EXTRACTION_REPORT.name: {"seconds", "rss_growth_mb"},
            schema.UPSTREAM_EXTRACTION_REPORT.name: {"seconds", "rss_growth_mb"}}


def _frame(con, table: schema.Table, ignored_provenance=frozenset()):
    columns = [c for c in table.column_names if c not in VOLATILE.get(table.name, ())]
    frame = con.execute(f"SELECT {', '.join(columns)} FROM {table.name}").df()
    if table is schema.PROVENANCE:
        frame = frame[~frame["key"].isin(VOLATILE[table.name] | set(ignored_provenance))]
    keys = [c.name for c in table.columns if c.name in columns and c.sql_type != "DOUBLE"]
    return frame.sort_values(keys + [c for c in columns if c not in keys],
                             ignore_index=True), keys


def compare(old_db: Path, new_db: Path, ignored_provenance=frozenset()) -> list[str]:
    """Differences found (empty: the databases hold the same values). ignored_provenance:
    provenance keys left out besides the volatile ones (the store's description, for the same
    store read another way)."""
    from plr_luigi.database.results_database import connect_read_only

    differences = []
    with connect_read_only(old_db) as old, connect_read_only(new_db) as new:
        for table in schema.ALL_TABLES:
            a, keys = _frame(old, table, ignored_provenance)
            b, _ = _frame(new, table, ignored_provenance)
            if len(a) != len(b):
                differences.append(f"{table.name}: {len(a)} rows vs {len(b)}")
                continue
            for column in a.columns:
                x, y = a[column].to_numpy(), b[column].to_numpy()
                if column in keys:
                    same = np.array([u == v or (u is None and v is None) or (u != u and v != v)
                                     for u, v in zip(x, y, strict=True)], bool)
                else:
                    x, y = x.astype(float), y.astype(float)
                    same = (np.isnan(x) & np.isnan(y)) | np.isclose(
                        x, y, rtol=RELATIVE_TOLERANCE, atol=0.0)
                if not same.all():
                    differences.append(f"{table.name}.{column}: {(~same).sum()} of {len(same)} "
                                       "values differ")
    return differences


def max_relative_difference(old_db: Path, new_db: Path) -> float:
    """The largest relative difference of any DOUBLE value (0.0: bit-identical)."""
    from plr_luigi.database.results_database import connect_read_only

    worst = 0.0
    with connect_read_only(old_db) as old, connect_read_only(new_db) as new:
        for table in schema.ALL_TABLES:
            a, keys = _frame(old, table)
            b, _ = _frame(new, table)
            for column in (c for c in a.columns if c not in keys):
                x, y = a[column].to_numpy(float), b[column].to_numpy(float)
                both = ~(np.isnan(x) | np.isnan(y)) & ((x != 0) | (y != 0))
                if both.any():
                    rel = np.abs(x[both] - y[both]) / np.maximum(np.abs(x[both]), np.abs(y[both]))
                    worst = max(worst, float(rel.max()))
    return worst


def main(argv=None) -> int:
    old_db, new_db = (Path(a) for a in (sys.argv[1:] if argv is None else argv))
    differences = compare(old_db, new_db)
    for line in differences:
        print(line)
    print(f"{'DIFFERENT' if differences else 'equal'}; largest relative difference of a DOUBLE: "
          f"{max_relative_difference(old_db, new_db):.3g} (tolerance {RELATIVE_TOLERANCE:g})")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
