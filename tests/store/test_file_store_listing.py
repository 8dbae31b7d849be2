"""Listing a file store with one metric of each run (its logged test AUROC) gives the very run
summaries search_runs, which reads every metric, gives."""

from mlflow.entities import ViewType

from plr_luigi.store import mlflow_store


def test_file_store_listing_equals_the_summaries_of_search_runs(small_store):
    uri = small_store.tracking_uri
    client = mlflow_store.make_client(uri)
    experiment = client.get_experiment_by_name("PLR_Classification")
    searched = client.search_runs([experiment.experiment_id], run_view_type=ViewType.ALL,
                                  max_results=50_000)
    expected = sorted((mlflow_store._summarise(run, mlflow_store.normalise_tracking_uri(uri))
                       for run in searched), key=lambda r: (r.start_time or 0, r.run_id))
    listed = mlflow_store._file_store_runs(uri, experiment.experiment_id)
    # the one metric the summary needs, and no other
    assert listed is not None and all(set(run.data.metrics) <= {
        mlflow_store.LOGGED_AUROC_METRIC} for run in listed)
    assert all(r.logged_auroc is not None for r in expected if r.status == "FINISHED")
    assert mlflow_store.list_runs(uri, "PLR_Classification") == expected
    assert any(r.subject_codes for r in expected) and any(r.lifecycle_stage == "deleted"
                                                          for r in expected)
