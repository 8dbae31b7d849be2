"""SIGTERM ends a build even where Python ignores the exception its handler raises.

Python runs the handler at the next bytecode of the main thread. When that bytecode is in a
callback whose exceptions Python ignores (logging's at-fork callback while Luigi forks a task
process: a full `make test` once hung on it) or in code that catches every exception (Luigi's
task history), the exception is lost; the process must still end as terminated by SIGTERM, its
`finally` blocks run. Each case is a real process with a real
signal: the callback sends the process SIGTERM and runs Python code, so the handler raises
inside it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest
from support.luigi_process import ROOT

_SETUP = """
import os, signal, sys, time
from plr_luigi.tasks.termination import end_build_on_sigterm

end_build_on_sigterm()

def sigterm_inside_a_callback():
    os.kill(os.getpid(), signal.SIGTERM)
    sum(range(1000))  # bytecode: the handler raises here, inside the callback
"""

# Where the exception is lost: the callback, and how the process gets into it.
_LOST_IN = {
    "at-fork callback": """
os.register_at_fork(after_in_parent=sigterm_inside_a_callback)
child = os.fork()
if child == 0:
    os._exit(0)
os.waitpid(child, 0)
""",
    "__del__": """
class Finalised:
    def __del__(self):
        sigterm_inside_a_callback()

Finalised()
""",
    # Code that catches every exception, in the build's own process: Luigi's scheduler saving
    # task history (a SIGTERM was lost there once in six full builds) and Luigi's protected
    # event callbacks.
    "Luigi's task history": """
import luigi.scheduler, luigi.task_history

class History(luigi.task_history.NopHistory):
    def task_scheduled(self, task):
        sigterm_inside_a_callback()

luigi.scheduler.Scheduler(task_history_impl=History()).add_task(worker="w", task_id="t")
""",
    "Luigi's event callback": """
import luigi

class Task(luigi.Task):
    pass

@Task.event_handler(luigi.Event.START)
def on_start(task):
    sigterm_inside_a_callback()

Task().trigger_event(luigi.Event.START, Task())
""",
}

_AFTERWARDS = """
try:
    time.sleep(10)  # the build going on, as if no SIGTERM had come
    print("went on")
finally:
    print("unwound", flush=True)
"""


@pytest.mark.parametrize("callback", sorted(_LOST_IN))
def test_a_sigterm_lost_in_a_callback_is_delivered_again_and_ends_the_process(callback):
    script = textwrap.dedent(_SETUP) + textwrap.dedent(_LOST_IN[callback]) + _AFTERWARDS
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=8)
    assert done.returncode == -signal.SIGTERM, (done.stdout, done.stderr)
    assert done.stdout.splitlines() == ["unwound"], done.stdout
    assert "stopping the build" in done.stderr and "stopped by SIGTERM" in done.stderr
    assert "Exception ignored" not in done.stderr, done.stderr


def test_a_second_sigterm_kills_at_once():
    """The second SIGTERM is not delivered again as the first: it ends the process without
    unwinding (the build's user insists)."""
    script = textwrap.dedent(_SETUP) + textwrap.dedent("""
        try:
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                sum(range(1000))
            finally:
                print("first unwinding", flush=True)
                os.kill(os.getpid(), signal.SIGTERM)
                sum(range(1000))
                print("went on")
        finally:
            print("outer finally")
        """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=8)
    assert done.returncode == -signal.SIGTERM, (done.stdout, done.stderr)
    assert done.stdout.splitlines() == ["first unwinding"], done.stdout
