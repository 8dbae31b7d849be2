"""The last steps before anything is shared: ReportPage (report.html, the page that shows every
output of the catalog) and PrivacyAudit (no original subject code, credential or private path in
any public output)."""

from __future__ import annotations

import json
from pathlib import Path

import luigi

from plr_luigi.filesystem.digest import stat_digest
from plr_luigi.tasks.base import RunOnceTask
from plr_luigi.tasks.catalog import manuscript_outputs
from plr_luigi.tasks.merge import MergeToDuckDB
from plr_luigi.tasks.output_base import DatabaseOutput, write_text
from plr_luigi.tasks.settings import plr
from plr_luigi.tasks.supplement import Supplement


class ReportPage(DatabaseOutput):
    """Reads every manuscript output, the database's provenance and extraction report and the
    build history; writes report.html (self-contained) and adds this build to the history."""

    task_namespace = "report"

    def requires(self):
        return {"database": MergeToDuckDB(), "outputs": manuscript_outputs()}

    def output(self):
        return luigi.LocalTarget(str(plr().output_path("report.html")))

    def run(self):
        from plr_luigi.database.queries import every_extracted_run
        from plr_luigi.report.report_build import build_report
        from plr_luigi.report.report_page import section_for

        sections = [section_for(task.published_files()) for task in self.requires()["outputs"]]
        with self.database() as (con, provenance):
            report = every_extracted_run(con)
        write_text(self.output(), build_report(sections, provenance, self.database_path(),
                                               report, plr().history_path(),
                                               Path(self.output().path).parent))


def public_outputs() -> list[luigi.Task]:
    """Everything a build publishes besides the database: the manuscript's outputs, the
    report page and the supplement (what the privacy audit reads)."""
    return [*manuscript_outputs(), ReportPage(), Supplement()]


class PrivacyLeakError(RuntimeError):
    """A public output holds an original subject code, a credential or a private path."""


def _private_paths() -> dict[str, Path]:
    """The configured paths no public output may name (plr_luigi.database.privacy_scan)."""
    from plr_luigi.store.mlflow_store import local_store_path

    config = plr()
    paths = {"the data folder's private/": Path(config.data_dir) / "private"}
    store = local_store_path(config.tracking_uri) if config.tracking_uri else None
    if store is not None:
        paths["the MLflow store"] = store
    if config.source_db:
        paths["the source database"] = Path(config.source_db)
    return paths


def _private_ages() -> dict[str, float]:
    """Each labelled subject's age by public code, read from the PRIVATE source database and
    lookup (empty without them): what no public output may pair with its subject."""
    import pandas as pd

    from plr_luigi.extraction.cohort_summary import ages_by_public_code, read_source_subjects

    config = plr()
    if not config.source_db or not config.lookup_path().is_file():
        return {}
    lookup = pd.read_csv(config.lookup_path(), dtype={"original_code": str})
    return ages_by_public_code(lookup, read_source_subjects(Path(config.source_db)))


def _published_name(path: Path) -> str:
    """A public file's path under outputs/, or the database as public/<name>."""
    output_dir = Path(plr().output_dir)
    if path.is_relative_to(output_dir):
        return str(path.relative_to(output_dir))
    return f"{path.parent.name}/{path.name}"


def _public_files() -> list[Path]:
    config = plr()
    audit = plr().output_path("privacy_audit.json")
    files = [p for p in Path(config.output_dir).rglob("*") if p.is_file() and p != audit]
    return sorted([*_public_databases(), *files])


def _public_databases() -> list[Path]:
    """The results database and, where one was built, the interpretation database."""
    interpretation = plr().interpretation_database_path()
    return [plr().database_path(), *([interpretation] if interpretation.is_file() else [])]


class PrivacyAudit(RunOnceTask):
    """Reads every public output (the database's text columns, every file under outputs/);
    writes privacy_audit.json listing what was checked, or fails naming each leaking file and
    what it holds (an original subject code, credential-shaped text, a configured private path,
    a subject's age: plr_luigi.database.privacy_scan).
    Complete while the public files are the ones last audited."""

    task_namespace = "report"

    # A leak stays a leak until the output is fixed: retrying within the build only waits.
    retry_count = 1

    def requires(self):
        return [MergeToDuckDB(), *public_outputs()]

    def output(self):
        return luigi.LocalTarget(str(plr().output_path("privacy_audit.json")))

    def complete(self):
        # Outputs that are stale now will be rewritten later in this build: not audited yet.
        if not all(task.complete() for task in self.requires()):
            return False
        try:
            recorded = json.loads(Path(self.output().path).read_text(encoding="utf-8"))
            return recorded["files_digest"] == stat_digest(_public_files())
        except (FileNotFoundError, ValueError, KeyError):
            return False

    def run(self):
        from plr_luigi.database.privacy_scan import (
            find_age_leaks_in_database,
            find_age_leaks_in_files,
            find_leaks_in_database,
            find_leaks_in_files,
        )
        from plr_luigi.database.results_database import connect_read_only

        files, private, ages = _public_files(), _private_paths(), _private_ages()
        leaks = []
        for database in _public_databases():
            con = connect_read_only(database)
            try:
                leaks += [f"{database}: {leak}" for leak in
                          [*find_leaks_in_database(con, private),
                           *find_age_leaks_in_database(con, ages)]]
            finally:
                con.close()
        leaks += find_leaks_in_files(files, private) + find_age_leaks_in_files(files, ages)
        if leaks:
            raise PrivacyLeakError("public outputs hold what must not be published:\n  "
                                   + "\n  ".join(leaks))
        with self.output().open("w") as fh:
            # Named as a reader of the outputs finds them: this file is published too, and
            # the absolute paths may name the operator's home.
            json.dump({"files_digest": stat_digest(files),
                       "clean": [_published_name(p) for p in files]}, fh, indent=1)
