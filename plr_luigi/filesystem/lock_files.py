"""One build at a time per data folder.

Luigi's local scheduler has no cross-process lock except its pid lock per command line, which
two different command lines (or a race between two identical ones) pass. Two builds writing
the same run folders, database and outputs would each stay correct file by file (every write
is atomic), but one could rebuild the database under the other's freshly stamped outputs. So a
build holds an exclusive `flock` on `<data_dir>/.build.lock` from its first look at the store
until the build ends (the given threads, Luigi's worker's, have ended); a second build waits for
it, then finds the work done. The kernel drops the lock when the
holder dies, so a killed build never leaves a stale lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

logger = logging.getLogger(__name__)

# One open file per lock held by this process, or a second flock of the same process on a new
# descriptor would wait for itself.
_held: dict[Path, int] = {}


def try_lock_file(path: Path) -> tuple[int, str | None]:
    """Open the lock file and try its exclusive flock: (descriptor, None) when taken (this
    process's pid written into it), (descriptor, the holder's pid) while another holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return fd, os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
    _write_pid(fd)
    return fd, None


def _write_pid(fd: int) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)


def hold_build_lock(data_dir: Path, until_ended: list[threading.Thread]) -> None:
    """Take the data folder's build lock, waiting if needed, and keep it until every thread of
    until_ended (the build's) has ended. Without such threads there is no build to protect
    (a completeness check from a shell or a test): nothing is locked."""
    if not until_ended:
        return
    path = _lock_path(str(data_dir))
    if path in _held:
        return
    fd, holder = try_lock_file(path)
    if holder is not None:
        logger.warning("another build (pid %s) is using %s; waiting for it to finish",
                       holder, data_dir)
        fcntl.flock(fd, fcntl.LOCK_EX)
        logger.warning("the other build on %s finished; continuing", data_dir)
        _write_pid(fd)
    _held[path] = fd
    threading.Thread(target=_release_after, args=(path, until_ended), daemon=True,
                     name="plr-build-lock").start()


@functools.lru_cache(maxsize=32)
def _lock_path(data_dir: str) -> Path:
    # resolved once: every task's completeness check asks for the lock (a no-op once held)
    return (Path(data_dir) / ".build.lock").resolve()


def _release_after(path: Path, threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join()
    os.close(_held.pop(path))  # closing the descriptor drops the lock


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """An exclusive `flock` on path for the block, waiting for another process's. A fresh
    descriptor: processes forked from one another (Luigi's task processes) exclude each other,
    which the build lock, inherited by them all, cannot do."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def folder_claim(folder: Path) -> Iterator[bool]:
    """An exclusive `flock` on the directory folder (made if missing) for the block, never
    waited for: yields True when held, False when another process holds it. No file is
    written; the kernel drops the claim when its holder dies. Where the filesystem cannot lock
    a directory, yields True unlocked: a claim then only saves work, as a run extracted twice
    keeps the first directory written (run_extraction.publish_run_dir)."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        except OSError as err:
            logger.debug("cannot lock %s (%s): working unclaimed", folder, err)
        yield True
    finally:
        os.close(fd)
