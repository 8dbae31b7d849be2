"""A folder's manifest: each file's size, modification time and SHA-256, recorded as the folder is
written (`files.json`), so that a file truncated or altered on disk afterwards is found instead
of trusted.

Two checks of different cost. `stat_problem` compares sizes and modification times: two stat
calls and one small read per folder, what a task's complete() can afford for every run of a
large store. `content_problem` also hashes every file: for the reader that reads them anyway
(the merge). A file rewritten in place with its size kept and its time set back passes the first
and fails the second. A folder copied without its times (`cp -r`) fails the first and passes
the second: `refresh_times` then records the new times instead of redoing the folder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection
from pathlib import Path

from plr_luigi.filesystem.digest import file_sha256

MANIFEST = "files.json"
_FIELDS = ("size", "mtime_ns", "sha256")


def _entry(path: Path, sha256: str) -> dict:
    status = path.stat()
    return {"size": status.st_size, "mtime_ns": status.st_mtime_ns, "sha256": sha256}


def write_manifest(folder: Path) -> None:
    """Record every file of folder (its last step before it is published: nothing is written
    into it afterwards)."""
    entries = {path.name: _entry(path, file_sha256(path)) for path in sorted(folder.iterdir())
               if path.is_file() and path.name != MANIFEST}
    (folder / MANIFEST).write_text(json.dumps(entries, indent=1), encoding="utf-8")


def _recorded(folder: Path) -> tuple[dict[str, dict], str | None]:
    """The manifest's entries, or what keeps them from being read."""
    if not folder.is_dir():
        return {}, f"{folder} does not exist"
    try:
        entries = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, f"{MANIFEST} is missing (no digests were recorded)"
    except (OSError, ValueError) as err:
        return {}, f"{MANIFEST} is unreadable ({err})"
    if not isinstance(entries, dict) or not all(
            isinstance(e, dict) and all(k in e for k in _FIELDS) for e in entries.values()):
        return {}, f"{MANIFEST} is unreadable (not a manifest)"
    return entries, None


def stat_problem(folder: Path) -> str | None:
    """None when every recorded file has its recorded size and modification time; otherwise
    what differs, naming the file."""
    entries, problem = _recorded(folder)
    if problem:
        return problem
    for name, entry in entries.items():
        try:
            status = (folder / name).stat()
        except FileNotFoundError:
            return f"{name} is missing"
        if status.st_size != entry["size"]:
            return f"{name} has {status.st_size} bytes, {entry['size']} when written"
        if status.st_mtime_ns != entry["mtime_ns"]:
            return f"{name} was modified after it was written"
    return None


def content_problem(folder: Path, names: Collection[str] | None = None) -> str | None:
    """None when every recorded file has its recorded size and SHA-256 (its time aside);
    otherwise what differs, naming the file. names: only the recorded files among these (what
    a reader reads); None: every recorded file."""
    entries, problem = _recorded(folder)
    if problem:
        return problem
    for name, entry in entries.items():
        if names is not None and name not in names:
            continue
        path = folder / name
        try:
            size = path.stat().st_size
            if size != entry["size"]:
                return f"{name} has {size} bytes, {entry['size']} when written"
            if file_sha256(path) != entry["sha256"]:
                return f"{name} differs from its content when written (SHA-256)"
        except FileNotFoundError:
            return f"{name} is missing"
    return None


def refresh_times(folder: Path) -> None:
    """Record the files' current modification times, for a folder whose content_problem is None
    (copied without its times), so that stat_problem passes again. The manifest is replaced
    atomically."""
    entries, problem = _recorded(folder)
    if problem:
        raise ValueError(f"{folder}: {problem}")
    fresh = {name: {**entry, "mtime_ns": (folder / name).stat().st_mtime_ns}
             for name, entry in entries.items()}
    tmp = folder / f".{MANIFEST}.tmp-{os.getpid()}"
    tmp.write_text(json.dumps(fresh, indent=1), encoding="utf-8")
    os.replace(tmp, folder / MANIFEST)
