"""Retrying a store read that failed for a moment (a tracking server restarting, a network
blip, a SQLite store locked by a writer) with exponential backoff; any other error at once.

MLflow's HTTP client already retries a request a few times (MLFLOW_HTTP_REQUEST_MAX_RETRIES);
this is the retry around a whole read, e.g. listing the runs while the graph is planned, where a
failure would otherwise end the build (a scheduling error) without a second try.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import TypeVar

logger = logging.getLogger(__name__)
T = TypeVar("T")

# What MLflow's exceptions say when the store could not be reached, rather than refused.
_TRANSIENT_MESSAGE = re.compile(
    r"Max retries exceeded|Connection (?:refused|reset|aborted)|NewConnectionError|timed out|"
    r"Temporary failure in name resolution|failed with error code 5\d\d|"
    r"TEMPORARILY_UNAVAILABLE|database is locked", re.IGNORECASE)
# requests' and urllib3's, which do not derive from the built-in ConnectionError.
_TRANSIENT_TYPES = {"ConnectionError", "ConnectTimeout", "ReadTimeout", "Timeout",
                    "NewConnectionError", "ProtocolError"}


def is_transient(error: BaseException) -> bool:
    """Whether the error, or one it arose from, says the store was unreachable for now."""
    while error is not None:
        if isinstance(error, (ConnectionError, TimeoutError)) or \
                type(error).__name__ in _TRANSIENT_TYPES or _TRANSIENT_MESSAGE.search(str(error)):
            return True
        error = error.__cause__ or error.__context__
    return False


def call_with_backoff(read: Callable[[], T], what: str, attempts: int,
                      first_delay: float) -> T:
    """read(), tried up to `attempts` times while it fails transiently, waiting first_delay,
    then twice as long each time; the last error, and any other at once, is raised."""
    delay = first_delay
    for attempt in range(1, attempts):
        try:
            return read()
        except Exception as error:
            if not is_transient(error):
                raise
            logger.warning("%s: store unreachable (attempt %d of %d: %s); retrying in %.3g s",
                           what, attempt, attempts, str(error)[:300], delay)
            time.sleep(delay)
            delay *= 2
    return read()
