"""The `[plr]` section of luigi.cfg, and the paths every target derives from it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import luigi

from plr_luigi.factors import load_factor_registry
from plr_luigi.inventory import RunDecision, decide_runs
from plr_luigi.store import list_runs


class plr(luigi.Config):  # noqa: N801 -- Luigi maps the class name to the [plr] section
    tracking_uri = luigi.Parameter(
        description="MLflow store: a file-store path, sqlite:///path.db or http(s)://host:port")
    experiment = luigi.Parameter(default="PLR_Classification",
                                 description="name of the classification experiment")
    source_db = luigi.Parameter(default="",
                                description="subject source database (SQLite); empty: none")
    data_dir = luigi.Parameter(default="data", description="private, interim and public data")
    output_dir = luigi.Parameter(default="outputs", description="figures, tables, numbers")

    def interim_dir(self) -> Path:
        return Path(self.data_dir) / "interim"

    def run_dir(self, run_id: str) -> Path:
        return self.interim_dir() / "runs" / run_id

    def scratch_dir(self) -> Path:
        return self.interim_dir() / "scratch"

    def lookup_path(self) -> Path:
        return Path(self.data_dir) / "private" / "subject_lookup.csv"

    def database_path(self) -> Path:
        return Path(self.data_dir) / "public" / "plr_results.duckdb"

    def output_path(self, *parts: str) -> Path:
        return Path(self.output_dir).joinpath(*parts)


@lru_cache(maxsize=8)
def _decisions(tracking_uri: str, experiment: str) -> tuple[RunDecision, ...]:
    return tuple(decide_runs(list_runs(tracking_uri, experiment), load_factor_registry()))


def run_decisions() -> tuple[RunDecision, ...]:
    """What to do with each run of the configured experiment: listed once per process, since
    Luigi calls requires() repeatedly and listing a file store reads every run."""
    config = plr()
    return _decisions(config.tracking_uri, config.experiment)
