"""The store's run list, cached on disk and revalidated by a cheap signature.

Listing a store costs reading every run (a file store: each run's meta.yaml, params and tags)
and, for a SQLite store or a tracking server, importing mlflow (~1.5 s). Every build must know
whether the store changed, so the list is kept in a private cache file (it holds the runs'
original subject codes) together with the store's signature
(plr_luigi.store.store_signature: stat calls only). A build whose store has the same
signature reuses the list; any new, finished, renamed, deleted or re-logged run changes the
signature and the store is listed again. A tracking server has no signature: it is always
listed.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from pathlib import Path

from plr_luigi.store.mlflow_store import RunSummary, list_runs, store_signature

logger = logging.getLogger(__name__)


def _to_json(run: RunSummary) -> dict:
    # Field by field, not dataclasses.asdict, which deep-copies every value (0.14 s of a
    # 410-run listing): JSON writes the tuples as lists, _from_json makes them tuples again.
    record = {f.name: getattr(run, f.name) for f in dataclasses.fields(run)}
    record["subject_codes"] = sorted(run.subject_codes)
    return record


def _from_json(record: dict) -> RunSummary:
    return RunSummary(**{**record, "subject_codes": frozenset(record["subject_codes"]),
                         "hyperparameters": tuple(map(tuple, record["hyperparameters"]))})


def _cache_key(tracking_uri: str, experiment: str, signature: str | None) -> dict:
    # The summary's fields are part of the key: a cache written before a field existed lacks it.
    return {"tracking_uri": tracking_uri, "experiment": experiment, "signature": signature,
            "fields": [f.name for f in dataclasses.fields(RunSummary)]}


def _read_cache(cache_path: Path, key: dict) -> list[dict] | None:
    """The cached runs (as written) if the cache was written under key, else None."""
    if key["signature"] is None:
        return None
    # Parsed at each call, not kept: the cache holds every run's original subject codes, which
    # a build holding them made its memory grow with the runs (store_listing._decisions).
    try:
        cached = json.loads(cache_path.read_text(encoding="utf-8"))
        return cached["runs"] if cached["key"] == key else None
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as err:
        logger.warning("ignoring unreadable run-list cache %s (%s)", cache_path, err)
        return None


def cached_run_list(tracking_uri: str, experiment: str, cache_path: Path) -> list[RunSummary]:
    signature = store_signature(tracking_uri)  # taken before listing: a change meanwhile
    key = _cache_key(tracking_uri, experiment, signature)
    cached = _read_cache(cache_path, key)
    if cached is not None:
        return [_from_json(r) for r in cached]
    runs = list_runs(tracking_uri, experiment)  # ... makes the next signature differ
    if signature is not None:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_path.with_name(f".{cache_path.name}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps({"key": key, "runs": [_to_json(r) for r in runs]}),
                       encoding="utf-8")
        os.replace(tmp, cache_path)
    return runs


def stale_run_lists(tracking_uri: str, caches: dict[str, Path]) -> list[str]:
    """The experiments (of caches: experiment -> its cache file) that cached_run_list would
    list again: the store changed since their cache was written, or there is none. The store's
    signature is taken once for all of them."""
    signature = store_signature(tracking_uri)
    return [experiment for experiment, path in caches.items()
            if _read_cache(path, _cache_key(tracking_uri, experiment, signature)) is None]
