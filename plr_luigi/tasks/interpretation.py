"""The interpretation tasks: ShapForConfig (one explained configuration: SHAP of its bootstrap
models, VIF of its features), MergeInterpretation (the public interpretation database,
data/public/plr_interpretation.duckdb) and the outputs read from it: ShapImportance (Fig 5),
ShapConfigurations (S7) and FeatureVif (extended).

Why a database of its own: MergeToDuckDB is complete while the results database was built from
the store's current runs, and every output's stamp names that database's content. Tables
written into it after the merge would either make it depend on the heaviest, optional step (a
store without model pickles, a checkpoint) or need a second writer that its completeness does
not know about. A second file, written by its own task after the merge, leaves both alone; the
outputs that read it attach it read-only and add its digest to their stamp.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from pathlib import Path

import luigi

from plr_luigi.database.provenance import is_synthetic
from plr_luigi.study.configs import MODELS_CONFIG_PATH, PIPELINES_CONFIG_PATH
from plr_luigi.study.unavailable import DataUnavailableError
from plr_luigi.tasks.base import RunOnceTask, guarded
from plr_luigi.tasks.merge import MergeToDuckDB
from plr_luigi.tasks.output_base import DatabaseOutput, FigureOutput, figure_data, save_figure
from plr_luigi.tasks.settings import plr
from plr_luigi.tasks.store_listing import run_decisions

logger = logging.getLogger(__name__)

NO_STORE = ("no interpretation database and no MLflow store to build it from ([plr] "
            "tracking_uri is empty): SHAP needs the runs' model pickles")


def interpretation_fingerprint(run) -> str:
    """The run's fingerprint and the model configuration (the accepted class path)."""
    from plr_luigi.store.run_decisions import run_fingerprint

    text = run_fingerprint(run).encode() + MODELS_CONFIG_PATH.read_bytes()
    return hashlib.sha256(text).hexdigest()[:12]


class ShapForConfig(RunOnceTask):
    """Reads one run's dict_arrays and model pickles (restricted unpicklers); writes its SHAP
    importance and VIF (Parquet) and its outcome (explained, or failed with the reason)."""

    task_namespace = "interpretation"

    run_id = luigi.Parameter(description="MLflow run id of an explained configuration")
    fingerprint = luigi.Parameter(description="interpretation_fingerprint of the run")

    def output(self):
        return luigi.LocalTarget(str(plr().interpretation_dir(self.run_id, self.fingerprint)
                                     / "outcome.json"))

    def run(self):
        from plr_luigi.extraction.interpretation import (
            INTERPRETATION_FILES,
            interpret_run,
            write_interpretation,
        )
        from plr_luigi.filesystem.atomic import atomic_paths
        from plr_luigi.study.configs import load_model_config

        run = next(d.run for d in run_decisions() if d.run.run_id == self.run_id)
        folder = Path(self.output().path).parent
        with guarded(self, f"{self.task_family} {run.run_name}") as progress:
            result = interpret_run(run, load_model_config()["study_ensemble_class"],
                                   plr().scratch_dir(), progress)
        with atomic_paths({k: folder / name for k, name in INTERPRETATION_FILES.items()}) as tmp:
            write_interpretation(result, tmp)


