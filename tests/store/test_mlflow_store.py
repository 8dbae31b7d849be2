"""Store helpers that need no store: the run's page in the MLflow UI."""

from plr_luigi.store.mlflow_store import RunSummary, run_page_url

RUN = RunSummary("abc123", "CATBOOST__SAITS", "FINISHED", "active", 0, 1, "mlflow-artifacts:/",
                 synthetic=True, prevalence=None, experiment_id="7")


def test_a_tracking_server_run_links_to_its_mlflow_page():
    assert run_page_url("http://127.0.0.1:5000/", RUN) == \
        "http://127.0.0.1:5000/#/experiments/7/runs/abc123"
    assert run_page_url("https://mlflow.example.org", RUN).startswith("https://mlflow.example")


def test_local_stores_have_no_page():
    assert run_page_url("/data/mlruns", RUN) is None
    assert run_page_url("sqlite:////data/mlflow.db", RUN) is None
