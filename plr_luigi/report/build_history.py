"""What changed since the last build: a small history of builds and the difference between two.

Each report build records a snapshot: the value of every numbers.tex macro, every run of the
extraction report with its outcome, and a digest of the data behind each figure and table. The
history (data/history/builds.json, written atomically) keeps the last `KEEP` distinct
snapshots: a rebuild whose outputs are the same as the last one's adds nothing, so the page
keeps showing the last real change however often it is rebuilt. The report page and
`plr-luigi diff` both show `compare(previous, latest)`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from plr_luigi.filesystem.atomic import atomic_paths

logger = logging.getLogger(__name__)

KEEP = 50
# The parts of a snapshot that say what the outputs are; the rest (when, with which code)
# describes the build.
CONTENT_KEYS = ("numbers", "runs", "figures", "tables")
FAILED = "failed"


# Significant digits a figure's numbers are compared to: DuckDB's parallel aggregation sums
# in a varying order, so the same data can give means that differ in the last bits.
DIGEST_DIGITS = 10


def _rounded(value):
    if isinstance(value, float):
        return float(f"{value:.{DIGEST_DIGITS}g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def output_digest(path: Path) -> str:
    """Digest of what an output shows: a figure's JSON without its provenance (which names
    the build time) and with its numbers to DIGEST_DIGITS digits, any other file's bytes."""
    if path.suffix == ".json":
        content = json.loads(path.read_text(encoding="utf-8"))
        content.pop("provenance", None)
        data = json.dumps(_rounded(content), sort_keys=True, default=str).encode()
    else:
        data = path.read_bytes()
    return hashlib.sha256(data).hexdigest()[:16]


def make_snapshot(numbers: list[dict], runs: list[dict], figures: dict[str, Path],
                  tables: dict[str, Path], provenance: dict[str, str]) -> dict:
    """numbers: the entries of numbers.json; runs: run_id, run_name, outcome, reason of each
    run; figures / tables: name -> the file holding its data (JSON, status JSON or .tex)."""
    return {
        "built_at": provenance.get("created_at", ""),
        "code_version": provenance.get("code_version", ""),
        # A number's text is its macro's LaTeX body, as earlier builds recorded it.
        "numbers": {n["macro"]: {"text": "" if n["unavailable"] else n["latex"],
                                 "description": n["description"],
                                 "unavailable": n["unavailable"]} for n in numbers},
        "runs": {r["run_id"]: {"run_name": r["run_name"], "outcome": r["outcome"],
                               "reason": r["reason"] or ""} for r in runs},
        "figures": {name: output_digest(p) for name, p in figures.items() if p.is_file()},
        "tables": {name: output_digest(p) for name, p in tables.items() if p.is_file()},
    }


def _content(snapshot: dict) -> dict:
    return {key: snapshot.get(key, {}) for key in CONTENT_KEYS}


def read_history(path: Path) -> list[dict]:
    """The recorded snapshots, oldest first; none when there is no history yet."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))["builds"]
    except FileNotFoundError:
        return []
    except (ValueError, KeyError) as error:
        # A history is a convenience: an unreadable one is started afresh, loudly.
        logger.warning("build history %s is unreadable (%s); starting a new one", path, error)
        return []


def record_build(path: Path, snapshot: dict) -> dict | None:
    """Add snapshot to the history at path unless the outputs are unchanged since the last
    entry; returns the snapshot to compare it with (the previous distinct build), or None for
    a first build."""
    builds = read_history(path)
    if builds and _content(builds[-1]) == _content(snapshot):
        return builds[-2] if len(builds) > 1 else None
    previous = builds[-1] if builds else None
    with atomic_paths({"history": path}) as tmp:
        tmp["history"].write_text(json.dumps({"builds": [*builds, snapshot][-KEEP:]}, indent=1),
                                  encoding="utf-8")
    return previous


def latest_pair(path: Path) -> tuple[dict | None, dict | None]:
    """(previous, latest) snapshots of the history at path (None where absent)."""
    builds = read_history(path)
    return (builds[-2] if len(builds) > 1 else None), (builds[-1] if builds else None)


@dataclass
class Changes:
    previous_built_at: str
    latest_built_at: str
    # (macro, description, old text, new text); "" for a number absent on one side
    numbers_moved: list[tuple[str, str, str, str]] = field(default_factory=list)
    runs_added: list[str] = field(default_factory=list)
    runs_removed: list[str] = field(default_factory=list)
    runs_now_failing: list[tuple[str, str]] = field(default_factory=list)  # (run, reason)
    runs_fixed: list[str] = field(default_factory=list)
    figures_changed: list[str] = field(default_factory=list)
    tables_changed: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any((self.numbers_moved, self.runs_added, self.runs_removed,
                        self.runs_now_failing, self.runs_fixed, self.figures_changed,
                        self.tables_changed))


def _shown(number: dict | None) -> str:
    if number is None:
        return ""
    return number["text"] if not number.get("unavailable") else "unavailable"


def _changed_outputs(old: dict[str, str], new: dict[str, str]) -> list[str]:
    return sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name))


def compare(previous: dict, latest: dict) -> Changes:
    """Everything that differs between two snapshots."""
    changes = Changes(previous.get("built_at", ""), latest.get("built_at", ""))
    old_numbers, new_numbers = previous["numbers"], latest["numbers"]
    for macro in [*new_numbers, *(m for m in old_numbers if m not in new_numbers)]:
        old, new = _shown(old_numbers.get(macro)), _shown(new_numbers.get(macro))
        if old != new:
            description = (new_numbers.get(macro) or old_numbers[macro])["description"]
            changes.numbers_moved.append((macro, description, old, new))
    old_runs, new_runs = previous["runs"], latest["runs"]
    changes.runs_added = sorted(new_runs[r]["run_name"] for r in new_runs.keys() - old_runs)
    changes.runs_removed = sorted(old_runs[r]["run_name"] for r in old_runs.keys() - new_runs)
    for run_id, run in sorted(new_runs.items(), key=lambda item: item[1]["run_name"]):
        before = old_runs.get(run_id, {}).get("outcome")
        if run["outcome"] == FAILED and before != FAILED:
            changes.runs_now_failing.append((run["run_name"], run["reason"]))
        elif before == FAILED and run["outcome"] != FAILED:
            changes.runs_fixed.append(run["run_name"])
    changes.figures_changed = _changed_outputs(previous["figures"], latest["figures"])
    changes.tables_changed = _changed_outputs(previous["tables"], latest["tables"])
    return changes


def changes_text(changes: Changes | None) -> str:
    """The changes as plain text (plr-luigi diff)."""
    if changes is None:
        return "No earlier build is recorded: nothing to compare with yet.\n"
    lines = [f"Changes from the build of {changes.previous_built_at} to the build of "
             f"{changes.latest_built_at}:"]
    if changes.empty:
        lines.append("  nothing changed")
    sections = (
        ("numbers.tex values moved", [f"\\{m}: {old or '(absent)'} -> {new or '(absent)'}  "
                                      f"({description})"
                                      for m, description, old, new in changes.numbers_moved]),
        ("runs added", changes.runs_added), ("runs removed", changes.runs_removed),
        ("runs now failing", [f"{run}: {reason}" for run, reason in changes.runs_now_failing]),
        ("runs no longer failing", changes.runs_fixed),
        ("figures whose data changed", changes.figures_changed),
        ("tables whose content changed", changes.tables_changed),
    )
    for title, items in sections:
        if items:
            lines.append(f"{title} ({len(items)}):")
            lines.extend(f"  {item}" for item in items)
    return "\n".join(lines) + "\n"
