"""The sections of luigi.cfg this package reads ([plr], [heartbeat], [limits], [store_retry],
[extraction]) and the paths every target derives from [plr]. Settings only: the run decisions
they lead to are in store_listing.

Luigi names a config section after its class; the classes other than `plr` are named for what
they are and keep their section's name through `section_name`, so that no class reads like a
module (`extraction`) of the package. None has a task namespace: it would be part of the
section's name (`[stage.plr]`)."""

from __future__ import annotations

import functools
import math
import os
from pathlib import Path

import luigi
import luigi.configuration
import luigi.interface
from luigi.cmdline_parser import CmdlineParser

# luigi.cfg's [core] rpc_retry_attempts and rpc_retry_wait are read by Luigi's RemoteScheduler
# straight from the configuration, not through its `core` class, which would warn on every
# build that it does not consume them.
luigi.interface.core.ignore_unconsumed = {*luigi.interface.core.ignore_unconsumed,
                                          "rpc_retry_attempts", "rpc_retry_wait"}


class SectionSettings(luigi.Config):
    """A section of luigi.cfg, its values read once per state of the configuration; a class of
    another name than its section's sets `section_name` (Luigi takes the section's name from
    the task family).

    Luigi makes a Config by reading each of its parameters from the command line and luigi.cfg
    (with interpolation) every time one is asked for: ~0.6 ms for [plr], and a build asks
    thousands of times (every target's path derives from it), which was most of what a build
    with nothing to do cost (~5,000 asks, 3.2 s of CPU on the small test store). The values are
    read again whenever the section's text, [DEFAULT] or the command line changes (a test
    overriding a setting, `luigi --plr-data-dir ...`)."""

    section_name = ""

    @classmethod
    def get_task_family(cls):
        return cls.section_name or super().get_task_family()

    @classmethod
    def get_params(cls):
        return list(parameters_of(cls))

    @classmethod
    def get_param_values(cls, params, args, kwargs):
        if args or kwargs:
            return super().get_param_values(params, args, kwargs)
        config = luigi.configuration.get_config()
        sections = getattr(config, "_sections", None)  # configparser's raw text of a section
        if sections is None:  # another parser (TOML): read as Luigi does
            return super().get_param_values(params, args, kwargs)
        section = cls.get_task_family()
        return list(_values_of(cls, CmdlineParser.get_instance(), repr(sections.get(section)),
                               repr(config.defaults())))


@functools.cache
def parameters_of(cls: type[luigi.Task]) -> tuple:
    """Luigi's get_params of a task or config class, once: Luigi scans dir(cls) at each call,
    and calls it for every task made and every parameter string (~4,400 times planning a
    paper-size build). The project defines its parameters in class bodies only: a class's
    never change."""
    return tuple(luigi.Task.get_params.__func__(cls))


@functools.lru_cache(maxsize=64)
def _values_of(cls: type[luigi.Config], command_line: CmdlineParser | None,
               section_text: str, defaults_text: str) -> tuple:
    """Luigi's own reading of cls's values; the arguments after cls are what they are read
    from (the section's raw text and [DEFAULT]'s: what its interpolation can refer to)."""
    return tuple(luigi.Config.get_param_values.__func__(cls, cls.get_params(), (), {}))


