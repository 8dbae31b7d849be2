"""Finding original subject codes (PLR followed by digits) where they must never be.

Besides the codes themselves, the names of the run params that hold them (`codes_train`,
`codes_test`, and the dictArrays' `subject_codes_train` / `_test`) must not appear in a public
output either: where they appear, their content was copied along.
"""

from __future__ import annotations

import re
from pathlib import Path

from plr_luigi.study.subject_codes import CODE_PARAM_REGEX, ORIGINAL_CODE_REGEX

ORIGINAL_CODE_BYTES = re.compile(ORIGINAL_CODE_REGEX.encode())
CODE_PARAM_BYTES = re.compile(CODE_PARAM_REGEX.encode())


def find_leaks_in_files(paths: list[Path]) -> list[str]:
    """One line per file whose bytes hold an original subject code or a code param's name."""
    leaks = []
    for path in paths:
        content = path.read_bytes()
        for pattern, what in ((ORIGINAL_CODE_BYTES, "an original subject code"),
                              (CODE_PARAM_BYTES, "a subject-code run param")):
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
            [ORIGINAL_CODE_REGEX, CODE_PARAM_REGEX]).fetchall()[0][0]
        if rows:
            leaks.append(f"table {table}, column {column}: {rows} values hold an original "
                         "subject code or a subject-code run param")
    return leaks
