"""Provenance of a build: code version, time, source, and whether the data is synthetic.

The provenance is published (database, figures' JSON, report page): the store is described
(`describe_store`), never copied as configured, since a tracking URI may carry a user name and
a token, and a local store's path the operator's home folder.
"""

from __future__ import annotations

import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

from plr_luigi.study import schema

_PROJECT_ROOT = Path(__file__).resolve().parents[2]


def code_version() -> str:
    """`git describe` of the checkout (with -dirty for local changes), else the package version."""
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty", "--tags"],
                             cwd=_PROJECT_ROOT, capture_output=True, text=True, timeout=10)
        if out.returncode == 0 and out.stdout.strip():
            return f"git {out.stdout.strip()}"
    except (OSError, subprocess.SubprocessError):
        pass
    return f"plr_luigi {metadata.version('plr_luigi')}"


def describe_store(tracking_uri: str) -> str:
    """The store's kind and where it is, as far as that is not private: `file store mlruns`
    (the folder's name), `sqlite store mlflow.db` (the file's name), `https://host:port/path`
    (host, port and the path's last part: no user info, password, query or fragment)."""
    if tracking_uri.startswith("databricks"):
        return "databricks"  # databricks://<profile>: a profile name says nothing public
    parsed = urlparse(tracking_uri)
    if len(parsed.scheme) <= 1 or parsed.scheme == "file":  # a bare path (C:\\ included)
        path = unquote(parsed.path) if parsed.scheme == "file" else tracking_uri
        return f"file store {Path(path).expanduser().resolve().name}"
    if parsed.scheme == "sqlite":
        return f"sqlite store {Path(unquote(parsed.path)).name}"
    if not parsed.hostname:
        return parsed.scheme
    port = f":{parsed.port}" if parsed.port else ""
    last = parsed.path.rstrip("/").rsplit("/", 1)[-1]
    return f"{parsed.scheme}://{parsed.hostname}{port}" + (f"/{last}" if last else "")


def build_provenance(tracking_uri: str, experiment: str, synthetic: bool, n_runs_seen: int,
                     n_configurations: int, source_db_used: bool,
                     inventory: str) -> dict[str, str]:
    return {
        schema.PROV_INVENTORY_DIGEST: inventory,
        schema.PROV_CREATED_AT: datetime.now(timezone.utc).isoformat(timespec="seconds"),
        schema.PROV_STORE: describe_store(tracking_uri),
        schema.PROV_EXPERIMENT: experiment,
        schema.PROV_CODE_VERSION: code_version(),
        schema.PROV_SYNTHETIC: "true" if synthetic else "false",
        schema.PROV_N_RUNS_SEEN: str(n_runs_seen),
        schema.PROV_N_CONFIGURATIONS: str(n_configurations),
        schema.PROV_SOURCE_DB: "true" if source_db_used else "false",
    }


# What a provenance says of the store and the code, not of the classification runs the
# database holds: what the outputs of data those runs do not change record (a new run makes a
# new database with a new inventory digest, time and counts; these stay).
STORE_LEVEL_KEYS = (schema.PROV_STORE, schema.PROV_EXPERIMENT, schema.PROV_CODE_VERSION,
                    schema.PROV_SYNTHETIC, schema.PROV_SOURCE_DB)


def store_level(provenance: dict[str, str]) -> dict[str, str]:
    return {key: provenance[key] for key in STORE_LEVEL_KEYS if key in provenance}


def provenance_line(provenance: dict[str, str]) -> str:
    synthetic = "SYNTHETIC data" if is_synthetic(provenance) else "study data"
    return (f"{synthetic}; {provenance[schema.PROV_N_CONFIGURATIONS]} configurations from "
            f"experiment {provenance[schema.PROV_EXPERIMENT]}; built "
            f"{provenance[schema.PROV_CREATED_AT]} with {provenance[schema.PROV_CODE_VERSION]}")


def is_synthetic(provenance: dict[str, str]) -> bool:
    """Whether the database was built from a synthetic store (its provenance says so)."""
    return provenance[schema.PROV_SYNTHETIC] == "true"
