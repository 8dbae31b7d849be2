"""Writing several files so that each appears complete or not at all.

Each file is written under a temporary name in its own folder and renamed over its final name
(`os.replace`, atomic on POSIX) only once every file of the group was written. A killed task
leaves at most temporary files, which no target ever names. Unlike Luigi's
`temporary_path()`, existing files are replaced: rebuilding one deleted file of a figure's
PNG/PDF/JSON group rewrites the other two instead of failing on them. Temporary files of a
killed process are removed by the next writer into the same folder.

A full disk is named: whatever raised it (Python, DuckDB, Arrow, matplotlib), the write fails
with NoSpaceLeftError naming the file it was for and the space left on its device; the
temporaries are removed and the previous version of the file is kept.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
from collections.abc import Iterable, Iterator
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
        with named_when_disk_full(final_paths.values()):
            yield tmp_paths
            for key, tmp in tmp_paths.items():
                os.replace(tmp, final_paths[key])
    finally:
        for tmp in tmp_paths.values():
            tmp.unlink(missing_ok=True)


class NoSpaceLeftError(OSError):
    """A target could not be written for lack of space; the message names it."""


def is_disk_full(error: BaseException | None) -> bool:
    """Whether the error, or one it arose from, is a full device (DuckDB's and Arrow's errors
    say so in their message only)."""
    while error is not None:
        if getattr(error, "errno", None) == errno.ENOSPC or \
                "No space left on device" in str(error):
            return True
        error = error.__cause__ or error.__context__
    return False


def _space_left(path: Path) -> str:
    folder = next((p for p in (path, *path.parents) if p.exists()), Path("/"))
    usage = shutil.disk_usage(folder)
    return f"{usage.free / 2**20:.1f} MB free of {usage.total / 2**20:.1f} MB"


@contextlib.contextmanager
def named_when_disk_full(paths: Iterable[Path]) -> Iterator[None]:
    """Raise a full device met in the block as NoSpaceLeftError naming paths (the targets the
    block writes) and the space left."""
    try:
        yield
    except NoSpaceLeftError:
        raise  # named by a writer inside this one
    except Exception as err:
        if not is_disk_full(err):
            raise
        paths = [Path(p).absolute() for p in paths]
        raise NoSpaceLeftError(
            errno.ENOSPC,
            f"no space left on the device of {', '.join(map(str, paths))} "
            f"({_space_left(paths[0])}): not written, any previous version is kept; free some "
            "space and build again") from err


def remove_atomically(folder: Path) -> None:
    """Remove a folder so that it is gone at once, whole: renamed to a temporary name (which no
    target names, and which the next writer removes if this process is killed meanwhile),
    then deleted."""
    doomed = folder.with_name(f".{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(doomed, ignore_errors=True)
    os.replace(folder, doomed)
    shutil.rmtree(doomed, ignore_errors=True)


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
