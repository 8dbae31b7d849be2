"""The original codes a subject lookup must map and those it maps, read with the standard
library: SubjectLookup asks them at every build's planning, and a build with nothing to do
loads no pandas. Also the source database's connection and subject table, which every reader
of that database shares."""

from __future__ import annotations

import contextlib
import csv
import sqlite3
from functools import lru_cache
from pathlib import Path

# The lookup file's column of original codes (plr_luigi.extraction.subjects writes it).
ORIGINAL_CODE_COLUMN = "original_code"


def find_subject_table(con: sqlite3.Connection) -> str:
    """The table with subject_code and class_label columns (the source database's layout)."""
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    for table in tables:
        columns = {r[1] for r in con.execute(f'PRAGMA table_info("{table}")')}
        if {"subject_code", "class_label"} <= columns:
            return table
    raise ValueError(f"no table with subject_code and class_label columns (tables: {tables})")


def connect_source_db(source_db: Path) -> contextlib.closing[sqlite3.Connection]:
    """A read-only connection to the private source database, closed when the block ends
    (sqlite3's own context manager commits but leaves the connection open)."""
    if not Path(source_db).is_file():
        raise FileNotFoundError(f"source database does not exist: {source_db}")
    uri = f"{Path(source_db).resolve().as_uri()}?mode=ro"
    return contextlib.closing(sqlite3.connect(uri, uri=True))


def labelled_codes(source_db: Path) -> frozenset[str]:
    """The original codes of the source database's labelled subjects."""
    return frozenset(str(code) for code, _ in labelled_subject_rows(source_db))


def labelled_subject_rows(source_db: Path) -> tuple[tuple, ...]:
    """The distinct (subject_code, class_label) rows of the source database's labelled
    subjects, as stored; read once per version of the file (~0.1 s for the demo store's 45 MB:
    Luigi asks SubjectLookup whether it is complete several times a build, then runs it)."""
    status = Path(source_db).stat()
    return _labelled_subject_rows(str(Path(source_db).resolve()), status.st_mtime_ns,
                                  status.st_size)


@lru_cache(maxsize=4)
def _labelled_subject_rows(source_db: str, _mtime_ns: int, _size: int) -> tuple[tuple, ...]:
    with connect_source_db(Path(source_db)) as con:
        table = find_subject_table(con)
        return tuple(con.execute(f'SELECT DISTINCT subject_code, class_label FROM "{table}" '
                                 "WHERE class_label IS NOT NULL").fetchall())


def mapped_codes(lookup_path: Path) -> frozenset[str]:
    """The original codes the lookup file maps."""
    with open(lookup_path, newline="", encoding="utf-8") as fh:
        return frozenset(row[ORIGINAL_CODE_COLUMN] for row in csv.DictReader(fh))
