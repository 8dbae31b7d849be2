"""A digest of files' sizes and modification times: a cheap "has anything changed" signature."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path


def stat_digest(paths: Iterable[Path]) -> str:
    """Changes when any of the files is added, removed or rewritten (stat calls only)."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue  # deleted between listing and stat: the next signature differs anyway
        digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()
