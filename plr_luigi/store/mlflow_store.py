"""Reading the MLflow store: which runs exist, their metadata, and their artifacts.

Works unchanged on a file store (a path or `file:` URI), a SQLite store (`sqlite:///...`) and a
tracking server (`http(s)://...`); a file store's runs are read from its folders without
importing MLflow (plr_luigi.store.file_store_reader), the others' through MLflow's client.
Facts it relies on (../shared/reference/mlflow-store.md):
- MLflow 3.x refuses to open a file store unless MLFLOW_ALLOW_FILE_STORE=true.
- `search_runs` on a file store loads every run on every call, so pagination is quadratic:
  the runs are enumerated with one call of the largest page size.
- `MlflowClient.download_artifacts` without `dst_path` leaks a temp folder per call; local
  artifacts are read in place and remote ones downloaded into a folder the caller deletes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from plr_luigi.filesystem.digest import stat_digest
from plr_luigi.store import file_store_reader
from plr_luigi.study.schema import HYPERPARAMETER_PARAM_PREFIX
from plr_luigi.study.subject_codes import ORIGINAL_CODE

logger = logging.getLogger(__name__)

SYNTHETIC_TAG = "plr.synthetic"
# The one metric the listing reads: the run's test AUROC as it logged it (the mean of its
# bootstrap AUROCs), what the study's duplicate rule compares (schema.DUPLICATE_RUNS).
LOGGED_AUROC_METRIC = "test/AUROC"
# MLflow's largest page: one call returns the whole experiment (see the module docstring).
_MAX_RESULTS = 50_000


class StoreError(RuntimeError):
    """The store or experiment cannot be read (path missing, experiment absent, ...)."""


class MissingArtifactError(FileNotFoundError):
    """A run lacks an artifact the extraction needs."""


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    run_name: str
    status: str  # FINISHED, FAILED, RUNNING, KILLED, SCHEDULED
    lifecycle_stage: str  # active or deleted
    start_time: int | None
    end_time: int | None
    artifact_uri: str
    synthetic: bool
    prevalence: float | None
    # Original subject codes from the run's params: private, used only for the subject lookup.
    subject_codes: frozenset[str] = field(repr=False, default=frozenset())
    experiment_id: str = ""
    # The classifier hyperparameters the run logged: (name without `hparam_`, value), sorted.
    hyperparameters: tuple[tuple[str, str], ...] = ()
    # Its LOGGED_AUROC_METRIC (None where it logged none).
    logged_auroc: float | None = None


def _scheme(uri: str) -> str:
    # `mlflow-artifacts:/1/<run>/artifacts` has a scheme but no `//`: look for any scheme.
    match = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]+):", uri)
    return match.group(1).lower() if match else ""


def normalise_tracking_uri(tracking_uri: str) -> str:
    """A bare path becomes an absolute file-store path; URIs pass through unchanged."""
    if _scheme(tracking_uri):
        return tracking_uri
    return str(Path(tracking_uri).expanduser().resolve())


def _local_store_path(uri: str) -> Path | None:
    """The local folder a file-store or artifact URI points at; None for remote ones."""
    scheme = _scheme(uri)
    if scheme == "file":
        return Path(unquote(urlparse(uri).path))
    if scheme == "":
        return Path(uri)
    return None


def local_store_path(tracking_uri: str) -> Path | None:
    """The absolute folder of a file store or file of a SQLite store; None for a server."""
    uri = normalise_tracking_uri(tracking_uri)
    if uri.startswith("sqlite:///"):
        return Path(unquote(uri.removeprefix("sqlite:///"))).expanduser().resolve()
    local = _local_store_path(uri)
    return local.resolve() if local is not None else None


def make_client(tracking_uri: str):
    """An MlflowClient for the store; a local file store that does not exist is an error
    (MLflow would silently create an empty one)."""
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    tracking_uri = normalise_tracking_uri(tracking_uri)
    file_store_root(tracking_uri)  # raises for a file store's folder that does not exist
    if tracking_uri.startswith("sqlite:///"):
        db_file = Path(tracking_uri[len("sqlite:///"):])
        if not db_file.is_file():
            raise StoreError(f"MLflow SQLite store does not exist: {db_file}")
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri)


def resolve_artifact_uri(artifact_uri: str, tracking_uri: str) -> str:
    """A run's artifact URI that can be read without a global tracking URI.

    A tracking server serving artifacts reports `mlflow-artifacts:/<exp>/<run>/artifacts`,
    which MLflow resolves against the *process-wide* tracking URI (by default
    sqlite:///mlflow.db in the working directory, so downloads fail). Resolved here against
    the store's own URI, it becomes the server's plain HTTP artifact URL.
    """
    if _scheme(artifact_uri) != "mlflow-artifacts" or _scheme(tracking_uri) not in ("http",
                                                                                       "https"):
        return artifact_uri
    from mlflow.store.artifact.mlflow_artifacts_repo import MlflowArtifactsRepository

    return MlflowArtifactsRepository.resolve_uri(artifact_uri, tracking_uri)


def _summary(*, run_id: str, run_name: str, status: str, lifecycle_stage: str,
             start_time: int | None, end_time: int | None, artifact_uri: str,
             experiment_id: str, params: dict[str, str], tags: dict[str, str],
             logged_auroc: float | None, tracking_uri: str) -> RunSummary:
    codes = frozenset(ORIGINAL_CODE.findall(params.get("codes_train", "")
                                             + " " + params.get("codes_test", "")))
    prevalence = params.get("glaucomaParam_prevalence")
    return RunSummary(
        run_id=run_id,
        run_name=run_name or tags.get("mlflow.runName", ""),
        status=status,
        lifecycle_stage=lifecycle_stage,
        start_time=start_time,
        end_time=end_time,
        artifact_uri=resolve_artifact_uri(artifact_uri, tracking_uri),
        synthetic=tags.get(SYNTHETIC_TAG, "").lower() == "true",
        prevalence=float(prevalence) if prevalence not in (None, "") else None,
        subject_codes=codes,
        experiment_id=experiment_id,
        hyperparameters=tuple(sorted(
            (name.removeprefix(HYPERPARAMETER_PARAM_PREFIX), str(value))
            for name, value in params.items() if name.startswith(HYPERPARAMETER_PARAM_PREFIX))),
        logged_auroc=logged_auroc,
    )


def _summarise(run, tracking_uri: str) -> RunSummary:
    """The summary of an MLflow Run entity."""
    info = run.info
    return _summary(run_id=info.run_id, run_name=info.run_name, status=info.status,
                    lifecycle_stage=info.lifecycle_stage, start_time=info.start_time,
                    end_time=info.end_time, artifact_uri=info.artifact_uri,
                    experiment_id=info.experiment_id, params=run.data.params,
                    tags=run.data.tags, logged_auroc=run.data.metrics.get(LOGGED_AUROC_METRIC),
                    tracking_uri=tracking_uri)


def _summarise_folder(run: file_store_reader.FileRun, tracking_uri: str) -> RunSummary:
    """The summary of a file store's run folder: the same fields search_runs would give."""
    info = run.info
    return _summary(run_id=run.run_id, run_name=info.get("run_name", ""), status=run.status,
                    lifecycle_stage=run.lifecycle_stage, start_time=info.get("start_time"),
                    end_time=info.get("end_time"), artifact_uri=info.get("artifact_uri", ""),
                    experiment_id=info["experiment_id"], params=run.params, tags=run.tags,
                    logged_auroc=_logged_auroc(run), tracking_uri=tracking_uri)


def _logged_auroc(run: file_store_reader.FileRun) -> float | None:
    """The run's LOGGED_AUROC_METRIC, or None where it logged none or its file is unreadable
    (the run's extraction reads its pickle and says what is wrong with it; the listing of
    every other run goes on)."""
    try:
        return run.latest_metric(LOGGED_AUROC_METRIC)
    except (ValueError, file_store_reader.FileStoreError) as err:
        logger.warning("run %s: unreadable %s metric (%s)", run.run_id, LOGGED_AUROC_METRIC, err)
        return None


def file_store_root(tracking_uri: str) -> Path | None:
    """The folder of a file store, which is read without MLflow
    (plr_luigi.store.file_store_reader); None for a SQLite store or a tracking server. A
    folder that does not exist is an error (MLflow would silently create an empty store)."""
    uri = normalise_tracking_uri(tracking_uri)
    root = None if uri.startswith("sqlite:") else _local_store_path(uri)
    if root is not None and not root.is_dir():
        raise StoreError(f"MLflow store path does not exist: {root}")
    return root


@contextlib.contextmanager
def _read_as_store_error() -> Iterator[None]:
    try:
        yield
    except file_store_reader.FileStoreError as err:
        raise StoreError(str(err)) from err


def _experiment_not_found(experiment_name: str, tracking_uri: str,
                          names: list[str]) -> StoreError:
    return StoreError(f"experiment {experiment_name!r} not found in {tracking_uri} "
                      f"(experiments there: {', '.join(names) or 'none'})")


def _list_folders(root: Path, experiment_name: str, tracking_uri: str) -> list[RunSummary]:
    with _read_as_store_error():
        experiment = file_store_reader.experiment_folder(root, experiment_name)
        if experiment is None:
            raise _experiment_not_found(experiment_name, tracking_uri,
                                        file_store_reader.experiment_names(root))
        return [_summarise_folder(run, tracking_uri)
                for run in file_store_reader.experiment_runs(experiment)]


def _list_through_mlflow(tracking_uri: str, experiment_name: str) -> list[RunSummary]:
    from mlflow.entities import ViewType

    client = make_client(tracking_uri)
    experiment = client.get_experiment_by_name(experiment_name)
    if experiment is None:
        raise _experiment_not_found(experiment_name, tracking_uri, sorted(
            e.name for e in client.search_experiments(view_type=ViewType.ALL)))
    runs = client.search_runs([experiment.experiment_id], run_view_type=ViewType.ALL,
                              max_results=_MAX_RESULTS)
    return [_summarise(run, tracking_uri) for run in runs]


def list_runs(tracking_uri: str, experiment_name: str) -> list[RunSummary]:
    """Every run of the experiment, deleted and unfinished ones included, oldest first."""
    root = file_store_root(tracking_uri)
    summaries = (_list_folders(root, experiment_name, tracking_uri) if root is not None
                 else _list_through_mlflow(tracking_uri, experiment_name))
    if not summaries:
        # An empty database would look like a study without results: refuse to build one.
        raise StoreError(f"experiment {experiment_name!r} in {tracking_uri} has no runs: "
                         "nothing to build a results database from")
    summaries.sort(key=lambda r: (r.start_time or 0, r.run_id))
    logger.info("store %s, experiment %s: %d runs", tracking_uri, experiment_name, len(summaries))
    return summaries


def get_run(tracking_uri: str, run_id: str) -> tuple[RunSummary, dict[str, float]]:
    """One run's summary and every metric it logged (at its latest value), whatever its
    experiment."""
    root = file_store_root(tracking_uri)
    if root is not None:
        with _read_as_store_error():
            run = file_store_reader.find_run(root, run_id)
            return _summarise_folder(run, tracking_uri), run.latest_metrics()
    found = make_client(tracking_uri).get_run(run_id)
    return _summarise(found, normalise_tracking_uri(tracking_uri)), dict(found.data.metrics)


def get_run_summary(tracking_uri: str, run_id: str) -> RunSummary:
    return get_run(tracking_uri, run_id)[0]


def list_artifact_names(tracking_uri: str, run: RunSummary, folder: str) -> list[str]:
    """The names of the artifacts in one folder of the run's artifacts (none where it has no
    such folder)."""
    local_root = _local_store_path(run.artifact_uri)
    if local_root is not None:
        path = local_root / folder
        return sorted(os.listdir(path)) if path.is_dir() else []
    return [Path(a.path).name
            for a in make_client(tracking_uri).list_artifacts(run.run_id, folder)]


def run_page_url(tracking_uri: str, run: RunSummary) -> str | None:
    """The run's page in the MLflow UI where the store is a tracking server, else None."""
    if _scheme(tracking_uri) not in ("http", "https"):
        return None
    return f"{tracking_uri.rstrip('/')}/#/experiments/{run.experiment_id}/runs/{run.run_id}"


def metrics_artifact_path(run_name: str) -> str:
    return f"metrics/metrics_{run_name}.pickle"


@contextlib.contextmanager
def local_artifact(run: RunSummary, artifact_path: str, scratch_dir: Path) -> Iterator[Path]:
    """A local path to one artifact of the run for the duration of the block.

    Local stores: the file itself, read in place (StoreError if the experiment's artifact
    folder is not there at all). Remote stores: downloaded into a fresh folder under
    scratch_dir that is deleted afterwards, whatever happens.
    """
    local_root = _local_store_path(run.artifact_uri)
    if local_root is not None:
        # <experiment's artifact location>/<run id>/artifacts: without the experiment's folder
        # the store itself is unreachable (an unmounted disk), not this run's data bad.
        if not local_root.parent.parent.is_dir():
            raise StoreError(f"artifact location {local_root.parent.parent} of run "
                             f"{run.run_name} ({run.run_id}) is not reachable")
        path = local_root / artifact_path
        # exists(), not is_file(): whatever sits there (a FIFO on a hung network mount, say)
        # is opened, and a read that blocks is the stall guard's to stop.
        if not path.exists() or path.is_dir():
            raise MissingArtifactError(f"run {run.run_name} ({run.run_id}): artifact "
                                       f"{artifact_path} is missing")
        yield path
        return
    import mlflow.artifacts
    from mlflow.exceptions import MlflowException

    scratch_dir.mkdir(parents=True, exist_ok=True)
    download_dir = Path(tempfile.mkdtemp(prefix=f"{run.run_id}-", dir=scratch_dir))
    try:
        try:
            path = mlflow.artifacts.download_artifacts(
                artifact_uri=f"{run.artifact_uri}/{artifact_path}", dst_path=str(download_dir))
        except MlflowException as err:
            if "RESOURCE_DOES_NOT_EXIST" in str(err.error_code) or "not found" in str(err).lower():
                raise MissingArtifactError(f"run {run.run_name} ({run.run_id}): artifact "
                                           f"{artifact_path} is missing") from err
            raise
        except OSError as err:  # requests.HTTPError: a tracking server answers 404
            if getattr(getattr(err, "response", None), "status_code", None) == 404:
                raise MissingArtifactError(f"run {run.run_name} ({run.run_id}): artifact "
                                           f"{artifact_path} is missing") from err
            raise
        yield Path(path)
    finally:
        shutil.rmtree(download_dir, ignore_errors=True)


def store_signature(tracking_uri: str) -> str | None:
    """A cheap fingerprint of the store's run metadata, or None where there is none to take.

    File store: the size and modification time of every experiment's and run's meta.yaml (a
    new, finished, renamed or deleted run rewrites one) and of every run's artifacts/metrics
    folder (a re-logged pickle). SQLite store: the database file's. A tracking server offers
    no such thing: None, and the runs are listed every time.
    """
    tracking_uri = normalise_tracking_uri(tracking_uri)
    if tracking_uri.startswith("sqlite:///"):
        paths = [Path(tracking_uri[len("sqlite:///"):])]
    else:
        root = _local_store_path(tracking_uri)
        if root is None:
            return None
        paths = [*root.glob("*/meta.yaml"), *root.glob("*/*/meta.yaml"),
                 *root.glob("*/*/artifacts/metrics")]
    return stat_digest(paths)
