"""The report page's "Differences from the published methods": each (D) case of
configs/manuscript.yaml with its published and sound definitions, why, and both values as this
build computed them, read from the outputs' JSON (figure data, table twins, numbers.json).

A difference's `values` (manuscript.yaml) says where its two values are; each entry is one of
  file: figures/forest_outlier_method.json     a JSON output, relative to outputs/
  label: level                                 the key naming each row (one record: its name)
  published: {at: data, value: [envelope_lo, envelope_hi]}
  sound: {at: data, value: [mean_ci_lo, mean_ci_hi]}
`at` is a dotted path to a record or a list of records (the same rows for both, or two lists
joined on `label`; `where: {key: value}` keeps the records holding it), `value` a key or a
[low, high] pair of keys; or
  numbers: {published: "stratosCalibrationSlope*", sound: "stratosCalibrationSlopeLogistic*"}
pairing each macro of numbers.json that matches the first pattern with the one the second
names for the same `*`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from plr_luigi.study.manuscript import ManuscriptItem
from plr_luigi.study.unavailable import UNAVAILABLE_SUFFIX


@dataclass(frozen=True)
class DifferenceView:
    item: str
    published: str
    sound: str
    why: str
    source: str  # the file or macros the values come from
    rows: tuple[tuple[str, str, str], ...]  # (label, published value, sound value)
    unavailable: str | None  # why no value could be read


def differences(items: tuple[ManuscriptItem, ...], outputs: Path) -> list[DifferenceView]:
    """Every (D) case of the items, in the manuscript's order; one view per values entry (a
    difference without values: its definitions only)."""
    views = []
    for item in items:
        for difference in item.differences:
            texts = (item.item, difference["published"], difference["sound"], difference["why"])
            for spec in difference.get("values") or [None]:
                if spec is None:
                    views.append(DifferenceView(*texts, "", (), None))
                    continue
                source, rows, reason = _values(spec, outputs)
                views.append(DifferenceView(*texts, source, tuple(rows), reason))
    return views


def _values(spec: dict, outputs: Path) -> tuple[str, list[tuple[str, str, str]], str | None]:
    if "numbers" in spec:
        return _number_values(spec["numbers"], outputs / "numbers.json")
    path = outputs / spec["file"]
    status = path.with_name(path.name.removesuffix(".json") + UNAVAILABLE_SUFFIX)
    if status.is_file():
        return spec["file"], [], json.loads(status.read_text(encoding="utf-8"))["reason"]
    if not path.is_file():
        return spec["file"], [], "not built"
    document = json.loads(path.read_text(encoding="utf-8"))
    if document.get("unavailable"):
        return spec["file"], [], document["unavailable"]
    source = f"{spec['file']}: {spec['published']['at']}"
    try:
        published = _records(document, spec["published"], spec.get("label"))
        sound = _records(document, spec["sound"], spec.get("label"))
    except KeyError as missing:  # a panel the data could not support (a missing pipeline)
        return source, [], f"{spec['file']} holds no {missing.args[0]!r}"
    rows = [(label, _shown(record, spec["published"]["value"]),
             _shown(sound[label], spec["sound"]["value"]) if label in sound else "(absent)")
            for label, record in published.items()
            if not _missing(record, spec["published"]["value"])]
    return source, rows, None


def _missing(record: dict, value: str | list[str]) -> bool:
    """Whether the record has no value to compare (T2's residual row: no effect size)."""
    keys = value if isinstance(value, list) else [value]
    return all(record[key] is None or record[key] != record[key] for key in keys)


def _records(document: dict, side: dict, label: str | None) -> dict[str, dict]:
    """The records at side's dotted path `at` (those whose keys equal side's `where`), by the
    value of their `label` key; a single record (a dict at the path) is named by `label`."""
    found = document
    for part in side["at"].split("."):
        found = found[part]
    if isinstance(found, dict):
        return {label or side["at"]: found}
    where = side.get("where", {})
    return {str(record[label]): record for record in found
            if all(record.get(key) == value for key, value in where.items())}


def _shown(record: dict, value: str | list[str]) -> str:
    if isinstance(value, list):
        return "–".join(_number(record[key]) for key in value)
    return _number(record[value])


def _number(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return "n/a" if value is None else str(value)


def _number_values(patterns: dict[str, str], path: Path
                   ) -> tuple[str, list[tuple[str, str, str]], str | None]:
    source = f"numbers.json: \\{patterns['published']} and \\{patterns['sound']}"
    if not path.is_file():
        return source, [], "not built"
    twin = json.loads(path.read_text(encoding="utf-8"))
    if twin.get("unavailable"):
        return source, [], twin["unavailable"]
    numbers = {n["macro"]: n for n in twin["numbers"]}
    published = re.compile(re.escape(patterns["published"]).replace(r"\*", "(.*)") + "$")
    rows = []
    for macro, number in numbers.items():
        match = published.match(macro)
        sound = match and numbers.get(patterns["sound"].replace("*", match.group(1)))
        if sound:
            rows.append((match.group(1) or macro, _number_text(number), _number_text(sound)))
    return source, rows, None if rows else "no macro of numbers.json matches"


def _number_text(number: dict) -> str:
    return f"n/a ({number['unavailable']})" if number["unavailable"] else number["display"]
