"""Alerting once per failure in periodic builds: the failures of the last build that was
alerted, kept in a small JSON file, decide whether this build's failures are news.

A build every N minutes on a store with one corrupt run fails every time; one alert for it is
information, one per period is noise. A failure is new when the set of failed tasks and what
they said (numbers masked, so that a memory figure or a count of seconds does not make an old
failure look new) differs from the last alerted one; a successful build forgets it, so the next
failure alerts again.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path

from plr_luigi.filesystem.atomic import atomic_paths

_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def failure_digest(failures: dict[str, str]) -> str:
    """task id -> error message, as one digest; numbers in the messages do not count."""
    canonical = json.dumps({task: _NUMBER.sub("#", message)
                            for task, message in sorted(failures.items())})
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def alerted_failure(state_path: Path) -> dict | None:
    """What the last alert was sent for (digest, since, failures), or None."""
    try:
        return json.loads(state_path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def is_new_failure(state_path: Path, failures: dict[str, str]) -> bool:
    recorded = alerted_failure(state_path)
    return bool(failures) and (recorded is None
                               or recorded.get("digest") != failure_digest(failures))


def record_build(state_path: Path, failures: dict[str, str], alerted: bool) -> None:
    """After a build: a success forgets the last alert; an alerted failure is recorded."""
    if not failures:
        state_path.unlink(missing_ok=True)
        return
    if alerted:
        state = {"digest": failure_digest(failures), "since": datetime.now(UTC).isoformat(),
                 "failures": failures}
        with atomic_paths({"state": state_path}) as tmp:
            tmp["state"].write_text(json.dumps(state, indent=1), encoding="utf-8")
