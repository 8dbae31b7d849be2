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

Python runs a signal handler at the next bytecode of the main thread, wherever that is, and
the build must end wherever that was. Where it is a callback whose exceptions Python ignores
(logging's at-fork callback while Luigi forks a task process, a `__del__`, a weakref callback),
BuildTerminated was printed as "Exception ignored" and lost; where it is code that catches every
exception (Luigi's scheduler saving task history, Luigi's protected event callbacks), it was
logged or dropped, and the build went on as if no SIGTERM had come. Both end the same way: the
exception object is freed without having reached the top of the process. Each BuildTerminated
raised is watched (a weakref finalizer): freed before the process's last words, it is delivered
again, by the same signal, until it unwinds the build. ("Exception ignored" is not printed for
it.)

No process the build forks outlives it. Luigi terminates the task processes it knows of, but
one it was forking when the signal came is not yet among them: it ran on after the build had
ended, and an extraction batch helping others went on to the next run, one whose read blocks
among them, holding the data folder's build lock (the next build waited) until its stall
limit. On Linux each process forked from the build's main thread asks the kernel for SIGTERM
when that thread ends (`prctl(PR_SET_PDEATHSIG)`), however the build ends (SIGTERM, a crash,
kill -9), and answers it as above.
"""

from __future__ import annotations

import atexit
import ctypes
import logging
import os
import signal
import sys
import threading
import weakref

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
        sys.unraisablehook = _not_printing_lost_sigterm(sys.unraisablehook)


class _Termination:
    """This process's answer to SIGTERM so far (a forked process starts afresh)."""
    stopping = False  # the first SIGTERM came
    redelivering = False  # the signal is being sent again because its exception was lost
    reached_top = False  # BuildTerminated ended the process (sys.excepthook had it)


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
    raise _watched(BuildTerminated("SIGTERM"))


def _watched(terminated: BuildTerminated) -> BuildTerminated:
    """The exception, watched until it is freed. (Held in a variable of the handler, it would
    be in a cycle with the handler's frame in its own traceback, freed only by a later garbage
    collection.)"""
    weakref.finalize(terminated, _delivering_if_lost).atexit = False
    return terminated


def _delivering_if_lost() -> None:
    """A BuildTerminated was freed. Unless the process is ending because of it, it was lost:
    SIGTERM is sent again, from another thread a moment later (sent from here, a weakref
    callback, the handler would raise where exceptions are ignored). Lost again, it is sent
    again."""
    if _Termination.reached_top or _Termination.redelivering or sys.is_finalizing():
        return
    _Termination.redelivering = True
    resend = threading.Timer(_RESEND_SECONDS, os.kill, (os.getpid(), signal.SIGTERM))
    resend.daemon = True
    resend.start()


def _not_printing_lost_sigterm(unraisablehook):
    """An unraisable-exception hook that does not print a lost BuildTerminated: it is freed
    after the hook and delivered again."""
    def hook(unraisable):
        if not isinstance(unraisable.exc_value, BuildTerminated):
            unraisablehook(unraisable)

    return hook


class _Forking:
    """What the forking thread knew, read by the child it forks (its memory is a copy)."""
    parent_pid = 0  # the forking process, when it is a build forking from its main thread


def _before_fork() -> None:
    in_build = signal.getsignal(signal.SIGTERM) is _terminate
    main = threading.current_thread() is threading.main_thread()
    # Only the main thread: the kernel's signal follows the thread that forked, and another
    # thread of the build may end long before the build does.
    _Forking.parent_pid = os.getpid() if in_build and main else 0


def _after_fork_in_child() -> None:
    _Termination.stopping = _Termination.redelivering = _Termination.reached_top = False
    if _Forking.parent_pid:
        _end_with_the_build(_Forking.parent_pid)


_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _end_with_the_build(parent_pid: int) -> None:
    """SIGTERM to this process when the build's main thread ends (Linux; elsewhere nothing):
    at once if it ended before the kernel was asked."""
    if _LIBC is None:
        return
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent_pid:
        os.kill(os.getpid(), signal.SIGTERM)


os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)


def _without_traceback(excepthook):
    """The process's last words on BuildTerminated are one line, not a traceback through
    Luigi's worker loop."""
    def hook(kind, error, traceback):
        if issubclass(kind, BuildTerminated):
            _Termination.reached_top = True
            logger.warning("pid %d: stopped by SIGTERM", os.getpid())
        else:
            excepthook(kind, error, traceback)

    return hook


def _end_as_terminated() -> None:
    """The exit status of a process killed by SIGTERM, once everything has unwound (a task
    process Luigi forked exits without atexit: its status is Luigi's)."""
    os.kill(os.getpid(), signal.SIGTERM)
