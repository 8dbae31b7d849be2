"""Finding original subject codes (PLR followed by digits) where they must never be.

Besides the codes themselves, the names of the run params that hold them (`codes_train`,
`codes_test`, and the dictArrays' `subject_codes_train` / `_test`) must not appear in a public
output either: where they appear, their content was copied along.
"""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path

from plr_luigi.study.subject_codes import CODE_PARAM_REGEX, ORIGINAL_CODE_REGEX

ORIGINAL_CODE_BYTES = re.compile(ORIGINAL_CODE_REGEX.encode())
CODE_PARAM_BYTES = re.compile(CODE_PARAM_REGEX.encode())


# A base64 data URI (the report page embeds its figures so): its text is random letters and
# digits, which spell PLR<digit> by chance about once in 5 MB, while what it encodes is what
# must be clean. The payload is scanned decoded; everything around it as it is.
_DATA_URI_PAYLOAD = re.compile(rb"data:[\w.+/-]+;base64,([A-Za-z0-9+/]+=*)")


def _scanned_parts(content: bytes) -> list[tuple[str, int, bytes]]:
    """(where, offset, bytes) to search: the file's own bytes outside data URIs (offset: their
    position in the file), and each payload decoded (offset 0 in the decoded bytes)."""
    parts, start = [], 0
    for match in _DATA_URI_PAYLOAD.finditer(content):
        try:
            decoded = base64.b64decode(match.group(1), validate=True)
        except binascii.Error:
            continue  # not base64 after all: its text is scanned as the file's own
        parts.append(("byte", start, content[start:match.start(1)]))
        parts.append((f"data URI at byte {match.start(1)}, decoded byte", 0, decoded))
        start = match.end(1)
    parts.append(("byte", start, content[start:]))
    return parts


def find_leaks_in_files(paths: list[Path]) -> list[str]:
    """One line per file whose bytes hold an original subject code or a code param's name."""
    leaks = []
    for path in paths:
        parts = _scanned_parts(path.read_bytes())
        for pattern, what in ((ORIGINAL_CODE_BYTES, "an original subject code"),
                              (CODE_PARAM_BYTES, "a subject-code run param")):
            found = next(((where, offset + m.start()) for where, offset, part in parts
                          if (m := pattern.search(part))), None)
            if found:
                # The code itself is never quoted: the message goes to logs and CI.
                leaks.append(f"{path}: holds {what} at {found[0]} {found[1]}")
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
