"""Synthetic MLflow stores and finished builds made once per test run (made_once: shared by
pytest-xdist's workers) and copied, so that a test that changes one gets its own without
generating or building it again.

MLflow records absolute locations: a file store's run and experiment `meta.yaml`
(`artifact_uri`, `artifact_location`), a SQLite store's `runs.artifact_uri` and
`experiments.artifact_location`. A copy moved as it is would still read (and write) the
original's artifacts, so copy_store rewrites them to the copy's folder.

A copy shares its large artifacts (pickles of a megabyte or more: the upstream imputation
pickles are 55 MB each) with the store it was copied from, as hard links: a test that
changes one replaces it (replace_file), never writes into it, and check_shared_files_unchanged
fails the test that did.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from plr_luigi.synth.generate import SynthSummary
from support.settings import build_settings, plr_settings

SQLITE_PREFIX = "sqlite:///"
# The tests' small store (conftest.small_store): every quirk, the standard pipelines, the first
# cells of the critical-difference grids (three complete blocks each: design.CLASSIFIER_BLOCKS,
# design.CD_GRID_FIRST_OUTLIERS), 60
# bootstrap iterations.
SMALL_STORE = {"size": "demo", "seed": 3, "n_runs": 44, "n_bootstrap": 60,
               "model_pickle_bytes": 50_000}


def store_root(summary: SynthSummary) -> Path:
    """The folder generate_store wrote: the subjects database, and mlruns/ or mlflow.db."""
    return Path(summary.source_db).parent


def _rewrite_file_store(mlruns: Path, move: Callable[[str], str]) -> int:
    """Every meta.yaml rewritten by move (its text in, its new text out); returns how many
    changed."""
    changed = 0
    for meta in mlruns.rglob("meta.yaml"):
        text = meta.read_text(encoding="utf-8")
        moved = move(text)
        if moved != text:
            meta.write_text(moved, encoding="utf-8")
            changed += 1
    return changed


def _replace_root(text: str, old: Path, new: Path) -> str:
    # MLflow writes local paths plain and as file:// URIs (percent-quoted when needed).
    for before, after in ((quote(str(old)), quote(str(new))), (str(old), str(new))):
        text = text.replace(f"{before}/", f"{after}/")
    return text


def _rewrite_sqlite_store(db: Path, move: Callable[[str], str]) -> int:
    """Every run's and experiment's artifact location rewritten by move; returns how many
    changed."""
    with sqlite3.connect(db) as con:
        changed = 0
        for table, column, key in (("runs", "artifact_uri", "run_uuid"),
                                   ("experiments", "artifact_location", "experiment_id")):
            for row_key, value in con.execute(f"SELECT {key}, {column} FROM {table}").fetchall():
                moved = move(value or "")
                if moved != (value or ""):
                    con.execute(f"UPDATE {table} SET {column} = ? WHERE {key} = ?",
                                (moved, row_key))
                    changed += 1
    con.close()
    return changed


def _rewrite_store(tracking_uri: str, move: Callable[[str], str]) -> int:
    if tracking_uri.startswith(SQLITE_PREFIX):
        return _rewrite_sqlite_store(Path(tracking_uri.removeprefix(SQLITE_PREFIX)), move)
    return _rewrite_file_store(Path(tracking_uri), move)


def served_artifacts_folder(summary: SynthSummary) -> Path:
    """Where a generated store keeps its artifacts: a SQLite store's mlartifacts/, a file
    store's mlruns/ (synth.generate)."""
    uri = summary.tracking_uri
    if uri.startswith(SQLITE_PREFIX):
        return store_root(summary) / "mlartifacts"
    return Path(uri)


def serve_artifacts_through_server(summary: SynthSummary) -> Path:
    """A copied store's artifact locations (each run's and experiment's) rewritten as the
    proxied URIs (mlflow-artifacts:/...) that runs logged through `mlflow server
    --serve-artifacts --artifacts-destination FOLDER` get, FOLDER being the store's artifact
    folder (returned): served by such a server (servers.mlflow_server_of), every artifact is
    then read over HTTP. A SQLite store or a file store alike."""
    folder = served_artifacts_folder(summary).resolve()

    def served(text: str) -> str:
        # The file:// URI first: its path part would otherwise be replaced inside it.
        for local in (f"{folder.as_uri()}/", f"{folder}/"):
            text = text.replace(local, "mlflow-artifacts:/")
        return text

    if _rewrite_store(summary.tracking_uri, served) == 0:
        raise AssertionError(f"no artifact location under {folder} found to rewrite")
    return folder


