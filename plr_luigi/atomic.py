"""Writing several files so that each appears complete or not at all.

Each file is written under a temporary name in its own folder and renamed over its final name
(`os.replace`, atomic on POSIX) only once every file of the group was written. A killed task
leaves at most temporary files, which no target ever names. Unlike Luigi's
`temporary_path()`, existing files are replaced: rebuilding one deleted file of a figure's
PNG/PDF/JSON group rewrites the other two instead of failing on them.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_paths(final_paths: dict[str, Path]) -> Iterator[dict[str, Path]]:
    """Yield temporary paths for final_paths (same keys); on success, rename them into place."""
    tmp_paths = {key: path.with_name(f".{path.name}.tmp-{os.getpid()}")
                 for key, path in final_paths.items()}
    for path in final_paths.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield tmp_paths
        for key, tmp in tmp_paths.items():
            os.replace(tmp, final_paths[key])
    finally:
        for tmp in tmp_paths.values():
            tmp.unlink(missing_ok=True)
