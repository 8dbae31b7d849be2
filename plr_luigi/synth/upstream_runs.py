"""Logging the synthetic PLR_OutlierDetection and PLR_Imputation experiments, and the links the
classification runs carry to them (run ids and the upstream quality params).

One run's pickle at a time is built, written to scratch, logged and deleted. At paper size the
imputation experiment's ~136 pickles of ~140 MB would take ~19 GB: with `shared_pickles = K`
only the first K imputation runs get their own file and every later run's artifact is a
symlink to one of them (its metrics are still its own). Readers see a file per run, as in the
real store; only a local artifact store can hold symlinks, elsewhere every file is written.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from plr_luigi.synth import writer
from plr_luigi.synth.cohort import Cohort
from plr_luigi.synth.upstream_artifacts import (
    imputation_payload,
    make_context,
    outlier_payload,
)
from plr_luigi.synth.upstream_design import (
    IMPUTATION_EXPERIMENT,
    OUTLIER_EXPERIMENT,
    UpstreamRun,
    imputation_runs,
    outlier_runs,
)

logger = logging.getLogger(__name__)

GROUND_TRUTH = "pupil-gt"


@dataclass
class UpstreamLinks:
    """What the classification runs copy from the upstream runs they were trained on."""
    outlier: dict[str, tuple[str, dict[str, float]]] = field(default_factory=dict)
    imputation: dict[tuple[str, str], tuple[str, dict[str, float]]] = field(default_factory=dict)
    runs: dict[str, list[UpstreamRun]] = field(default_factory=dict)  # experiment -> runs

    def classification_params(self, outlier: str, imputation: str) -> dict[str, str]:
        """mlflow_run_* ids and Outlier_f1 / Outlier_fp / Outlier_f1__easy / Imputation_mae;
        ground truth is F1 1, fp 0, MAE 0; a level without an upstream run has no link."""
        params: dict[str, str] = {}
        if outlier == GROUND_TRUTH:
            params.update(Outlier_f1="1.0", Outlier_fp="0.0", Outlier_f1__easy="1.0")
        elif outlier in self.outlier:
            run_id, metrics = self.outlier[outlier]
            params.update(mlflow_run_outlier_detection=run_id,
                          Outlier_f1=f"{metrics['outlier_test/f1']:.6g}",
                          Outlier_fp=f"{metrics['outlier_test/fp']:.6g}",
                          Outlier_f1__easy=f"{metrics['outlier_test/f1__easy']:.6g}")
        if imputation == GROUND_TRUTH:
            params["Imputation_mae"] = "0.0"
            return params
        # the run of this imputer on this outlier source, else any run of the imputer
        match = self.imputation.get((imputation, outlier)) or next(
            (v for (i, _), v in self.imputation.items() if i == imputation), None)
        if match:
            params["mlflow_run_imputation"] = match[0]
            params["Imputation_mae"] = f"{match[1]['test/mae']:.6g}"
        return params

    def to_json(self, size: str, seed: int) -> str:
        """The links of the upstream experiments generated at this size and seed."""
        return json.dumps({"size": size, "seed": seed, "outlier": self.outlier,
                           "imputation": [[imputation, outlier, run_id, metrics] for
                                          (imputation, outlier), (run_id, metrics)
                                          in self.imputation.items()]}, indent=1)

    @classmethod
    def from_json(cls, text: str, size: str, seed: int) -> UpstreamLinks:
        """Links saved by to_json; refused when generated at another size or seed (the
        classification runs' quality params would not be those of their upstream runs)."""
        saved = json.loads(text)
        if (saved["size"], saved["seed"]) != (size, seed):
            raise ValueError(f"upstream experiments generated at size {saved['size']!r}, seed "
                             f"{saved['seed']}, not size {size!r}, seed {seed}")
        return cls({method: tuple(link) for method, link in saved["outlier"].items()},
                   {(imputation, outlier): (run_id, metrics)
                    for imputation, outlier, run_id, metrics in saved["imputation"]},
                   {OUTLIER_EXPERIMENT: outlier_runs(size),
                    IMPUTATION_EXPERIMENT: imputation_runs(size)})


def _local_artifact_dir(client, run_id: str) -> Path | None:
    uri = client.get_run(run_id).info.artifact_uri
    parsed = urlparse(uri)
    if parsed.scheme in ("file", ""):
        return Path(unquote(parsed.path))
    return None


def _log(client, experiment_id: str, run: UpstreamRun, params: dict, metrics: dict,
         artifact: tuple[str, object] | None, folder: str, scratch: Path,
         shared: Path | None) -> tuple[str, Path | None]:
    """Log one run; returns its id and the local path of its pickle (when written locally)."""
    files = []
    if artifact is not None and shared is None:
        local = scratch / artifact[0]
        with open(local, "wb") as fh:
            pickle.dump(artifact[1], fh, protocol=pickle.HIGHEST_PROTOCOL)
        files.append((local, folder))
    run_id = writer.log_classification_run(client, experiment_id, run.name, params, metrics,
                                           files, run.status, False)
    written = None
    if files:
        files[0][0].unlink()
        root = _local_artifact_dir(client, run_id)
        written = root / folder / artifact[0] if root else None
    if artifact is not None and shared is not None:
        target = _local_artifact_dir(client, run_id) / folder / artifact[0]
        target.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(shared, target)
    if run.deleted:
        client.delete_run(run_id)
    return run_id, written


def log_upstream(client, artifact_root: Path | None, cohort: Cohort, seed: int, size: str,
                 scratch: Path, shared_pickles: int | None) -> UpstreamLinks:
    """Both experiments' runs, oldest first (a rerun after the run it supersedes)."""
    ctx = make_context(cohort, seed)
    links = UpstreamLinks()
    detection: dict[str, float] = {GROUND_TRUTH: 1.0}
    f1: dict[str, float] = {GROUND_TRUTH: 1.0}
    experiment_id = writer.create_experiment(client, OUTLIER_EXPERIMENT, artifact_root)
    links.runs[OUTLIER_EXPERIMENT] = outlier_runs(size)
    for run in links.runs[OUTLIER_EXPERIMENT]:
        params, metrics, blocks = outlier_payload(run, ctx)
        artifact = (f"outlierDetection_{params['model']}.pickle", blocks) if (
            blocks is not None and run.has_pickle) else None
        run_id, _ = _log(client, experiment_id, run, params, metrics, artifact,
                         "outlier_detection", scratch, None)
        if run.status == "FINISHED" and not run.deleted and run.outlier_method:
            links.outlier[run.outlier_method] = (run_id, metrics)  # the latest run counts
            detection[run.outlier_method] = run.quality
            f1[run.outlier_method] = metrics["outlier_test/f1"]

    experiment_id = writer.create_experiment(client, IMPUTATION_EXPERIMENT, artifact_root)
    links.runs[IMPUTATION_EXPERIMENT] = imputation_runs(size)
    pool: list[Path] = []
    n_pickled = 0
    for run in links.runs[IMPUTATION_EXPERIMENT]:
        source = run.outlier_method
        outlier_id = links.outlier.get(source, ("none",))[0]
        params, metrics, artifact = imputation_payload(
            run, ctx, detection.get(source, 0.5), outlier_id, f1.get(source, float("nan")))
        if not run.has_pickle:
            artifact = None
        shared = None
        if artifact is not None and shared_pickles and len(pool) >= shared_pickles:
            shared = pool[n_pickled % shared_pickles]
        run_id, written = _log(client, experiment_id, run, params, metrics, artifact,
                               "imputation", scratch, shared)
        if artifact is not None:
            n_pickled += 1
            if written is not None and shared_pickles and len(pool) < shared_pickles:
                pool.append(written)
        key = (run.imputation_method, source)
        kept = links.imputation.get(key)
        # of an imputer's runs on one source (MOMENT sizes), pipelines use the best
        if (run.status == "FINISHED" and not run.deleted and source and run.imputation_method
                and (kept is None or metrics["test/mae"] < kept[1]["test/mae"])):
            links.imputation[key] = (run_id, metrics)
    logger.info("upstream experiments: %d outlier-detection and %d imputation runs (%d imputation "
                "pickles, %d of them files)", len(links.runs[OUTLIER_EXPERIMENT]),
                len(links.runs[IMPUTATION_EXPERIMENT]), n_pickled,
                min(n_pickled, shared_pickles or n_pickled))
    return links