SHARED_ARTIFACT_BYTES = 2**20


def link_large_artifacts(source: str, dest: str) -> None:
    """copytree's copy function: an artifact of SHARED_ARTIFACT_BYTES or more is hard-linked,
    everything else (meta.yaml, a SQLite store, which copy_store rewrites) copied."""
    if "artifacts" in Path(source).parts[-6:] and os.path.getsize(source) >= SHARED_ARTIFACT_BYTES:
        os.link(source, dest)
    else:
        shutil.copy2(source, dest)


def shared_files(folder: Path) -> dict[Path, tuple[int, int, int]]:
    """The files of a copied store that it shares with another: path -> (inode, size, mtime)."""
    found = {}
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            status = path.stat()
            if status.st_nlink > 1:
                found[path] = (status.st_ino, status.st_size, status.st_mtime_ns)
    return found


def check_shared_files_unchanged(shared: dict[Path, tuple[int, int, int]]) -> None:
    """Fails when a file that is still shared (same inode) was written to: the write changed
    the store every other test copies."""
    written = []
    for path, (inode, size, mtime) in shared.items():
        status = path.stat() if path.is_file() else None
        if status and status.st_ino == inode and (status.st_size, status.st_mtime_ns) != (
                size, mtime):
            written.append(str(path))
    if written:
        raise AssertionError(f"written into artifacts shared with the template store (use "
                             f"support.stores.replace_file): {written}")


def replace_file(path: Path, content: bytes) -> None:
    """path's content replaced by a new file: a hard-linked artifact's other copies keep theirs."""
    path.unlink()
    path.write_bytes(content)


def copy_store(summary: SynthSummary, dest: Path) -> SynthSummary:
    """A private copy of a generated store in dest (which must not exist), its absolute artifact
    locations pointing into the copy, its large artifacts shared (see above); the summary of
    the copy."""
    old, new = store_root(summary).resolve(), Path(dest).resolve()
    shutil.copytree(old, new, symlinks=True, copy_function=link_large_artifacts)
    uri = summary.tracking_uri
    if uri.startswith(SQLITE_PREFIX):
        db = Path(uri.removeprefix(SQLITE_PREFIX))
        uri = f"{SQLITE_PREFIX}{new / db.resolve().relative_to(old)}"
    else:
        uri = str(new / Path(uri).resolve().relative_to(old))
    if _rewrite_store(uri, lambda text: _replace_root(text, old, new)) == 0:
        raise AssertionError(f"no artifact location of {old} found to rewrite: "
                             "has MLflow changed where it records them?")
    return dataclasses.replace(summary, tracking_uri=uri,
                               source_db=new / Path(summary.source_db).resolve().relative_to(old))


def made_once(folder: Path, make: Callable[[Path], None]) -> Path:
    """folder, made by make(folder) once for all the processes that ask (pytest-xdist's
    workers): the first one makes it while holding a lock, the others wait for it and use it.
    A folder left half-made by a process that failed is made again."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.with_name(f".{folder.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        made = folder / ".made"
        if not made.is_file():
            if folder.exists():
                shutil.rmtree(folder)
            make(folder)
            made.touch()
    return folder


def save_summary(summary: SynthSummary, path: Path) -> None:
    path.write_text(json.dumps(dataclasses.asdict(summary), default=str), encoding="utf-8")


def load_summary(path: Path) -> SynthSummary:
    fields = json.loads(path.read_text(encoding="utf-8"))
    return SynthSummary(**{**fields, "source_db": Path(fields["source_db"])})


def copy_build(work: Path, dest: Path, store: SynthSummary) -> dict[str, str]:
    """A finished build (work/data, work/outputs) copied to dest/data and dest/outputs, as the
    build of store; returns its [plr] settings. Everything in it stays complete but the privacy
    audit, which names the files it read by path: it is run again, on the copy's files."""
    from plr_luigi.tasks import PrivacyAudit

    for part in ("data", "outputs"):
        shutil.copytree(work / part, dest / part, symlinks=True)
    settings = build_settings(store, dest)
    with plr_settings(**settings):
        PrivacyAudit().run()
    return settings
