"""Finding original subject codes (PLR followed by digits) where they must never be."""

from __future__ import annotations

import re
from pathlib import Path

ORIGINAL_CODE_PATTERN = re.compile(rb"PLR\d+")
# The same pattern for DuckDB's regexp functions.
ORIGINAL_CODE_SQL_PATTERN = "PLR[0-9]+"
# What every subject code of the public database must look like (plr_luigi.subjects scheme).
PUBLIC_CODE_SQL_PATTERN = "^[HG][0-9]{3,}$"


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
