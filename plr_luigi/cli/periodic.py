"""`plr-luigi periodic`: the build that cron or a systemd timer runs every N minutes.

    plr-luigi periodic [--workers N]     # exit 0, 30 (tasks failed), 10 (a build is running)

- An invocation while the previous one still runs exits at once (code 10, [retcode]
  already_running) saying so, and touches nothing: the data folder's `.periodic.lock` is held
  by the running one (a `flock`, dropped by the kernel when its holder dies).
- Otherwise it builds ReproduceAll with the local scheduler: whatever is complete stays, so a
  new run in the store costs its extraction and what is built from the database.
- Failures are e-mailed through Luigi's own [email] settings, once per failure
  (plr_luigi.monitoring.alert_state), not once per period: Luigi's own e-mails are turned off for
  this build and one summary is sent when the failures differ from the last ones alerted.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import luigi
import luigi.notifications
import luigi.retcodes

from plr_luigi.filesystem.lock_files import try_lock_file
from plr_luigi.monitoring.alert_state import alerted_failure, is_new_failure, record_build
from plr_luigi.tasks.settings import plr

logger = logging.getLogger(__name__)

LOCK_NAME = ".periodic.lock"
ALERT_STATE_NAME = ".alerted_failure.json"


def try_periodic_lock(data_dir: Path) -> int | None:
    """The lock's descriptor (held until the process ends), or None while another holds it."""
    fd, holder = try_lock_file(Path(data_dir) / LOCK_NAME)
    if holder is not None:
        os.close(fd)
        print(f"plr-luigi periodic: the previous build (pid {holder}) is still running on "
              f"{data_dir}; this invocation does nothing (exit 10)", flush=True)
        return None
    return fd


def _record_failure(failures_file: Path, task, exception) -> None:
    # A FAILURE event fires in the process that ran the task (a forked one with --workers > 1):
    # each appends one line, small enough to be written at once (O_APPEND).
    line = json.dumps({"task": task.task_id, "error": f"{type(exception).__name__}: {exception}"})
    with open(failures_file, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def _exit_code(status: luigi.LuigiStatusCode) -> int:
    codes = luigi.retcodes.retcode()
    return {luigi.LuigiStatusCode.SUCCESS: 0, luigi.LuigiStatusCode.SUCCESS_WITH_RETRY: 0,
            luigi.LuigiStatusCode.FAILED: codes.task_failed,
            luigi.LuigiStatusCode.FAILED_AND_SCHEDULING_FAILED: codes.task_failed,
            luigi.LuigiStatusCode.SCHEDULING_FAILED: codes.scheduling_error,
            luigi.LuigiStatusCode.NOT_RUN: codes.not_run,
            luigi.LuigiStatusCode.MISSING_EXT: codes.missing_data}[status]


def run_periodic(workers: int) -> int:
    from plr_luigi.tasks.reproduce import ReproduceAll

    data_dir = Path(plr().data_dir)
    if try_periodic_lock(data_dir) is None:
        return luigi.retcodes.retcode().already_running
    failures_file = data_dir / f".failures-{os.getpid()}.jsonl"
    failures_file.unlink(missing_ok=True)
    luigi.Task.event_handler(luigi.Event.FAILURE)(
        lambda task, exception: _record_failure(failures_file, task, exception))
    # Luigi's own mails (each failed task's, the scheduler's "disabled" one) go to [email]
    # receiver: none during the build, which this module's single alert replaces.
    config = luigi.configuration.get_config()
    # The next period is the retry: waiting [worker] max_keep_alive_idle_duration for a failed
    # task's retry within this invocation would only hold the lock longer.
    config.set("worker", "keep_alive", "false")
    receiver = config.get("email", "receiver", None)
    if receiver is not None:
        config.set("email", "receiver", "")
    try:
        result = luigi.build([ReproduceAll()], local_scheduler=True, workers=workers,
                             detailed_summary=True)
    finally:
        if receiver is not None:
            config.set("email", "receiver", receiver)
    failures = {}
    if failures_file.is_file():
        for line in failures_file.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            failures[record["task"]] = record["error"]
        failures_file.unlink()
    code = _exit_code(result.status)
    if code and not failures:  # a scheduling error: no task ran to fail
        failures = {"scheduling": result.one_line_summary}
    _alert(data_dir / ALERT_STATE_NAME, failures, result.summary_text)
    return code


def _alert(state_path: Path, failures: dict[str, str], summary: str) -> None:
    new = is_new_failure(state_path, failures)
    if new:
        subject = f"plr-luigi: periodic build FAILED ({len(failures)} tasks). Host: " \
                  f"{os.uname().nodename}"
        body = "\n\n".join([*(f"{task}:\n{error}" for task, error in failures.items()), summary])
        luigi.notifications.send_error_email(subject, body)
        logger.warning("periodic build failed: alert sent (%s)", ", ".join(failures))
    elif failures:
        since = (alerted_failure(state_path) or {}).get("since", "?")
        logger.warning("periodic build failed as it has since %s: alerted then, not again",
                       since)
    record_build(state_path, failures, alerted=new)


def register_command(commands) -> None:
    parser = commands.add_parser("periodic", help="the build cron or a systemd timer runs: "
                                                  "exits at once while one runs, alerts once "
                                                  "per failure")
    parser.add_argument("--workers", type=int, default=1, help="Luigi workers (default 1)")
    parser.set_defaults(handler=lambda args: run_periodic(args.workers),
                        accepts_plr_overrides=True)
