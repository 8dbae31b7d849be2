"""Artifact URIs of runs on a tracking server resolve against the store, not the process."""

from __future__ import annotations

from plr_luigi.store.mlflow_store import resolve_artifact_uri


def test_served_artifacts_become_the_servers_http_url():
    uri = resolve_artifact_uri("mlflow-artifacts:/1/abc/artifacts", "http://127.0.0.1:5123")
    assert uri == "http://127.0.0.1:5123/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts"


def test_local_and_other_uris_are_left_alone():
    assert resolve_artifact_uri("/data/mlruns/1/abc/artifacts", "/data/mlruns") == \
        "/data/mlruns/1/abc/artifacts"
    assert resolve_artifact_uri("file:///x/mlartifacts/1/abc/artifacts", "sqlite:////x/m.db") == \
        "file:///x/mlartifacts/1/abc/artifacts"
    assert resolve_artifact_uri("s3://bucket/1/abc/artifacts", "http://host:5000") == \
        "s3://bucket/1/abc/artifacts"
    # Without a server to resolve against, the URI stays as MLflow reported it.
    assert resolve_artifact_uri("mlflow-artifacts:/1/abc/artifacts", "sqlite:////x/m.db") == \
        "mlflow-artifacts:/1/abc/artifacts"
