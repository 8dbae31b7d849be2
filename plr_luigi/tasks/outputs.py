"""Output tasks: each reads only the results database and writes one figure, table or file."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
from functools import lru_cache
from pathlib import Path

import luigi

from plr_luigi import schema
from plr_luigi.atomic import atomic_paths
from plr_luigi.database import connect_read_only, read_provenance, read_provenance_of
from plr_luigi.factors import CONFIGS_DIR
from plr_luigi.tasks.config import plr
from plr_luigi.tasks.merge import MergeToDuckDB

logger = logging.getLogger(__name__)

# Configuration files whose edits make every output stale (factors.yaml acts through the
# database: it decides which runs are extracted).
STAMPED_CONFIGS = ("figures.yaml", "pipelines.yaml")


class DatabaseOutput(luigi.Task):
    """Base of the output tasks: requires the database (and whatever a subclass adds), opens it
    read-only.

    Complete while its files exist, every requirement is complete (the database: built from the
    store's current runs) and the stamp written after its last run names the same database
    content and the same figure/pipeline configuration: a rebuilt database or an edited config
    makes it stale.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "run" in cls.__dict__:
            cls.run = _skip_when_complete(cls.__dict__["run"])

    def requires(self):
        return MergeToDuckDB()

    @staticmethod
    def database_path() -> Path:
        return Path(MergeToDuckDB().output().path)

    @contextlib.contextmanager
    def database(self):
        con = connect_read_only(self.database_path())
        try:
            yield con, read_provenance(con)
        finally:
            con.close()

    def stamp_path(self) -> Path:
        return plr().output_path(".stamps", f"{self.task_id}.json")

    def current_stamp(self) -> dict[str, str]:
        provenance = read_provenance_of(self.database_path())
        # The database's content, not its file: a merge repeated on the same runs (two workers
        # racing on luigid can both run it) gives the same digest and keeps outputs current.
        return {"database": provenance[schema.PROV_INVENTORY_DIGEST], "configs": configs_digest()}

    def complete(self):
        if not super().complete():
            return False
        if not all(task.complete() for task in luigi.task.flatten(self.requires())):
            return False
        try:
            recorded = json.loads(self.stamp_path().read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return False
        return recorded == self.current_stamp()


def _skip_when_complete(run):
    """Two worker processes on one luigid can both be handed a task (one re-adds it as pending
    before the other finishes it); the second then finds it complete and leaves its files, and
    so the privacy audit of them, alone."""

    @functools.wraps(run)
    def run_unless_complete(self):
        if luigi.task.flatten(self.output()) and self.complete():
            logger.info("%r was completed by another worker meanwhile", self)
            return None
        return run(self)

    return run_unless_complete


@DatabaseOutput.event_handler(luigi.Event.SUCCESS)
def _write_stamp(task: DatabaseOutput) -> None:
    """After a successful run, record what the outputs were built from (see DatabaseOutput).
    A kill before this leaves outputs without a stamp: stale, so rebuilt, never trusted."""
    if not luigi.task.flatten(task.output()):
        return
    stamp = json.dumps(task.current_stamp())
    path = task.stamp_path()
    if path.is_file() and path.read_text(encoding="utf-8") == stamp:
        return  # unchanged: rewriting would only make the public files look changed
    with atomic_paths({"stamp": path}) as tmp:
        tmp["stamp"].write_text(stamp, encoding="utf-8")


@lru_cache(maxsize=1)
def configs_digest() -> str:
    """The configuration files outputs are drawn with (figures.yaml, pipelines.yaml)."""
    digest = hashlib.sha256()
    for name in STAMPED_CONFIGS:
        digest.update((CONFIGS_DIR / name).read_bytes())
    return digest.hexdigest()[:16]


def _subset_for(factor: str) -> dict[str, str]:
    """The comparison subset (figures.yaml) without the factor being compared."""
    from plr_luigi.figures.style import load_figure_config

    subset = load_figure_config()["comparison_subset"]
    return {f: level for f, level in subset.items() if f != factor}


def _subset_label(subset: dict[str, str]) -> str:
    from plr_luigi.figures.style import display_name

    return ", ".join(display_name(f, level) for f, level in subset.items()) or "all"


def _write_text(target: luigi.LocalTarget, text: str) -> None:
    with target.open("w") as fh:  # LocalTarget writes to a temporary file, renamed on close
        fh.write(text)


FIGURE_EXTENSIONS = ("png", "pdf", "json")


def _synthetic(provenance: dict[str, str]) -> bool:
    return provenance[schema.PROV_SYNTHETIC] == "true"


def figure_data(name: str, query: str, provenance: dict[str, str], data, **extra) -> dict:
    """The JSON written beside a figure: what it is, where its numbers came from, and exactly
    the data it plots (`data`)."""
    from plr_luigi.figures.style import load_figure_config

    return {"figure": name, "query": query, "synthetic": _synthetic(provenance),
            "provenance": provenance, "dpi": load_figure_config()["dpi"], **extra, "data": data}


class FigureOutput(DatabaseOutput):
    """Base of the figure tasks: PNG, PDF and JSON under figures/, named by figure_name()."""

    def figure_name(self) -> str:
        raise NotImplementedError

    def output(self):
        stem = plr().output_path("figures", self.figure_name())
        return {ext: luigi.LocalTarget(f"{stem}.{ext}") for ext in FIGURE_EXTENSIONS}


def save_figure(fig, data: dict, targets: dict[str, luigi.LocalTarget]) -> None:
    """PNG, PDF and the JSON of the plotted data, each written atomically."""
    import matplotlib.pyplot as plt

    with atomic_paths({k: Path(t.path) for k, t in targets.items()}) as paths:
        fig.savefig(paths["png"], dpi=data["dpi"], format="png")
        fig.savefig(paths["pdf"], format="pdf")
        Path(paths["json"]).write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
    plt.close(fig)


class NumbersTex(DatabaseOutput):
    """Reads the database; writes numbers.tex, one macro per number the text quotes."""

    def output(self):
        return luigi.LocalTarget(str(plr().output_path("numbers.tex")))

    def run(self):
        from plr_luigi import numbers
        from plr_luigi.figures.style import load_figure_config
        from plr_luigi.provenance import provenance_line

        cd = load_figure_config()["critical_difference"]
        with self.database() as (con, provenance):
            specs = numbers.number_specs(numbers.classifiers_in(con), cd["top_n"], cd["alpha"])
            values = numbers.compute_numbers(con, specs)
        _write_text(self.output(), numbers.render_numbers_tex(
            values, _synthetic(provenance), provenance_line(provenance)))


class ExtractionReport(DatabaseOutput):
    """Reads the extraction_report table; writes it as a readable Markdown file."""

    def output(self):
        return luigi.LocalTarget(str(plr().output_path("extraction_report.md")))

    def run(self):
        from plr_luigi.provenance import provenance_line
        from plr_luigi.report import render_report_markdown

        with self.database() as (con, provenance):
            report = con.execute(f"SELECT * FROM {schema.EXTRACTION_REPORT.name}").df()
        _write_text(self.output(), render_report_markdown(report, provenance_line(provenance)))


class AllRunsExtracted(DatabaseOutput):
    """Reads the extraction report; fails the build while any run failed extraction, so that
    the exit code tells CI (every other output is still built)."""

    # A failed run stays failed until its data is fixed: retrying within the build only waits.
    retry_count = 1

    def _failed_runs(self) -> list[tuple[str, str]]:
        with self.database() as (con, _):
            return con.execute(f"SELECT run_name, reason FROM {schema.EXTRACTION_REPORT.name} "
                               "WHERE outcome = 'failed' ORDER BY run_name").fetchall()

    def complete(self):
        return self.requires().complete() and not self._failed_runs()

    def run(self):
        failed = self._failed_runs()
        if not failed:
            return  # scheduled before the database existed; it holds no failure
        raise RuntimeError(f"{len(failed)} runs failed extraction (see the extraction report):\n"
                           + "\n".join(f"  {name}: {reason}" for name, reason in failed))