class MergeInterpretation(RunOnceTask):
    """Reads the results database (which configurations to explain, configs/models.yaml) and
    their ShapForConfig outputs (dynamic requirements); writes the public interpretation
    database. Complete while built from the current results database and configuration; with
    no store configured, whatever interpretation database exists is taken as it is."""

    task_namespace = "database"

    def requires(self):
        return MergeToDuckDB()

    def output(self):
        return luigi.LocalTarget(str(plr().interpretation_database_path()))

    def digest(self) -> str:
        from plr_luigi.database.interpretation_database import interpretation_digest
        from plr_luigi.database.results_database import read_provenance_of
        from plr_luigi.study import schema

        inventory = read_provenance_of(Path(self.input().path))[schema.PROV_INVENTORY_DIGEST]
        return interpretation_digest(inventory, [MODELS_CONFIG_PATH.read_bytes(),
                                                 PIPELINES_CONFIG_PATH.read_bytes()])

    def complete(self):
        from plr_luigi.database.results_database import read_provenance_of
        from plr_luigi.study import schema

        if not Path(self.output().path).is_file():
            return False
        if not plr().tracking_uri:
            return True
        if not self.requires().complete():
            return False
        recorded = read_provenance_of(Path(self.output().path))
        return recorded.get(schema.PROV_INVENTORY_DIGEST) == self.digest()

    def run(self):
        from plr_luigi.database.interpretation_database import (
            build_interpretation_database,
            select_configurations,
        )
        from plr_luigi.database.results_database import connect_read_only, read_provenance
        from plr_luigi.filesystem.atomic import atomic_paths
        from plr_luigi.study import schema
        from plr_luigi.study.configs import load_model_config, load_standard_pipelines

        settings = load_model_config()["shap"]
        con = connect_read_only(Path(self.input().path))
        try:
            selection = select_configurations(con, settings["top_n"], settings["population"],
                                              load_standard_pipelines())
            results = read_provenance(con)
        finally:
            con.close()
        runs = {d.run.run_id: d.run for d in run_decisions()}
        tasks = {cid: ShapForConfig(run_id=cid, fingerprint=interpretation_fingerprint(runs[cid]))
                 for cid in selection[schema.SHAP_REPORT.config_id]}
        yield list(tasks.values())
        provenance = {schema.PROV_INVENTORY_DIGEST: self.digest(),
                      schema.PROV_SYNTHETIC: results[schema.PROV_SYNTHETIC],
                      schema.PROV_CREATED_AT: results[schema.PROV_CREATED_AT],
                      "results_" + schema.PROV_INVENTORY_DIGEST:
                          results[schema.PROV_INVENTORY_DIGEST],
                      schema.PROV_N_CONFIGURATIONS: str(len(tasks))}
        with atomic_paths({"db": Path(self.output().path)}) as tmp:
            build_interpretation_database(
                tmp["db"], selection,
                {cid: Path(t.output().path).parent for cid, t in tasks.items()}, provenance)


class InterpretationOutput(DatabaseOutput):
    """Base of the outputs that read the interpretation database as well: requires it (when it
    can be built or exists), adds its digest to the stamp, and opens the results database with
    it attached. Without it (a checkpoint without one), the output is unavailable."""

    def requires(self):
        path = plr().interpretation_database_path()
        if plr().tracking_uri or path.is_file():
            return {"database": MergeToDuckDB(), "interpretation": MergeInterpretation()}
        return {"database": MergeToDuckDB()}

    def current_stamp(self) -> dict[str, str]:
        from plr_luigi.database.results_database import read_provenance_of
        from plr_luigi.study import schema

        path = plr().interpretation_database_path()
        digest = (read_provenance_of(path).get(schema.PROV_INVENTORY_DIGEST, "")
                  if path.is_file() else "absent")
        return {**super().current_stamp(), "interpretation": digest}

    @contextlib.contextmanager
    def interpretation(self):
        """(connection with the interpretation database attached, results provenance)."""
        from plr_luigi.database.interpretation_queries import attach_interpretation

        path = plr().interpretation_database_path()
        if not path.is_file():
            raise DataUnavailableError(NO_STORE)
        with self.database() as (con, provenance):
            attach_interpretation(con, path)
            yield con, provenance


def _use_agg() -> None:
    import matplotlib

    matplotlib.use("Agg")


class ShapFigureOutput(InterpretationOutput, FigureOutput):
    """A figure of the interpretation database."""


def _shap_inputs(con):
    from plr_luigi.database import interpretation_queries as q
    from plr_luigi.database.queries import configurations

    return q.shap_importance(con), q.vif(con), q.shap_report(con), configurations(con)


def _no_shap_reason(report) -> str:
    if report.empty:
        return ("no configuration was selected for SHAP: none of the population or the "
                "standard pipelines (configs/models.yaml) is in the results database")
    failed = report[report["outcome"] != "explained"]
    reasons = "; ".join(f"{r.run_name}: {r.reason}" for r in failed.head(3).itertuples())
    return (f"no configuration's SHAP could be computed ({len(failed)} of {len(report)} "
            f"failed; {reasons})")


