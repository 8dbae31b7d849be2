"""Finding original subject codes (PLR followed by digits) where they must never be.

Besides the codes themselves, the names of the run params that hold them (`codes_train`,
`codes_test`, and the dictArrays' `subject_codes_train` / `_test`) must not appear in a public
output either: where they appear, their content was copied along.
"""

from __future__ import annotations

import re
from pathlib import Path

ORIGINAL_CODE_PATTERN = re.compile(rb"PLR\d+")
# The same pattern for DuckDB's regexp functions.
ORIGINAL_CODE_SQL_PATTERN = "PLR[0-9]+"
# What every subject code of the public database must look like (plr_luigi.subjects scheme).
PUBLIC_CODE_SQL_PATTERN = "^[HG][0-9]{3,}$"
CODE_PARAM_PATTERN = re.compile(rb"codes_(?:train|test)")
CODE_PARAM_SQL_PATTERN = "codes_(train|test)"


def files_with_original_codes(paths: list[Path]) -> list[Path]:
    """The files among paths whose bytes contain an original subject code.

    Reads bytes, not text: a code inside a PDF stream, a Parquet page or a DuckDB block is as
    much a leak as one in a .tex file. (Compressed streams are covered by the text outputs that
    hold the same data: every figure's JSON, every table's .tex.)
    """
    leaking = []
    for path in paths:
        with open(path, "rb") as fh:
            if ORIGINAL_CODE_PATTERN.search(fh.read()):
                leaking.append(path)
    return leaking


def find_leaks_in_files(paths: list[Path]) -> list[str]:
    """One line per file whose bytes hold an original subject code or a code param's name."""
    leaks = []
    for path in paths:
        content = path.read_bytes()
        for pattern, what in ((ORIGINAL_CODE_PATTERN, "an original subject code"),
                              (CODE_PARAM_PATTERN, "a subject-code run param")):
            match = pattern.search(content)
            if match:
                # The code itself is never quoted: the message goes to logs and CI.
                leaks.append(f"{path}: holds {what} at byte {match.start()}")
    return leaks


def find_leaks_in_database(con) -> list[str]:
    """One line per VARCHAR column of any table (not only the schema's) that holds an original
    subject code or a code param's name, with the number of rows."""
    columns = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                          "WHERE data_type = 'VARCHAR' ORDER BY table_name, column_name"
                          ).fetchall()
    leaks = []
    for table, column in columns:
        rows = con.execute(
            f'SELECT count(*) FROM "{table}" WHERE regexp_matches("{column}", ?) '
            f'OR regexp_matches("{column}", ?)',
            [ORIGINAL_CODE_SQL_PATTERN, CODE_PARAM_SQL_PATTERN]).fetchall()[0][0]
        if rows:
            leaks.append(f"table {table}, column {column}: {rows} values hold an original "
                         "subject code or a subject-code run param")
    return leaks
