"""MLflow logging of the synthetic store: experiments, upstream method runs and
classification runs, through MlflowClient so that file, SQLite and server stores all work."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

logger = logging.getLogger(__name__)

SYNTHETIC_TAG = "plr.synthetic"
# experiment -> param naming the method of each of its runs; PLR_OutlierDetection and
# PLR_Imputation have their real shape (synth/upstream.py)
UPSTREAM_EXPERIMENTS = {"PLR_Featurization": "featurization_method"}
CLASSIFICATION_EXPERIMENT = "PLR_Classification"
MAX_PARAMS_PER_BATCH = 100  # MLflow's log_batch limit


def open_client(tracking_uri: str):
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    # a generator of throwaway stores has no business phoning home
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri)


def create_experiment(client, name: str, artifact_root: Path | None) -> str:
    """A new experiment tagged synthetic; refuses to add to an existing one, which would mix
    two generations into one store."""
    if client.get_experiment_by_name(name) is not None:
        raise ValueError(f"experiment {name!r} already exists in {client.tracking_uri}; "
                         "generate into an empty store")
    location = (artifact_root / name).resolve().as_uri() if artifact_root else None
    return client.create_experiment(name, artifact_location=location, tags={SYNTHETIC_TAG: "true"})


def empty_experiment(client, name: str) -> str:
    """The id of an existing experiment that holds no run yet (generate_store's onto_upstream);
    refuses one with runs, which would mix two generations into one experiment."""
    from mlflow.entities import ViewType

    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        raise ValueError(f"experiment {name!r} does not exist in {client.tracking_uri}")
    if client.search_runs([experiment.experiment_id], run_view_type=ViewType.ALL, max_results=1):
        raise ValueError(f"experiment {name!r} in {client.tracking_uri} already holds runs; "
                         "generate into an empty one")
    return experiment.experiment_id


def _log_params_and_metrics(client, run_id: str, params: dict[str, str],
                            metrics: dict[str, float]) -> None:
    from mlflow.entities import Metric, Param

    timestamp = int(time.time() * 1000)
    items = [Param(k, v) for k, v in params.items()]
    for start in range(0, len(items), MAX_PARAMS_PER_BATCH):
        client.log_batch(run_id, params=items[start:start + MAX_PARAMS_PER_BATCH])
    if metrics:
        client.log_batch(run_id, metrics=[Metric(k, v, timestamp, 0) for k, v in metrics.items()])


def log_method_runs(client, experiment_id: str, param: str, methods: list[str]) -> dict[str, str]:
    """One small run per method (params only); returns method -> run id."""
    run_ids = {}
    for method in methods:
        run = client.create_run(experiment_id, run_name=method, tags={SYNTHETIC_TAG: "true"})
        _log_params_and_metrics(client, run.info.run_id, {param: method}, {})
        client.set_terminated(run.info.run_id, status="FINISHED")
        run_ids[method] = run.info.run_id
    return run_ids


def log_upstream_experiments(client, artifact_root: Path | None,
                             methods: dict[str, tuple[str, ...]]) -> dict[str, dict[str, str]]:
    """The upstream experiments, one run per method; returns param -> method -> run id."""
    run_ids = {}
    for experiment, param in UPSTREAM_EXPERIMENTS.items():
        experiment_id = create_experiment(client, experiment, artifact_root)
        run_ids[param] = log_method_runs(client, experiment_id, param, list(methods[param]))
    return run_ids


def log_classification_run(client, experiment_id: str, name: str, params: dict[str, str],
                           metrics: dict[str, float], files: list[tuple[Path, str]],
                           status: str, deleted: bool) -> str:
    """Log one run; `files` are (local pickle, artifact folder) pairs."""
    run = client.create_run(experiment_id, run_name=name, tags={SYNTHETIC_TAG: "true"})
    run_id = run.info.run_id
    _log_params_and_metrics(client, run_id, params, metrics)
    for local_path, artifact_path in files:
        client.log_artifact(run_id, str(local_path), artifact_path=artifact_path)
    client.set_terminated(run_id, status=status)
    if deleted:
        client.delete_run(run_id)
    return run_id