class ShapImportance(ShapFigureOutput):
    """Reads the interpretation database; writes Fig 5: mean |SHAP| per handcrafted feature with
    its bootstrap interval, A ground truth, B best ensemble, bars coloured by stimulus, features
    with VIF above the threshold marked."""

    def figure_name(self) -> str:
        return "shap_importance"

    def run(self):
        _use_agg()
        self.draw(["ground_truth", "best_ensemble"], "Fig 5", top_n=0)

    def draw(self, pipelines: list[str], item: str, top_n: int) -> None:
        from plr_luigi.analysis import interpretation_summary as summary
        from plr_luigi.figures.shap_importance import plot_shap_panels
        from plr_luigi.study.configs import load_model_config, load_standard_pipelines
        from plr_luigi.study.display import configuration_label

        threshold = load_model_config()["shap"]["vif_threshold"]
        standard = load_standard_pipelines()
        with self.interpretation() as (con, provenance):
            shap, vif, report, configurations = _shap_inputs(con)
        if shap.empty:
            raise DataUnavailableError(_no_shap_reason(report))
        panels, missing, data = [], {}, {}
        for name in pipelines:
            rows = summary.pipeline_rows(shap, standard[name])
            if rows.empty:
                missing[name] = summary.why_missing(report, configurations, standard[name])
                continue
            config_id = rows["config_id"].iloc[0]
            title = f"{standard[name]['label']}\n{configuration_label(rows.iloc[0], sep=chr(10))}"
            panels.append((title, rows, summary.high_vif_features(vif, config_id, threshold)))
            data[name] = rows.to_dict(orient="records")
        if top_n:
            top = summary.top_mean_rows(shap, top_n)
            panels.append((f"Mean of the top {top['n_configurations'].max()} by AUROC "
                           "(whiskers: range of their means)", top, set()))
            data[f"top_{top_n}_mean"] = top.to_dict(orient="records")
        if not panels:
            raise DataUnavailableError(f"no panel has SHAP values: {missing}")
        fig = plot_shap_panels(panels, threshold, is_synthetic(provenance))
        save_figure(fig, figure_data(
            self.figure_name(), "interpretation_queries.shap_importance, .vif", provenance, data,
            manuscript_item=item, missing_pipelines=missing, vif_threshold=threshold,
            member_rules=_member_rules(), top_mean_rule=summary.TOP_MEAN_RULE if top_n else None,
            shap_method="exact TreeSHAP, CatBoost get_feature_importance(type='ShapValues')"),
            self.output())


def _member_rules() -> dict[str, str]:
    from plr_luigi.study.schema import MEMBER_RULES

    return {"bars": MEMBER_RULES["member0"], "diamonds (D)": MEMBER_RULES["ensemble_mean"]}


class ShapConfigurations(ShapImportance):
    """Reads the interpretation database; writes S7: mean |SHAP| of every explained standard
    pipeline and the mean over the top configurations by AUROC."""

    def figure_name(self) -> str:
        return "shap_configurations"

    def run(self):
        _use_agg()
        from plr_luigi.study.configs import load_model_config, load_standard_pipelines

        self.draw(list(load_standard_pipelines()), "S7",
                  top_n=load_model_config()["shap"]["top_n"])


class FeatureVif(ShapFigureOutput):
    """Reads the interpretation database; writes the VIF of each handcrafted feature in every
    explained configuration's training data (extended output)."""

    def figure_name(self) -> str:
        return "feature_vif"

    def run(self):
        _use_agg()
        from plr_luigi.database import interpretation_queries as q
        from plr_luigi.figures.shap_importance import plot_vif
        from plr_luigi.study.configs import load_model_config

        threshold = load_model_config()["shap"]["vif_threshold"]
        with self.interpretation() as (con, provenance):
            vif = q.vif(con)
        if vif.empty:
            raise DataUnavailableError("no explained configuration has VIF values")
        fig = plot_vif(vif, threshold, is_synthetic(provenance))
        save_figure(fig, figure_data(self.figure_name(), "interpretation_queries.vif",
                                     provenance, vif.to_dict(orient="records"),
                                     manuscript_item="extended", vif_threshold=threshold),
                    self.output())
