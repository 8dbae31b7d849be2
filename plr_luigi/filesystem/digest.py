"""Digests of files: of their sizes and modification times (a cheap "has anything changed"
signature) or of their content."""

from __future__ import annotations

import contextlib
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


def content_digest(paths: Iterable[Path], root: Path) -> str:
    """Changes when any file's content or its path under root changes: the same for a copy
    of the folder, unlike stat_digest."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(f"{Path(path).absolute().relative_to(Path(root).absolute())}\n".encode())
        with contextlib.suppress(FileNotFoundError):
            digest.update(bytes.fromhex(file_sha256(Path(path))))
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """The SHA-256 of one file's content, read in chunks (hashlib.file_digest needs 3.11)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(2**20):
            digest.update(chunk)
    return digest.hexdigest()