class plr(SectionSettings):  # noqa: N801 -- Luigi maps the class name to the [plr] section
    tracking_uri = luigi.Parameter(
        description="MLflow store: a file-store path, sqlite:///path.db or http(s)://host:port; "
                    "empty: no store, the existing results database is used as it is")
    experiment = luigi.Parameter(default="PLR_Classification",
                                 description="name of the classification experiment")
    source_db = luigi.Parameter(default="",
                                description="subject source database (SQLite); empty: none")
    data_dir = luigi.Parameter(default="data", description="private, interim and public data")
    output_dir = luigi.Parameter(default="outputs", description="figures, tables, numbers")
    figure_dpi = luigi.IntParameter(
        default=0, description="resolution of the figures' PNGs (dots per inch); 0: "
                               "configs/figures.yaml's, the published one. A draft (the tests' "
                               "builds) draws faster at a lower one; drawn figures stay as they "
                               "are when it changes")
    figure_pdf = luigi.BoolParameter(
        default=True, description="a PDF of each figure beside its PNG (the supplement includes "
                                  "the PDFs). false: PNGs only, a draft that draws in about "
                                  "three quarters of the time (the tests' builds); a figure "
                                  "drawn again then loses its PDF, and true draws them again")

    def interim_dir(self) -> Path:
        return Path(self.data_dir) / "interim"

    def runs_dir(self) -> Path:
        """The classification runs' folders: <run_id>/<fingerprint> under it."""
        return self.interim_dir() / "runs"

    def run_dir(self, run_id: str, fingerprint: str) -> Path:
        return self.runs_dir() / run_id / fingerprint

    def upstream_dir(self) -> Path:
        """PRIVATE (imputation runs hold per-subject signals): the upstream runs' folders,
        <experiment>/<run_id>/<fingerprint> under it."""
        return Path(self.data_dir) / "private" / "upstream"

    def scratch_dir(self) -> Path:
        return self.interim_dir() / "scratch"

    def lookup_path(self) -> Path:
        return Path(self.data_dir) / "private" / "subject_lookup.csv"

    def run_list_cache_path(self, experiment: str | None = None) -> Path:
        """The cached run list of the classification experiment, or of another one."""
        name = f"run_list_{experiment}.json" if experiment else "run_list.json"
        return Path(self.data_dir) / "private" / name

    def database_path(self) -> Path:
        return Path(self.data_dir) / "public" / "plr_results.duckdb"

    def interpretation_database_path(self) -> Path:
        """Public: SHAP importance and VIF of the explained configurations."""
        return Path(self.data_dir) / "public" / "plr_interpretation.duckdb"

    def interpretation_dir(self, run_id: str, fingerprint: str) -> Path:
        return self.interim_dir() / "interpretation" / run_id / fingerprint

    def signals_database_path(self) -> Path:
        """PRIVATE: the imputation runs' per-subject reconstructed signals."""
        return Path(self.data_dir) / "private" / "plr_signals.duckdb"

    def history_path(self) -> Path:
        """What earlier builds' outputs showed (numbers, runs, data digests): kept across
        `make clean`, so a rebuild from scratch is still compared with the build before it."""
        return Path(self.data_dir) / "history" / "builds.json"

    def output_path(self, *parts: str) -> Path:
        return Path(self.output_dir).joinpath(*parts)


class HeartbeatSettings(SectionSettings):
    """[heartbeat]: the build's progress lines."""

    section_name = "heartbeat"

    interval = luigi.FloatParameter(
        default=10.0, description="seconds between heartbeat lines during extraction and merge; "
                                  "0: none")


class LimitSettings(SectionSettings):
    """[limits]: when a running extraction or merge is stopped."""

    section_name = "limits"

    memory_mb = luigi.FloatParameter(
        default=4096.0, description="resident memory (MB) an ExtractRun or MergeToDuckDB may use "
                                    "before it is stopped; 0: no limit")
    stall_seconds = luigi.FloatParameter(
        default=900.0, description="seconds an ExtractRun or MergeToDuckDB may go without "
                                   "progress before it is stopped; 0: never")


class StoreRetrySettings(SectionSettings):
    """[store_retry]: listing the store again after a transient error."""

    section_name = "store_retry"

    attempts = luigi.IntParameter(
        default=5, description="tries of listing the store's runs while the graph is planned, "
                               "while it fails transiently (server unreachable); 1: no retry")
    first_delay_seconds = luigi.FloatParameter(
        default=2.0, description="wait before the second try; doubled before each further one")


# [extraction] batch_size = 0: the runs of each kind left to extract in one batch per usable
# core, of at most this many runs.
MAX_RUNS_PER_BATCH = 500


def usable_cores() -> int:
    """The cores this process may run on (its affinity, where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class ExtractionSettings(SectionSettings):
    """[extraction]: how many runs one ExtractRun task extracts."""

    section_name = "extraction"

    batch_size = luigi.IntParameter(
        default=0, description="runs one ExtractRun task extracts in one go (Luigi's batching: "
                               "one process, one scheduling round per batch); 0: automatic, "
                               "the runs left to extract in one batch per core this process "
                               "may use, from 1 to "
                               f"{MAX_RUNS_PER_BATCH} runs a batch")

    def runs_per_task(self, n_runs: int) -> int:
        # Automatic: with several workers Luigi forks a process per batch, and each faults in
        # its working set afresh (~45 MB for a classification batch, ~130 MB for an imputation
        # one at paper size): one batch per core. The batches of a kind help each other once
        # their own runs are done (plr_luigi.extraction.batch), so every core stays busy to the
        # end (four smaller batches per core left one worker idle 0.6-1.3 s at the end:
        # BENCHMARKS.md §2). One worker runs them in its own process, where their size changes
        # nothing. At most MAX_RUNS_PER_BATCH runs a batch keep the batch's parameter (its run
        # ids) small in luigid, and 10,000 runs 20 scheduling rounds, not 10,000 (Luigi's
        # get_work walks every task); the batches beyond one per core find their runs
        # extracted by the helpers.
        if self.batch_size:
            return self.batch_size
        return min(MAX_RUNS_PER_BATCH, max(1, math.ceil(n_runs / usable_cores())))
