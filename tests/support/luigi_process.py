"""`luigi --module plr_luigi ...` as a separate process, as a user or cron runs it: the one
launcher of the tests, with the luigi.cfg override that points a build at a test's folders."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def write_luigi_cfg(path: Path, tracking_uri: str, source_db: str, data_dir: Path,
                    output_dir: Path) -> Path:
    """A config file for `luigi` subprocesses (read after the project's luigi.cfg). Luigi's
    own lock (one process per command line) is kept in the test's folder: tests running side
    by side run the same command lines, each against its own data folder."""
    path.write_text(f"[plr]\ntracking_uri = {tracking_uri}\nsource_db = {source_db}\n"
                    f"data_dir = {data_dir}\noutput_dir = {output_dir}\n"
                    f"[core]\nlock_pid_dir = {path.parent / 'luigi-pids'}\n")
    return path


def add_plr_options(cfg: Path, **options) -> Path:
    """A config file of write_luigi_cfg with more [plr] options (figure_dpi=...)."""
    lines = "".join(f"{key} = {value}\n" for key, value in options.items())
    cfg.write_text(cfg.read_text().replace("[plr]\n", f"[plr]\n{lines}", 1))
    return cfg


def luigi_env(cfg: Path | None) -> dict[str, str]:
    """This process's environment with LUIGI_CONFIG_PATH set to cfg (or removed)."""
    env = {k: v for k, v in os.environ.items() if k != "LUIGI_CONFIG_PATH"}
    env["MLFLOW_ALLOW_FILE_STORE"] = "true"
    if cfg is not None:
        env["LUIGI_CONFIG_PATH"] = str(cfg)
    return env


def _command(args: tuple[str, ...]) -> list[str]:
    return [str(BIN / "luigi"), "--module", "plr_luigi", *args]


def start_luigi(cfg: Path, log: Path, *args: str) -> subprocess.Popen:
    """`luigi --module plr_luigi *args` in the background from the project folder, its output
    in log, in its own process group (a kill takes any task process it forked too)."""
    with open(log, "w") as out:
        return subprocess.Popen(_command(args), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                env=luigi_env(cfg), start_new_session=True)


def run_luigi(cfg: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """`luigi --module plr_luigi *args` to its end; its output captured as text."""
    return subprocess.run(_command(args), cwd=ROOT, env=luigi_env(cfg), capture_output=True,
                          text=True, timeout=timeout)


def stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM (luigid saves its state), then SIGKILL if it lingers; the whole process group."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout)


def finish(proc: subprocess.Popen, timeout: float = 300) -> int:
    """The exit code of a started process; it is stopped if it has not ended by then."""
    try:
        return proc.wait(timeout)
    finally:
        stop(proc)


@dataclass
class Timing:
    """Wall and CPU seconds of the child processes run inside `timed()`."""

    wall: float = 0.0
    cpu: float = 0.0

    def assert_ends_at_once(self, what: str) -> None:
        """No idle wait (Luigi's 30 s keep-alive) before the exit. Wall time without CPU is
        waiting; a loaded machine stretches wall time too, by up to a few times the CPU time,
        so the idle time allowed grows with it: a 30 s wait of a command using a few seconds
        of CPU still fails, whatever the load."""
        idle = self.wall - self.cpu
        assert idle < 10 + 2 * self.cpu, (
            f"{what} took {self.wall:.1f} s, {self.cpu:.1f} s of CPU: {idle:.1f} s idle")


@contextlib.contextmanager
def timed() -> Iterator[Timing]:
    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    timing, started, cpu_before = Timing(), time.monotonic(), cpu()
    try:
        yield timing
    finally:
        timing.wall, timing.cpu = time.monotonic() - started, cpu() - cpu_before
