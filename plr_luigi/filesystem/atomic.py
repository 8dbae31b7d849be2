"""Writing several files so that each appears complete or not at all.

Each file is written under a temporary name in its own folder and renamed over its final name
(`os.replace`, atomic on POSIX) only once every file of the group was written. A killed task
leaves at most temporary files, which no target ever names. Unlike Luigi's
`temporary_path()`, existing files are replaced: rebuilding one deleted file of a figure's
PNG/PDF/JSON group rewrites the other two instead of failing on them. Temporary files of a
killed process are removed by the next writer into the same folder.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import psutil

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def atomic_paths(final_paths: dict[str, Path]) -> Iterator[dict[str, Path]]:
    """Yield temporary paths for final_paths (same keys); on success, rename them into place."""
    tmp_paths = {key: path.with_name(f".{path.name}.tmp-{os.getpid()}")
                 for key, path in final_paths.items()}
    for path in final_paths.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path.parent)
    try:
        yield tmp_paths
        for key, tmp in tmp_paths.items():
            os.replace(tmp, final_paths[key])
    finally:
        for tmp in tmp_paths.values():
            tmp.unlink(missing_ok=True)


def remove_stale_temporaries(folder: Path) -> None:
    """Remove `.<name>.tmp-<pid>` entries of folder whose process is gone: a killed build's
    half-written results, which no target ever names."""
    for path in folder.glob(".*.tmp-*"):
        # DuckDB adds its own suffix (`.tmp-<pid>.wal`): the pid is the leading digits.
        pid = re.match(r"\d+", path.name.rsplit(".tmp-", 1)[1])
        if pid and not psutil.pid_exists(int(pid.group())):
            logger.info("removing %s, left by a killed build", path)
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
