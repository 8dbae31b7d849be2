"""PrivacyAudit: the last check before anything is shared."""

from __future__ import annotations

import json
from pathlib import Path

import luigi

from plr_luigi.build.file_digest import stat_digest
from plr_luigi.tasks.config import plr
from plr_luigi.tasks.database import MergeToDuckDB
from plr_luigi.tasks.report import public_outputs
from plr_luigi.tasks.run_once import RunOnceTask


class PrivacyLeakError(RuntimeError):
    """A public output holds an original subject code."""


def _public_files() -> list[Path]:
    config = plr()
    audit = plr().output_path("privacy_audit.json")
    files = [p for p in Path(config.output_dir).rglob("*") if p.is_file() and p != audit]
    return sorted([config.database_path(), *files])


class PrivacyAudit(RunOnceTask):
    """Reads every public output (the database's text columns, every file under outputs/);
    writes privacy_audit.json listing what was checked, or fails naming each leaking file.
    Complete while the public files are the ones last audited."""

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
        from plr_luigi.database.privacy_scan import find_leaks_in_database, find_leaks_in_files
        from plr_luigi.database.results_database import connect_read_only

        files = _public_files()
        con = connect_read_only(plr().database_path())
        try:
            leaks = [f"{plr().database_path()}: {leak}" for leak in find_leaks_in_database(con)]
        finally:
            con.close()
        leaks += find_leaks_in_files(files)
        if leaks:
            raise PrivacyLeakError("original subject codes in public outputs:\n  "
                                   + "\n  ".join(leaks))
        with self.output().open("w") as fh:
            json.dump({"files_digest": stat_digest(files), "clean": [str(p) for p in files]},
                      fh, indent=1)
