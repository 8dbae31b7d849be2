"""An MLflow file store read from its folders, without importing MLflow.

Importing mlflow costs ~1.1 s of CPU beyond pandas (it loads its GenAI, gateway and dataset
modules with it), in every build that lists a changed store and in the process that extracts
the upstream runs; a file store, the study's kind, needs none of it. The layout is MLflow's
(../shared/reference/mlflow-store.md): `<root>/<experiment id>/meta.yaml`, deleted experiments
under `<root>/.trash/`, and per run `<experiment>/<run id>/meta.yaml` (its info; the status as
MLflow's integer code), `params/<name>`, `tags/<name>` (a file each, its text the value; a name
with `/` is a subfolder) and `metrics/<name>` (a line `timestamp value [step]` per logged value).
Each rule below is the one MLflow 3.x's FileStore applies, and
tests/store/test_file_store_reader.py checks the runs read here equal MLflow's search_runs
and get_run on the test stores. SQLite stores and tracking servers are read through MLflow
(plr_luigi.store.mlflow_store).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

META_FILE = "meta.yaml"
TRASH_FOLDER = ".trash"
# Folders of an experiment's folder that hold no run (MLflow's RESERVED_EXPERIMENT_FOLDERS).
NOT_RUNS = frozenset({"tags", "datasets", "traces", "models"})
# MLflow's RunStatus codes as its file store writes them; a run without one is RUNNING.
STATUS_NAMES = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}


class FileStoreError(RuntimeError):
    """The store's folders cannot be read as MLflow wrote them (the message says which file)."""


@dataclass(frozen=True)
class FileRun:
    """One run as its folder records it: meta.yaml's fields, params and tags."""

    folder: Path
    info: dict
    params: dict[str, str]
    tags: dict[str, str]

    @property
    def run_id(self) -> str:
        return self.info["run_id"]

    @property
    def status(self) -> str:
        code = self.info.get("status", 1)
        if code not in STATUS_NAMES:
            raise FileStoreError(f"run folder {self.folder}: unknown status code {code!r}")
        return STATUS_NAMES[code]

    @property
    def lifecycle_stage(self) -> str:
        return self.info.get("lifecycle_stage") or "active"

    def latest_metric(self, name: str) -> float | None:
        """The metric's latest value as MLflow defines it, or None where the run logged none."""
        path = self.folder / "metrics" / name
        return latest_value(path) if path.is_file() else None

    def latest_metrics(self) -> dict[str, float]:
        """Every metric the run logged, by name, at its latest value."""
        return {name: latest_value(path) for name, path in _named_files(self.folder / "metrics")}


def _read_yaml(path: Path):
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's: ~10x faster
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=loader)


def _named_files(folder: Path) -> list[tuple[str, str]]:
    """(name, file path) of every file under folder, the name its path relative to it.
    Strings, not Path objects: a paper-size store has ~19 files per run, and building and
    relativising a Path for each was over a third of the time listing it took (profiled)."""
    found, root = [], os.fspath(folder)
    for parent, _, files in os.walk(root):
        prefix = os.path.relpath(parent, root).replace(os.sep, "/") + "/" if parent != root \
            else ""
        found.extend((prefix + name, os.path.join(parent, name)) for name in files)
    return found


def _values(folder: Path) -> dict[str, str]:
    # Read as MLflow reads them: the whole file, UTF-8, no newline translation.
    values = {}
    for name, path in _named_files(folder):
        with open(path, "rb") as fh:
            values[name] = fh.read().decode("utf-8")
    return values


def latest_value(path: Path | str) -> float:
    """The latest value of a metric file: the largest (step, timestamp, value) of its lines.
    FileStoreError where a line has not 2, 3 or 5 fields or the file none."""
    logged = []
    with open(path, "rb") as fh:
        lines = fh.read().decode("utf-8").splitlines()
    for line in lines:
        parts = line.strip().split(" ")
        if len(parts) not in (2, 3, 5):
            raise FileStoreError(f"metric file {path} is malformed: a line of {len(parts)} "
                                 "fields (expected 2, 3 or 5)")
        step = int(parts[2]) if len(parts) == 3 else 0
        logged.append((step, int(parts[0]), float(parts[1])))
    if not logged:
        raise FileStoreError(f"metric file {path} holds no value")
    return max(logged)[2]


def _experiment_folders(root: Path) -> list[tuple[str, Path]]:
    """(name, folder) of every experiment, deleted ones included; folders without a readable
    meta.yaml (`models`, `.trash` itself) are not experiments."""
    found = []
    for parent in (root, root / TRASH_FOLDER):
        for meta in sorted(parent.glob(f"*/{META_FILE}")):
            info = _read_yaml(meta)
            # MLflow ignores an experiment whose meta.yaml names another id, with a warning
            if isinstance(info, dict) and "name" in info and \
                    str(info.get("experiment_id")) == meta.parent.name:
                found.append((str(info["name"]), meta.parent))
    return found


def experiment_folder(root: Path, name: str) -> Path | None:
    """The folder of the experiment named name, or None where there is none."""
    return next((folder for found, folder in _experiment_folders(root) if found == name), None)


def experiment_names(root: Path) -> list[str]:
    return sorted(name for name, _ in _experiment_folders(root))


def read_run(folder: Path) -> FileRun | None:
    """The run of folder, or None where it holds no run: no meta.yaml (MLflow skips it too),
    or one naming another experiment (MLflow ignores it with a warning)."""
    meta = folder / META_FILE
    if not meta.is_file():
        return None
    info = _read_yaml(meta)
    if not isinstance(info, dict):
        raise FileStoreError(f"run metadata {meta} is empty or not a mapping")
    if "run_uuid" in info and "run_id" not in info:
        info["run_id"] = info["run_uuid"]  # MLflow's old name for it
    if str(info.get("experiment_id")) != folder.parent.name:
        logger.warning("run folder %s records experiment %s: ignored, as MLflow ignores it",
                       folder, info.get("experiment_id"))
        return None
    info["experiment_id"] = str(info["experiment_id"])
    return FileRun(folder, info, _values(folder / "params"), _values(folder / "tags"))


def experiment_runs(experiment: Path) -> list[FileRun]:
    """Every run of the experiment's folder, deleted and unfinished ones included."""
    runs = []
    for entry in sorted(os.scandir(experiment), key=lambda e: e.name):
        if entry.name in NOT_RUNS or not entry.is_dir():
            continue
        run = read_run(Path(entry.path))
        if run is not None:
            runs.append(run)
    return runs


def find_run(root: Path, run_id: str) -> FileRun:
    """The run run_id of any experiment, deleted ones included; FileStoreError if none."""
    for _, experiment in _experiment_folders(root):
        if (experiment / run_id / META_FILE).is_file():
            run = read_run(experiment / run_id)
            if run is not None and run.run_id == run_id:
                return run
    raise FileStoreError(f"run {run_id} not found in the file store {root}")
