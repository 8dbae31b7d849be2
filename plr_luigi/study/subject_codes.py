"""The two subject-code schemes, as patterns every stage shares.

Original codes (`PLR1xxx` control, `PLR4xxx` glaucoma) are private; public codes (H001..,
G001..) are what every public output carries. One spelling of each pattern serves Python's
`re` (str and bytes) and DuckDB's `regexp_matches`.
"""

from __future__ import annotations

import re

ORIGINAL_CODE_REGEX = "PLR[0-9]+"
PUBLIC_CODE_REGEX = "^[HG][0-9]{3,}$"
# Names of the run params (and dictArrays keys) that hold original codes: where such a name
# appears in a public output, their content was copied along.
CODE_PARAM_REGEX = "codes_(train|test)"

ORIGINAL_CODE = re.compile(ORIGINAL_CODE_REGEX)
PUBLIC_CODE = re.compile(PUBLIC_CODE_REGEX)
