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

Python runs a signal handler at the next bytecode of the main thread, wherever that is. Where
it is a callback whose exceptions Python ignores (logging's at-fork callback while Luigi forks a
task process, a `__del__`, a weakref callback), BuildTerminated was printed as "Exception
ignored" and lost, and the build went on as if no SIGTERM had come. Python hands every ignored
exception to `sys.unraisablehook`: there, a lost BuildTerminated is delivered again, by the same
signal, until it unwinds the build.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import sys
import threading

logger = logging.getLogger(__name__)

_RESEND_SECONDS = 0.05


class BuildTerminated(KeyboardInterrupt):
    """The build received SIGTERM."""


def end_build_on_sigterm() -> None:
    """Answer SIGTERM in this process as the module says; a no-op outside the main thread (only
    it may set a handler) and where a handler is already set (this one, or another's)."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminate)
        sys.unraisablehook = _delivering_lost_sigterm(sys.unraisablehook)


class _Termination:
    """This process's answer to SIGTERM so far (a forked process starts afresh)."""
    stopping = False  # the first SIGTERM came
    redelivering = False  # the signal is being sent again because its exception was lost


def _terminate(_signum, _frame) -> None:
    if _Termination.stopping and not _Termination.redelivering:  # a second SIGTERM
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        return
    if not _Termination.stopping:
        _Termination.stopping = True
        logger.warning("pid %d: SIGTERM: stopping the build; running tasks end and remove "
                       "their temporaries", os.getpid())
        atexit.register(_end_as_terminated)
        sys.excepthook = _without_traceback(sys.excepthook)
    _Termination.redelivering = False
    raise BuildTerminated("SIGTERM")


def _delivering_lost_sigterm(unraisablehook):
    """An unraisable-exception hook that sends SIGTERM again when the exception lost is the
    build's BuildTerminated. It is sent from another thread a moment later: sent from here, the
    handler would raise inside this hook, whose exceptions are ignored too. Lost again (the
    main thread still in such a callback), it is sent again."""
    def hook(unraisable):
        if not isinstance(unraisable.exc_value, BuildTerminated):
            unraisablehook(unraisable)
            return
        _Termination.redelivering = True
        resend = threading.Timer(_RESEND_SECONDS, os.kill, (os.getpid(), signal.SIGTERM))
        resend.daemon = True
        resend.start()

    return hook


def _reset_after_fork() -> None:
    _Termination.stopping = _Termination.redelivering = False


os.register_at_fork(after_in_child=_reset_after_fork)


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
