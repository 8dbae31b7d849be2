"""SIGTERM (`kill PID`, `systemctl stop`, a CI timeout) ends a build the way Ctrl-C does: every
running task stops at once and removes its temporaries, and the next build resumes.

Python's default answer to SIGTERM ends the process without running a single `finally`: a task
running in the scheduling process (one worker) left its temporaries behind, and with several
workers the task processes Luigi forked were orphaned and went on extracting until their batch
ended, holding the data folder's build lock (an inherited descriptor) so that the next build
waited for them. Raised as KeyboardInterrupt instead, SIGTERM unwinds the running task's
`finally` blocks (atomic writes delete their temporaries); Luigi re-raises it from the task and
ends its worker by terminating its task processes (with SIGTERM: each does the same), and the
process then ends as terminated by SIGTERM (exit status 143 in a shell). A second SIGTERM kills
at once.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import sys
import threading

logger = logging.getLogger(__name__)


class BuildTerminated(KeyboardInterrupt):
    """The build received SIGTERM."""


def end_build_on_sigterm() -> None:
    """Answer SIGTERM in this process as the module says; a no-op outside the main thread (only
    it may set a handler) and where a handler is already set (this one, or another's)."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminate)


def _terminate(_signum, _frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    logger.warning("pid %d: SIGTERM: stopping the build; running tasks end and remove their "
                   "temporaries", os.getpid())
    atexit.register(_end_as_terminated)
    sys.excepthook = _without_traceback(sys.excepthook)
    raise BuildTerminated("SIGTERM")


def _without_traceback(excepthook):
    """The process's last words on BuildTerminated are one line, not a traceback through
    Luigi's worker loop."""
    def hook(kind, error, traceback):
        if issubclass(kind, BuildTerminated):
            logger.warning("pid %d: stopped by SIGTERM", os.getpid())
        else:
            excepthook(kind, error, traceback)

    return hook


def _end_as_terminated() -> None:
    """The exit status of a process killed by SIGTERM, once everything has unwound (a task
    process Luigi forked exits without atexit: its status is Luigi's)."""
    os.kill(os.getpid(), signal.SIGTERM)
