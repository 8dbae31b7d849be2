"""The copies the tests work on are private: a copied store reads and writes its own
artifacts, never the template's, in a file store and in a SQLite one; what is made once per
test run is made once however many processes ask."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.stores import copy_store, made_once, store_root


def _artifact_roots(tracking_uri: str) -> set[str]:
    from mlflow.entities import ViewType
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    roots = set()
    for experiment in client.search_experiments(view_type=ViewType.ALL):
        roots.add(experiment.artifact_location)
        roots |= {run.info.artifact_uri for run in client.search_runs(
            [experiment.experiment_id], run_view_type=ViewType.ALL, max_results=5000)}
    return roots


def _local(uri: str) -> Path:
    return Path(uri.removeprefix("file://"))


def _assert_private(original, copy, tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    before = _artifact_roots(original.tracking_uri)
    roots = _artifact_roots(copy.tracking_uri)
    # Every location in the original's folder is in the copy's (MLflow's Default experiment
    # of a SQLite store names a folder relative to the working directory: left as it is).
    inside = {r for r in before if _local(r).is_relative_to(store_root(original))}
    assert len(roots) == len(before) and len(inside) > 1
    assert len({r for r in roots if _local(r).is_relative_to(tmp_path / "copy")}) == len(inside)
    assert not [r for r in roots if _local(r).is_relative_to(store_root(original))], roots
    assert copy.source_db.is_file() and copy.source_db.is_relative_to(tmp_path / "copy")
    # A run logged to the copy, with an artifact: in the copy, not in the original.
    client = MlflowClient(tracking_uri=copy.tracking_uri)
    experiment = client.get_experiment_by_name("PLR_Classification").experiment_id
    run = client.create_run(experiment, run_name="only_in_the_copy")
    (tmp_path / "note.txt").write_text("copy")
    client.log_artifact(run.info.run_id, str(tmp_path / "note.txt"))
    assert (_local(client.get_run(run.info.run_id).info.artifact_uri) / "note.txt").is_file()
    assert _artifact_roots(original.tracking_uri) == before


@pytest.mark.slow
def test_a_copied_file_store_is_private(small_store, tmp_path):
    _assert_private(small_store, copy_store(small_store, tmp_path / "copy"), tmp_path)


@pytest.mark.slow
def test_a_copied_sqlite_store_is_private(tmp_path):
    from plr_luigi.synth import generate_store
    from plr_luigi.synth.design import run_spec
    from plr_luigi.synth.registry import load_levels

    runs = [run_spec(load_levels(), ("LOF", "SAITS", "CatBoost", "simple1.0"), seed=1)]
    store = generate_store(tmp_path / "store", tracking_uri=f"sqlite:///{tmp_path}/store/m.db",
                           n_bootstrap=5, model_pickle_bytes=100, runs=runs)
    _assert_private(store, copy_store(store, tmp_path / "copy"), tmp_path)


def _make_once(folder: Path, log: Path) -> None:
    def make(target: Path) -> None:
        with log.open("a") as fh:
            fh.write("made\n")
        time.sleep(1)  # long enough for the other processes to be waiting
        target.mkdir()
        (target / "content").write_text("x")

    made_once(folder, make)
    assert (folder / "content").read_text() == "x"


def test_what_several_processes_ask_for_is_made_once(tmp_path):
    log = tmp_path / "log"
    ask = (f"from pathlib import Path; from support.test_stores import _make_once; "
           f"_make_once(Path({str(tmp_path / 'shared')!r}), Path({str(log)!r}))")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    processes = [subprocess.Popen([sys.executable, "-c", ask], env=env) for _ in range(3)]
    assert [p.wait(120) for p in processes] == [0, 0, 0]
    assert log.read_text() == "made\n"


def test_a_folder_left_half_made_is_made_again(tmp_path):
    (tmp_path / "shared").mkdir()  # a process failed while making it
    (tmp_path / "shared" / "partial").write_text("?")
    _make_once(tmp_path / "shared", tmp_path / "log")
    assert sorted(p.name for p in (tmp_path / "shared").iterdir()) == [".made", "content"]


def test_a_copy_of_the_small_store_shares_its_large_artifacts_only(small_store, tmp_path):
    from support.stores import shared_files

    copy_store(small_store, tmp_path / "copy")
    shared = shared_files(tmp_path / "copy")
    assert [p for p in shared if p.name.startswith("imputation_")]
    assert all(p.stat().st_size >= 2**20 and "artifacts" in p.parts for p in shared)


def test_replacing_a_shared_artifact_keeps_the_template_and_writing_into_one_is_caught(
        tmp_path):
    import shutil

    from support.stores import (
        check_shared_files_unchanged,
        link_large_artifacts,
        replace_file,
        shared_files,
    )

    template = tmp_path / "template" / "run" / "artifacts"
    template.mkdir(parents=True)
    for name in ("replaced.pickle", "written.pickle"):
        (template / name).write_bytes(b"x" * 2**20)
    (template / "small.yaml").write_text("copied")
    shutil.copytree(tmp_path / "template", tmp_path / "copy", copy_function=link_large_artifacts)
    copied = tmp_path / "copy" / "run" / "artifacts"
    shared = shared_files(tmp_path / "copy")
    assert sorted(p.name for p in shared) == ["replaced.pickle", "written.pickle"]
    replace_file(copied / "replaced.pickle", b"not a pickle")
    assert (template / "replaced.pickle").read_bytes() == b"x" * 2**20
    check_shared_files_unchanged(shared)
    with open(copied / "written.pickle", "r+b") as fh:
        fh.write(b"oops")
    assert (template / "written.pickle").read_bytes()[:4] == b"oops"
    with pytest.raises(AssertionError, match="written into artifacts shared"):
        check_shared_files_unchanged(shared)
