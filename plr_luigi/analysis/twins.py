"""A LaTeX output and its JSON twin (numbers.tex / numbers.json, tables/<name>.tex /
tables/<name>.json), written together: both appear, or neither.

The twin holds what the LaTeX prints as data (values, display text, the query behind it, why
it is unavailable), so readers (the report page, the build history, anyone's script) never
parse the project's own LaTeX back.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from plr_luigi.filesystem.atomic import atomic_paths


def twin_paths(tex: Path) -> dict[str, Path]:
    """The LaTeX file and its twin beside it: {"tex": x.tex, "json": x.json}."""
    return {"tex": tex, "json": tex.with_suffix(".json")}


def _json_ready(value):
    """value with NaN and infinities as null (JSON has neither) and numpy scalars as Python's."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def twin_json(twin: dict) -> str:
    return json.dumps(_json_ready(twin), indent=1, ensure_ascii=False, allow_nan=False,
                      default=str) + "\n"


def write_with_twin(paths: dict[str, Path], latex: str, twin: dict) -> None:
    """Write latex to paths["tex"] and the twin to paths["json"], atomically as a pair."""
    with atomic_paths(paths) as tmp:
        tmp["tex"].write_text(latex, encoding="utf-8")
        tmp["json"].write_text(twin_json(twin), encoding="utf-8")


def read_twin(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
