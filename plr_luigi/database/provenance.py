"""Provenance of a build: code version, time, source, and whether the data is synthetic."""

from __future__ import annotations

import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

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


def build_provenance(tracking_uri: str, experiment: str, synthetic: bool, n_runs_seen: int,
                     n_configurations: int, source_db_used: bool,
                     inventory: str) -> dict[str, str]:
    return {
        schema.PROV_INVENTORY_DIGEST: inventory,
        schema.PROV_CREATED_AT: datetime.now(timezone.utc).isoformat(timespec="seconds"),
        schema.PROV_TRACKING_URI: tracking_uri,
        schema.PROV_EXPERIMENT: experiment,
        schema.PROV_CODE_VERSION: code_version(),
        schema.PROV_SYNTHETIC: "true" if synthetic else "false",
        schema.PROV_N_RUNS_SEEN: str(n_runs_seen),
        schema.PROV_N_CONFIGURATIONS: str(n_configurations),
        schema.PROV_SOURCE_DB: "true" if source_db_used else "false",
    }


def provenance_line(provenance: dict[str, str]) -> str:
    synthetic = "SYNTHETIC data" if is_synthetic(provenance) else "study data"
    return (f"{synthetic}; {provenance[schema.PROV_N_CONFIGURATIONS]} configurations from "
            f"experiment {provenance[schema.PROV_EXPERIMENT]}; built "
            f"{provenance[schema.PROV_CREATED_AT]} with {provenance[schema.PROV_CODE_VERSION]}")


def is_synthetic(provenance: dict[str, str]) -> bool:
    """Whether the database was built from a synthetic store (its provenance says so)."""
    return provenance[schema.PROV_SYNTHETIC] == "true"
