"""The subject lookup grows with the subjects and never codes a subject twice: a new run holding
a subject no earlier run had is extracted with the next code of its class, every code given
before kept; and a lookup missing beside runs extracted with it is not made anew."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import duckdb
import luigi
import pandas as pd
import pytest
from support.settings import plr_settings

from plr_luigi.study import schema
from plr_luigi.task_graph.status import invalidation_plan, walk_graph
from plr_luigi.tasks import MergeToDuckDB, SubjectLookup

pytestmark = pytest.mark.slow

TEMPLATE = "CATBOOST_eval-auc__simple1.0__pupil-gt__pupil-gt"
NEW_SUBJECT = "PLR1999"  # a control subject (PLR1 prefix) of no synthetic cohort


def _relog_with_a_new_subject(tracking_uri: str, tmp: Path) -> str:
    """The template run logged again (the old one deleted) with one control subject of its test
    split replaced by NEW_SUBJECT, in its metrics pickle and its codes_test param."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    experiment = client.get_experiment_by_name("PLR_Classification").experiment_id
    [old] = client.search_runs([experiment], f"attributes.run_name = '{TEMPLATE}'")
    source = Path(old.info.artifact_uri.removeprefix("file://")) / "metrics" / \
        f"metrics_{TEMPLATE}.pickle"
    pickled = pickle.loads(source.read_bytes())
    test = pickled["subjectwise_stats"]["test"]
    replaced = str(test["subject_code"][list(test["labels"]).index(0)])
    test["subject_code"] = test["subject_code"].astype(object)
    test["subject_code"][test["subject_code"] == replaced] = NEW_SUBJECT
    copy = tmp / source.name
    copy.write_bytes(pickle.dumps(pickled))
    client.delete_run(old.info.run_id)
    run = client.create_run(experiment, run_name=TEMPLATE, tags={"plr.synthetic": "true"})
    for name, value in old.data.params.items():
        if name == "codes_test":
            value = value.replace(f"'{replaced}'", f"'{NEW_SUBJECT}'")
        client.log_param(run.info.run_id, name, value)
    client.log_artifact(run.info.run_id, str(copy), artifact_path="metrics")
    client.set_terminated(run.info.run_id, "FINISHED")
    return run.info.run_id


def _mapping(lookup: Path) -> dict[str, str]:
    frame = pd.read_csv(lookup, dtype=str)
    return dict(zip(frame.original_code, frame.subject_code, strict=True))


def test_a_new_subject_gets_the_next_code_and_no_subject_is_coded_again(
        extracted_copy_of_private_store):
    copy = extracted_copy_of_private_store
    # Without a source database the lookup is made from the runs' codes: the case where a
    # run can bring a subject the lookup does not have.
    settings = {**copy["settings"], "source_db": ""}
    lookup = Path(settings["data_dir"]) / "private" / "subject_lookup.csv"
    before = _mapping(lookup)
    run_id = _relog_with_a_new_subject(copy["store"].tracking_uri, copy["work"])
    with plr_settings(**settings):
        assert not SubjectLookup().complete()
        result = luigi.build([MergeToDuckDB()], local_scheduler=True, detailed_summary=True)
        assert result.status == luigi.LuigiStatusCode.SUCCESS, result.summary_text
        assert SubjectLookup().complete()

    after = _mapping(lookup)
    assert {code: after[code] for code in before} == before  # every run keeps its codes
    controls = [int(code[1:]) for code in before.values() if code.startswith("H")]
    new_code = f"H{max(controls) + 1:03d}"
    assert after[NEW_SUBJECT] == new_code and len(after) == len(before) + 1
    with duckdb.connect(settings["data_dir"] + "/public/plr_results.duckdb",
                        read_only=True) as con:
        codes = {code for (code,) in con.execute(
            f"SELECT p.subject_code FROM {schema.PREDICTIONS.name} p "
            f"JOIN {schema.ESSENTIAL.name} e USING (config_id) WHERE e.run_id = ?",
            [run_id]).fetchall()}
    assert new_code in codes


def test_a_subject_added_to_the_source_database_is_added_to_the_lookup(extracted_copy):
    import sqlite3

    # The shared store is only read: the source database the build reads is the test's copy.
    source_db = extracted_copy["work"] / "subjects.sqlite"
    shutil.copy(extracted_copy["settings"]["source_db"], source_db)
    settings = {**extracted_copy["settings"], "source_db": str(source_db)}
    lookup = Path(settings["data_dir"]) / "private" / "subject_lookup.csv"
    before = _mapping(lookup)
    with plr_settings(**settings):
        assert SubjectLookup().complete()  # the copy is newer than the lookup: read, all mapped
        with sqlite3.connect(source_db) as con:
            table = con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                                "sql LIKE '%class_label%'").fetchone()[0]
            columns = [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]
            row = dict(zip(columns, con.execute(
                f'SELECT * FROM "{table}" WHERE subject_code LIKE \'PLR4%\' LIMIT 1').fetchone(),
                strict=True))
            row["subject_code"] = "PLR4999"
            con.execute(f'INSERT INTO "{table}" VALUES ({", ".join("?" * len(row))})',
                        list(row.values()))
        assert not SubjectLookup().complete()
        assert luigi.build([SubjectLookup()], local_scheduler=True)
        assert SubjectLookup().complete()
    after = _mapping(lookup)
    glaucoma = [int(code[1:]) for code in before.values() if code.startswith("G")]
    assert after == {**before, "PLR4999": f"G{max(glaucoma) + 1:03d}"}


def test_a_missing_lookup_beside_extracted_runs_is_not_made_anew(extracted_copy):
    settings = extracted_copy["settings"]
    lookup = Path(settings["data_dir"]) / "private" / "subject_lookup.csv"
    shutil.move(lookup, lookup.with_suffix(".kept"))
    failures: list[str] = []
    SubjectLookup.event_handler(luigi.Event.FAILURE)(lambda _task, err: failures.append(str(err)))
    with plr_settings(**settings):
        # What a build asks for when a new run is to be extracted.
        assert not luigi.build([SubjectLookup()], local_scheduler=True)
        # What the message tells the user to run removes the runs coded with the lost lookup.
        plan = invalidation_plan(walk_graph(MergeToDuckDB()), ["extraction.SubjectLookup"],
                                 downstream=True)
    assert not lookup.exists()
    assert failures and "runs were extracted with one" in failures[-1]
    assert "plr-luigi invalidate extraction.SubjectLookup --downstream" in failures[-1]
    removed = {path for paths in plan.values() for path in paths}
    runs = Path(settings["data_dir"]) / "interim" / "runs"
    assert {str(p) for p in runs.glob("*/*")} <= {str(p) for p in removed}
    # The imputation runs hold public codes too; the outlier-detection runs hold none, and
    # their extraction does not wait for the lookup.
    upstream = Path(settings["data_dir"]) / "private" / "upstream"
    imputed, outlier = (set(map(str, (upstream / e).glob("*/*")))
                        for e in ("PLR_Imputation", "PLR_OutlierDetection"))
    assert imputed and imputed <= {str(p) for p in removed}
    assert outlier and not outlier & {str(p) for p in removed}
