"""A store of three runs (one of them a standard pipeline, so explained), for the tests whose
subject is not the number of runs; and the same store with a run no registry knows (it fails
extraction) and its finished build (every output built, AllRunsExtracted failed), made once per
test run and copied by the tests of failed and periodic builds: they start from the state a
failed build leaves instead of generating and building it each."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from support.luigi_process import add_plr_options, write_luigi_cfg
from support.settings import DRAFT_FIGURES, build_settings, plr_settings
from support.stores import copy_build, copy_store, load_summary, made_once, save_summary

# A level no registry knows: the run fails extraction (and AllRunsExtracted the build).
UNKNOWN = "CATBOOST_eval-auc__simple1.0__SAITS__BrandNewDetector"
CONFIGS = [("pupil-gt", "pupil-gt", "CatBoost", "simple1.0"),
           ("LOF", "SAITS", "CatBoost", "simple1.0"), ("LOF", "CSDI", "XGBoost", "simple1.0")]


def generate_three_run_store(folder: Path, tracking_uri: str | None = None):
    """The store of CONFIGS in folder (its synth summary); a file store unless tracking_uri
    names another (sqlite:///...)."""
    from plr_luigi.synth import generate_store
    from plr_luigi.synth.design import run_spec
    from plr_luigi.synth.registry import load_levels

    return generate_store(folder, seed=3, n_bootstrap=20, model_pickle_bytes=1000,
                          tracking_uri=tracking_uri,
                          runs=[run_spec(load_levels(), config, seed=3) for config in CONFIGS])


def three_run_store(shared_dir: Path, dest: Path):
    """A private copy in dest of the three-run file store, generated once per test run by the
    first process that asks (its summary)."""
    def make(folder: Path) -> None:
        save_summary(generate_three_run_store(folder / "store"), folder / "summary.json")

    template = load_summary(made_once(shared_dir / "three_run_store", make) / "summary.json")
    return copy_store(template, dest)


def _make(folder: Path, shared_dir: Path) -> None:
    import luigi
    from mlflow.tracking import MlflowClient

    from plr_luigi.tasks import ReproduceAll

    store = three_run_store(shared_dir, folder / "store")
    client = MlflowClient(tracking_uri=store.tracking_uri)
    experiment = client.get_experiment_by_name("PLR_Classification").experiment_id
    bad = client.create_run(experiment, run_name=UNKNOWN, tags={"plr.synthetic": "true"})
    client.set_terminated(bad.info.run_id, "FINISHED")
    save_summary(store, folder / "summary.json")
    # Figures drafted (support.settings.DRAFT_FIGURES): the tests copying this build rebuild,
    # check and report what it built, never its pixels; their builds draft them too.
    with plr_settings(**build_settings(store, folder / "build"), **DRAFT_FIGURES):
        result = luigi.build([ReproduceAll()], local_scheduler=True, detailed_summary=True)
    assert result.status == luigi.LuigiStatusCode.FAILED, result.summary_text


def failed_build_template(shared_dir: Path) -> dict:
    """The store (its summary) and the folder of its failed build (work), made by the first
    process that asks."""
    folder = made_once(shared_dir / "failed_build", lambda made: _make(made, shared_dir))
    return {"store": load_summary(folder / "summary.json"), "work": folder / "build"}


@dataclasses.dataclass
class FailedBuild:
    """A private copy of the failed build: its store (a synth summary), the MLflow id of the
    run that fails, and the build's data and outputs folders."""

    store: object
    bad_run: str
    data: Path
    outputs: Path

    def settings(self) -> dict[str, str]:
        """Its [plr] settings, the figures drafted as the build drew them (every output of
        the copy is current with them)."""
        return {**build_settings(self.store, self.data.parent), **DRAFT_FIGURES}

    def write_cfg(self, path: Path) -> Path:
        """A luigi.cfg of settings() at path, for the `luigi` and `plr-luigi` commands."""
        return add_plr_options(write_luigi_cfg(path, self.store.tracking_uri,
                                               str(self.store.source_db), self.data,
                                               self.outputs), **DRAFT_FIGURES)


def copy_failed_build(template: dict, dest: Path) -> FailedBuild:
    from mlflow.tracking import MlflowClient

    store = copy_store(template["store"], dest / "store")
    copy_build(template["work"], dest, store)
    client = MlflowClient(tracking_uri=store.tracking_uri)
    experiment = client.get_experiment_by_name("PLR_Classification").experiment_id
    [bad] = client.search_runs([experiment], f"attributes.run_name = '{UNKNOWN}'")
    return FailedBuild(store, bad.info.run_id, dest / "data", dest / "outputs")
