"""PrivacyAudit: the last check before anything is shared."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import luigi

from plr_luigi.tasks.config import plr
from plr_luigi.tasks.merge import MergeToDuckDB


class PrivacyLeakError(RuntimeError):
    """A public output holds an original subject code."""


def _public_files() -> list[Path]:
    config = plr()
    audit = plr().output_path("privacy_audit.json")
    files = [p for p in Path(config.output_dir).rglob("*") if p.is_file() and p != audit]
    return sorted([config.database_path(), *files])


def _files_digest(files: list[Path]) -> str:
    """Changes when any public file is added, removed or rewritten (stat calls only)."""
    digest = hashlib.sha256()
    for path in files:
        stat = path.stat()
        digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


class PrivacyAudit(luigi.Task):
    """Reads every public output (the database's text columns, every file under outputs/);
    writes privacy_audit.json listing what was checked, or fails naming each leaking file.
    Complete while the public files are the ones last audited."""

    # A leak stays a leak until the output is fixed: retrying within the build only waits.
    retry_count = 1

    def requires(self):
        from plr_luigi.tasks.outputs import AllRunsExtracted
        from plr_luigi.tasks.reproduce import ReproduceAll

        # Every output ReproduceAll builds, whatever it grows to; failed runs must not keep
        # the outputs that were built from the rest from being audited.
        return [MergeToDuckDB(), *(t for t in ReproduceAll().requires()
                                   if not isinstance(t, PrivacyAudit | AllRunsExtracted))]

    def output(self):
        return luigi.LocalTarget(str(plr().output_path("privacy_audit.json")))

    def complete(self):
        # Outputs that are stale now will be rewritten later in this build: not audited yet.
        if not all(task.complete() for task in self.requires()):
            return False
        try:
            recorded = json.loads(Path(self.output().path).read_text(encoding="utf-8"))
            return recorded["files_digest"] == _files_digest(_public_files())
        except (FileNotFoundError, ValueError, KeyError):
            return False

    def run(self):
        from plr_luigi.database import connect_read_only
        from plr_luigi.privacy import find_leaks_in_database, find_leaks_in_files

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
            json.dump({"files_digest": _files_digest(files), "clean": [str(p) for p in files]},
                      fh, indent=1)
