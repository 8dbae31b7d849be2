"""DataUnavailableError: an output the data cannot support (a single level, too few configurations,
a standard pipeline absent, no variance, an empty subset). Its message is the reason recorded in
place of the output; any other exception is a defect and fails the task."""

from __future__ import annotations

# What an output the data cannot support writes instead of itself: <name> + this suffix, a JSON
# status with the reason (unavailable_status); writers and the report page both use it.
UNAVAILABLE_SUFFIX = ".unavailable.json"


class DataUnavailableError(ValueError):
    """The data cannot support this output; str(error) says why."""


def require_rows(frame, what: str):
    """frame, or DataUnavailableError naming `what` found no row."""
    if len(frame) == 0:
        raise DataUnavailableError(f"no {what} in the results database")
    return frame


def unavailable_status(reason: str) -> dict:
    """The status a figure writes instead of itself when its data does not exist."""
    return {"status": "unavailable", "reason": reason}
