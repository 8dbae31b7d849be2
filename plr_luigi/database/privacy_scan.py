"""Finding what must never be published: original subject codes (PLR followed by digits),
credentials, the operator's private paths and any one subject's age.

Besides the codes themselves, the names of the run params that hold them (`codes_train`,
`codes_test`, and the dictArrays' `subject_codes_train` / `_test`) must not appear in a public
output either: where they appear, their content was copied along.

Credentials are found by their shape, wherever a tracking URI, an error message or a log line
may have carried them: user info in a URI (`https://user:token@host`), a token or password
assigned (`token=...`, `"password": ...`), an Authorization header, the key shapes of common
services (AWS, GitHub, Slack, OpenAI-style `sk-`, Databricks) and PEM private keys. Private paths
are the configured ones (the data folder's private/, the store, the source database), found as
absolute paths. Matches are never quoted: the messages go to logs and CI.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from pathlib import Path
from typing import NamedTuple

from plr_luigi.study import schema
from plr_luigi.study.subject_codes import (
    CODE_PARAM_REGEX,
    ORIGINAL_CODE_REGEX,
    PUBLIC_CODE,
    PUBLIC_CODE_REGEX,
)

ORIGINAL_CODE_BYTES = re.compile(ORIGINAL_CODE_REGEX.encode())
CODE_PARAM_BYTES = re.compile(CODE_PARAM_REGEX.encode())

class CredentialShape(NamedTuple):
    regex: str  # in a syntax both Python and DuckDB (RE2) read
    what: str
    # Text every match holds one of (lowercase where the regex ignores case, and then compared
    # with the text lowercased): a part of a file holding none is not searched. Each regex
    # starts with a character class, which Python's engine tries at every byte: over the
    # three-run build's files they took 0.69 of the audit's 0.82 s, the needles' scans ~0.02 s.
    needles: tuple[bytes, ...]


CREDENTIAL_SHAPES = (
    CredentialShape(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/@\"'<>]+@", "user info in a URI", (b"://",)),
    CredentialShape(
        r"(?i)\b(?:access_token|token|password|passwd|secret|api[_-]?key|client[_-]?secret)"
        r"[\"']?\s*[:=]\s*[\"']?[^\s\"'&,;<>]{3,}", "a token or password",
        (b"token", b"passw", b"secret", b"apikey", b"api_key", b"api-key")),
    CredentialShape(r"(?i)authorization\"?\s*:\s*\"?(?:bearer|basic|token)\s+\S",
                    "an Authorization header", (b"authorization",)),
    CredentialShape(
        r"\b(?:AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22,}|"
        r"xox[abprs]-[A-Za-z0-9-]{10,}|sk-[A-Za-z0-9_-]{20,}|dapi[0-9a-f]{32})\b", "an API key",
        (b"AKIA", b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_", b"github_pat_", b"xox", b"sk-",
         b"dapi")),
    CredentialShape(r"-----BEGIN [A-Z ]*PRIVATE KEY-----", "a private key", (b"-----BEGIN ",)),
)


class _FilePattern(NamedTuple):
    pattern: re.Pattern
    what: str
    needles: tuple[bytes, ...] = ()  # none: every part is searched
    ignore_case: bool = False

    def search(self, part: bytes, lowered: bytes) -> re.Match | None:
        if self.needles and not any(n in (lowered if self.ignore_case else part)
                                    for n in self.needles):
            return None
        return self.pattern.search(part)


_CREDENTIAL_PATTERNS = [_FilePattern(re.compile(shape.regex.encode()), shape.what, shape.needles,
                                     shape.regex.startswith("(?i)"))
                        for shape in CREDENTIAL_SHAPES]


# What is scanned is what a reader can get text out of, by the file's format:
# - a base64 data URI (the report page embeds its figures so): its letters and digits spell
#   PLR<digit> by chance about once in 5 MB, while what it encodes is what must be clean; the
#   payload is scanned decoded, as a file of its own.
# - a PNG: its chunks, text chunks decompressed; not its pixels (IDAT), whose compressed bytes
#   spell PLR<digit> by chance about once in 400 MB, and which hold no text a program can read.
# - a PDF: its bytes outside streams; its Flate streams decompressed (images aside), with the
#   strings of each text-showing array joined, since matplotlib kerns "PLR1" as [(P) 1 (LR1)].
# - anything else: as it is.
_DATA_URI_PAYLOAD = re.compile(rb"data:[\w.+/-]+;base64,([A-Za-z0-9+/]+=*)")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PDF_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_PDF_TEXT_ARRAY = re.compile(rb"\[([^\]]*)\]\s*TJ")
_PDF_STRING = re.compile(rb"\(((?:[^()\\]|\\.)*)\)", re.S)

Part = tuple[str, int, bytes]  # where (as the message says it), offset, bytes to search


def _scanned_parts(content: bytes) -> list[Part]:
    if content.startswith(_PNG_SIGNATURE):
        return _png_parts(content)
    if content.startswith(b"%PDF"):
        return _pdf_parts(content)
    return _text_parts(content)


def _text_parts(content: bytes) -> list[Part]:
    """The bytes outside data URIs (offset: their position in the file), and each payload
    decoded and scanned by its own format."""
    parts, start = [], 0
    for match in _DATA_URI_PAYLOAD.finditer(content):
        try:
            decoded = base64.b64decode(match.group(1), validate=True)
        except binascii.Error:
            continue  # not base64 after all: its text is scanned as the file's own
        parts.append(("byte", start, content[start:match.start(1)]))
        parts += [(f"data URI at byte {match.start(1)}, decoded {where}", offset, part)
                  for where, offset, part in _scanned_parts(decoded)]
        start = match.end(1)
    parts.append(("byte", start, content[start:]))
    return parts


def _png_parts(content: bytes) -> list[Part]:
    """Every chunk but the pixels (IDAT), text chunks decompressed; a PNG that ends early or
    whose chunk lengths run past its end is scanned whole from there."""
    parts, position = [], len(_PNG_SIGNATURE)
    while position < len(content):
        length = int.from_bytes(content[position:position + 4], "big")
        kind = content[position + 4:position + 8]
        start = position + 8
        if start + length + 4 > len(content):
            parts.append(("byte", position, content[position:]))
            break
        if kind != b"IDAT":
            data = content[start:start + length]
            parts.append(("byte", start, data))
            text = _png_compressed_text(kind, data)
            if text is not None:
                parts.append((f"{kind.decode()} chunk at byte {start}, decompressed byte", 0,
                              text))
        position = start + length + 4  # data, then its CRC
    return parts


def _png_compressed_text(kind: bytes, data: bytes) -> bytes | None:
    """A zTXt chunk's text, or an iTXt chunk's when compressed; None for any other chunk."""
    keyword_end = data.find(b"\0")
    try:
        if kind == b"zTXt":
            return zlib.decompress(data[keyword_end + 2:])
        if kind == b"iTXt" and data[keyword_end + 1:keyword_end + 2] == b"\1":
            language_end = data.find(b"\0", keyword_end + 3)
            translated_end = data.find(b"\0", language_end + 1)
            return zlib.decompress(data[translated_end + 1:])
    except zlib.error:
        return None  # its raw bytes are scanned as the chunk's
    return None


def _pdf_parts(content: bytes) -> list[Part]:
    parts, start = [], 0
    for match in _PDF_STREAM.finditer(content):
        parts.append(("byte", start, content[start:match.start(1)]))
        raw = match.group(1)
        dictionary = content[max(0, match.start() - 400):match.start()]
        dictionary = dictionary[dictionary.rfind(b"<<"):]
        where = f"stream at byte {match.start(1)}"
        if b"/Image" in dictionary:
            pass  # pixels: no text a reader can get out of them
        elif b"/FlateDecode" in dictionary:
            try:
                decoded = zlib.decompress(raw)
            except zlib.error:
                parts.append(("byte", match.start(1), raw))
            else:
                parts.append((f"{where}, decompressed byte", 0, decoded))
                parts.append((f"{where}, shown text byte", 0, _pdf_shown_text(decoded)))
        else:
            parts.append(("byte", match.start(1), raw))
        start = match.end(1)
    parts.append(("byte", start, content[start:]))
    return parts


def _pdf_shown_text(stream: bytes) -> bytes:
    """The strings of each TJ array of a content stream joined, one array per line."""
    return b"\n".join(b"".join(_PDF_STRING.findall(array.group(1)))
                      for array in _PDF_TEXT_ARRAY.finditer(stream))


def _private_path_patterns(private_paths: dict[str, Path]) -> list[tuple[re.Pattern, str]]:
    """private_paths: what each is ("the source database") -> its path, as absolute bytes."""
    return [(re.compile(re.escape(str(Path(path).expanduser().resolve()).encode())),
             f"the private path of {name}") for name, path in private_paths.items()]


def find_leaks_in_files(paths: list[Path],
                        private_paths: dict[str, Path] | None = None) -> list[str]:
    """One line per file and kind of leak: an original subject code, a code param's name,
    credential-shaped text, a configured private path (private_paths: see above)."""
    patterns = [_FilePattern(ORIGINAL_CODE_BYTES, "an original subject code"),
                _FilePattern(CODE_PARAM_BYTES, "a subject-code run param"), *_CREDENTIAL_PATTERNS,
                *(_FilePattern(pattern, what)
                  for pattern, what in _private_path_patterns(private_paths or {}))]
    leaks = []
    for path in paths:
        parts = _scanned_parts(path.read_bytes())
        lowered = [part.lower() for _, _, part in parts]
        for pattern in patterns:
            found = next(((where, offset + m.start()) for (where, offset, part), low
                          in zip(parts, lowered, strict=True) if (m := pattern.search(part, low))),
                         None)
            if found:
                # What was found is never quoted: the message goes to logs and CI.
                leaks.append(f"{path}: holds {pattern.what} at {found[0]} {found[1]}")
    return leaks


def find_leaks_in_database(con, private_paths: dict[str, Path] | None = None) -> list[str]:
    """One line per VARCHAR column of any table (not only the schema's) that holds an original
    subject code or a code param's name, and one per column holding credential-shaped text or
    a configured private path, with the number of rows."""
    columns = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                          "WHERE data_type = 'VARCHAR' ORDER BY table_name, column_name"
                          ).fetchall()
    secrets = [shape.regex for shape in CREDENTIAL_SHAPES]
    paths = [str(Path(path).expanduser().resolve()) for path in (private_paths or {}).values()]
    leaks = []
    for table, column in columns:
        for regexes, substrings, what in (
                ([ORIGINAL_CODE_REGEX, CODE_PARAM_REGEX], [],
                 "an original subject code or a subject-code run param"),
                (secrets, paths, "credential-shaped text or a configured private path")):
            matches = " OR ".join([f'regexp_matches("{column}", ?)'] * len(regexes)
                                  + [f'contains("{column}", ?)'] * len(substrings))
            rows = con.execute(f'SELECT count(*) FROM "{table}" WHERE {matches}',
                               [*regexes, *substrings]).fetchall()[0][0]
            if rows:
                leaks.append(f"table {table}, column {column}: {rows} values hold {what}")
    return leaks


# Age: the source database holds each subject's age (PRIVATE); the public side holds only the
# cohort summary's aggregates by group (schema.COHORT_SUMMARY). A per-subject age reaches a
# public output as an age-named column or key outside that table, as an aggregate over too few
# subjects to hide one, or as a subject's record (a row or JSON object naming its public code)
# carrying that subject's own age, whatever the column is called.
AGE_NAME = re.compile(r"(?i)(^|[^a-z])age([^a-z]|$)")
# How many subject records must carry their subject's own age to count as a leak: one match
# can be chance (a number that happens to equal an age), several cannot.
AGE_MATCHES_FOR_LEAK = 3
# A column that takes many values per subject (a bootstrap iteration 0-199, a bin index) holds
# every subject's age by chance. Its matches are counted again with the ages handed to other
# subjects (rotated): a column of ages matches its own subjects far more often than others'.
AGE_CHANCE_FACTOR = 2


def _rotated(ages: dict[str, float]) -> list[dict[str, float]]:
    """The ages given to other subjects: the code order rotated by one and by half."""
    codes = sorted(ages)
    shifts = sorted({1, len(codes) // 2} - {0, len(codes)})
    return [{code: ages[codes[(i + k) % len(codes)]] for i, code in enumerate(codes)}
            for k in shifts]


def _beyond_chance(own: int, others: list[int]) -> bool:
    return own >= AGE_MATCHES_FOR_LEAK and own > AGE_CHANCE_FACTOR * max(others, default=0)


def _public_code_values(con, table: str) -> list[str]:
    """The VARCHAR columns of table whose every non-NULL value is a public subject code."""
    columns = con.execute("SELECT column_name FROM information_schema.columns WHERE "
                          "table_name = ? AND data_type = 'VARCHAR'", [table]).fetchall()
    return [c for (c,) in columns if con.execute(
        f'SELECT count("{c}") > 0 AND bool_and(regexp_matches("{c}", ?)) FROM "{table}"',
        [PUBLIC_CODE_REGEX]).fetchone()[0]]


def find_age_leaks_in_database(con, ages: dict[str, float] | None = None) -> list[str]:
    """One line per table and column that publishes a subject's age: an age-named column
    outside the cohort summary, a cohort-summary column the schema does not name or a row of
    it over fewer than schema.COHORT_MIN_GROUP_FOR_AGE subjects, and (ages: the PRIVATE age of
    each public code, where the source database is at hand) a numeric column of a
    per-subject table holding its subjects' own ages."""
    summary = schema.COHORT_SUMMARY
    leaks = []
    columns = con.execute("SELECT table_name, column_name, data_type FROM "
                          "information_schema.columns ORDER BY table_name, column_name"
                          ).fetchall()
    for table, column, _ in columns:
        if not AGE_NAME.search(column):
            continue
        if table != summary.name:
            leaks.append(f"table {table}, column {column}: an age column outside "
                         f"{summary.name}")
        elif column not in summary.column_names:
            leaks.append(f"table {table}, column {column}: not a column of {summary.name} "
                         "(its age columns are aggregates: n, mean, SD)")
    if summary.name in {t for t, _, _ in columns}:
        small = con.execute(
            f"SELECT count(*) FROM {summary.name} WHERE age_mean IS NOT NULL AND "
            f"coalesce(age_n, 0) < {schema.COHORT_MIN_GROUP_FOR_AGE}").fetchone()[0]
        if small:
            leaks.append(f"table {summary.name}: {small} rows give an age over fewer than "
                         f"{schema.COHORT_MIN_GROUP_FOR_AGE} subjects")
    if ages:
        leaks += _own_age_columns(con, columns, ages)
    return leaks


def _own_age_columns(con, columns: list[tuple[str, str, str]],
                     ages: dict[str, float]) -> list[str]:
    numeric = ("DOUBLE", "FLOAT", "REAL", "INTEGER", "BIGINT", "SMALLINT", "DECIMAL")
    leaks = []
    for table in sorted({t for t, _, _ in columns}):
        code_columns = _public_code_values(con, table)
        for code_column in code_columns:
            for t, column, data_type in columns:
                if t != table or not data_type.upper().startswith(numeric):
                    continue
                own = _subjects_matching(con, table, code_column, column, ages)
                if _beyond_chance(own, [_subjects_matching(con, table, code_column, column, other)
                                        for other in _rotated(ages)]):
                    leaks.append(f"table {table}, column {column}: {own} subjects' rows "
                                 "hold their own age")
    return leaks


def _subjects_matching(con, table: str, code_column: str, column: str,
                       ages: dict[str, float]) -> int:
    """How many subjects have a row whose column equals the age given for them."""
    return con.execute(
        "WITH private_ages AS (SELECT unnest(?) AS code, unnest(?) AS age) "
        f'SELECT count(DISTINCT x."{code_column}") FROM "{table}" x JOIN '
        f'private_ages a ON x."{code_column}" = a.code WHERE abs(x."{column}" - a.age) < 0.05',
        [list(ages), [float(a) for a in ages.values()]]).fetchone()[0]


def find_age_leaks_in_files(paths: list[Path], ages: dict[str, float] | None = None
                            ) -> list[str]:
    """One line per JSON file holding a subject's age: an object naming a public subject code
    with an age-named key, or (ages: as find_age_leaks_in_database) with a number equal to that
    subject's own age, in at least AGE_MATCHES_FOR_LEAK objects."""
    import json

    leaks = []
    for path in paths:
        if path.suffix != ".json":
            continue
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError):
            continue
        given = [ages or {}, *(_rotated(ages) if ages else [])]
        named, holding = 0, [set() for _ in given]
        for record in _objects(document):
            codes = [v for v in record.values() if isinstance(v, str) and PUBLIC_CODE.match(v)]
            if not codes:
                continue
            named += any(AGE_NAME.search(str(key)) for key in record)
            numbers = [v for v in record.values()
                       if isinstance(v, int | float) and not isinstance(v, bool)]
            for code in codes:
                for found, by_code in zip(holding, given, strict=True):
                    age = by_code.get(code)
                    if age is not None and any(abs(v - age) < 0.05 for v in numbers):
                        found.add(code)
        if named:
            leaks.append(f"{path}: {named} subject records hold an age-named value")
        if _beyond_chance(len(holding[0]), [len(found) for found in holding[1:]]):
            leaks.append(f"{path}: {len(holding[0])} subject records hold their own age")
    return leaks


def _objects(document):
    """Every JSON object in document, nested ones included."""
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
