"""Extracting one upstream run (PLR_OutlierDetection or PLR_Imputation) into a run directory.

Outlier-detection runs: their MLflow metrics become rows of `outlier_detection_metrics`
(public); their pickles hold per-subject masks the manuscript needs none of, so they are not
read. Imputation runs: their metrics become rows of `imputation_metrics` (public) and the
pickle's reconstructed signals, under anonymised codes, rows of `reconstructed_signals`
(PRIVATE; the directory lives under data/private/). One pickle is loaded (restricted
unpickler), its signals are written split by split as Parquet row groups, and it is freed
before the function returns: memory is one pickle whatever the number of runs.

The directory is built under a temporary name and renamed into place, with `record.json` and
the manifest of its files as in run_extraction; bad data (missing, corrupt or malformed pickle,
unknown subject) gives a `failed` record naming the run, errors of the store itself are raised
so that Luigi retries.
"""

from __future__ import annotations

import logging
import math
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from plr_luigi.extraction.run_extraction import (
    RUN_DATA_ERRORS,
    RunRecord,
    fresh_temporary_dir,
    publish_run_dir,
    rss_growth_mb,
)
from plr_luigi.extraction.run_tables import MalformedRunError
from plr_luigi.extraction.subjects import UnknownSubjectError
from plr_luigi.monitoring.task_guard import process_rss_mb
from plr_luigi.store.mlflow_store import (
    MissingArtifactError,
    RunSummary,
    get_run,
    list_artifact_names,
    local_artifact,
)
from plr_luigi.store.run_decisions import EXTRACT, FAILED
from plr_luigi.store.safe_pickle import load_pickle
from plr_luigi.store.upstream_run_decisions import IMPUTATION_EXPERIMENT, OUTLIER_EXPERIMENT
from plr_luigi.study import schema
from plr_luigi.study.upstream_names import (
    ImputationRunName,
    OutlierRunName,
    parse_imputation_run_name,
    parse_outlier_run_name,
)

logger = logging.getLogger(__name__)

CI_SUFFIXES = ("_CI_lo", "_CI_hi")
UNLABELLED_PREFIX = "U"  # anonymised codes of unlabelled subjects (private store only)
# the metric each experiment's quality analysis needs; a run without it is bad data
REQUIRED_METRIC = {OUTLIER_EXPERIMENT: "outlier_test/f1", IMPUTATION_EXPERIMENT: "test/mae"}
IMPUTATION_SPLITS = ("train", "test")


def metric_rows(metrics: dict[str, float]) -> pd.DataFrame:
    """split, metric, value, ci_lo, ci_hi for every `{split}/{metric}` key with a finite value
    (a key's `_CI_lo` / `_CI_hi` siblings become its bounds)."""
    rows = []
    for key, value in sorted(metrics.items()):
        if key.endswith(CI_SUFFIXES) or "/" not in key or not math.isfinite(value):
            continue
        split, metric = key.split("/", 1)
        rows.append((split, metric, value, metrics.get(f"{key}_CI_lo"),
                     metrics.get(f"{key}_CI_hi")))
    return pd.DataFrame(rows, columns=["split", "metric", "value", "ci_lo", "ci_hi"])


def outlier_metrics(run_id: str, run_name: str, parsed: OutlierRunName,
                    metrics: dict[str, float]) -> pd.DataFrame:
    frame = metric_rows(metrics).assign(run_id=run_id, run_name=run_name,
                                        outlier_method=parsed.outlier_method,
                                        f1_definition=parsed.f1_definition)
    return frame[schema.OUTLIER_METRICS.column_names]


def imputation_metrics(run_id: str, run_name: str, parsed: ImputationRunName,
                       metrics: dict[str, float]) -> pd.DataFrame:
    frame = metric_rows(metrics).assign(run_id=run_id, run_name=run_name,
                                        imputation_method=parsed.imputation_method,
                                        imputer=parsed.imputer,
                                        outlier_method=parsed.outlier_method)
    frame = frame[frame["split"].isin(IMPUTATION_SPLITS)]
    return frame[schema.IMPUTATION_METRICS.column_names]


def imputation_pickle_path(tracking_uri: str, run: RunSummary, parsed: ImputationRunName) -> str:
    """The run's imputation pickle: `imputation/imputation_{MODEL}.pickle`, or for an ensemble
    `imputation/ensemble_{run_name}_results.pickle`."""
    if parsed.is_ensemble:
        return f"imputation/ensemble_{run.run_name}_results.pickle"
    names = list_artifact_names(tracking_uri, run, "imputation")
    found = sorted(n for n in names if n.startswith("imputation_") and n.endswith(".pickle"))
    if len(found) != 1:
        raise MissingArtifactError(f"run {run.run_name} ({run.run_id}): expected one "
                                   f"imputation/imputation_<MODEL>.pickle, found {len(found)}")
    return f"imputation/{found[0]}"


def _part(container, keys: tuple[str, ...], run_name: str):
    for key in keys:
        if not isinstance(container, dict) or key not in container:
            raise MalformedRunError(f"run {run_name}: imputation pickle lacks "
                                    f"{'/'.join(keys)}")
        container = container[key]
    return container


def public_codes(original: np.ndarray, labels: np.ndarray, lookup: dict[str, str],
                 unlabelled: dict[str, str], run_name: str) -> list[str]:
    """Lookup codes of labelled subjects, U-codes of unlabelled ones (class label NaN); a
    labelled subject outside the lookup is an error that never quotes its code."""
    codes, n_unknown = [], 0
    for code, label in zip(original, labels, strict=True):
        if code in lookup:
            codes.append(lookup[code])
        elif np.isnan(label) and code in unlabelled:
            codes.append(unlabelled[code])
        else:
            n_unknown += 1
    if n_unknown:
        raise UnknownSubjectError(f"run {run_name}: {n_unknown} labelled subjects of the "
                                  "imputation pickle are not in the subject lookup")
    return codes


def unlabelled_codes(pickled: dict, lookup: dict[str, str], run_name: str) -> dict[str, str]:
    """U001.. for the unlabelled subjects, by original code: every imputation pickle holds the
    same subjects, so a subject keeps its U-code across runs."""
    codes = set()
    for split in IMPUTATION_SPLITS:
        df = _part(pickled, ("source_data", "df", split), run_name)
        original = np.asarray(_part(df, ("metadata", "subject_code"), run_name))[:, 0]
        labels = np.asarray(_part(df, ("labels", "class_label"), run_name), dtype=float)[:, 0]
        codes |= {str(c) for c, lab in zip(original, labels, strict=True)
                  if np.isnan(lab) and str(c) not in lookup}
    return {code: f"{UNLABELLED_PREFIX}{k:03d}" for k, code in enumerate(sorted(codes), 1)}


def write_frame(frame: pd.DataFrame, path: Path) -> None:
    """frame as a Parquet file, as `frame.to_parquet(path, index=False)` writes it, but
    converted in this thread: pyarrow converts a frame of over 100 rows a column in a pool of
    threads made for the call, whose start and join left the extraction waiting while the other
    worker held the other core (~0.3 s of a two-worker paper-size build; BENCHMARKS.md §2)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False, nthreads=1), path)


def write_signals(pickled: dict, run_id: str, run_name: str, parsed: ImputationRunName,
                  lookup: dict[str, str], labels_of: dict[str, int], path: Path,
                  time_path: Path) -> int:
    """Write the pickle's reconstructed signals (one row group per split) and the time axis;
    returns the number of rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    unlabelled = unlabelled_codes(pickled, lookup, run_name)
    arrow_schema = pa.schema([("run_id", pa.string()), ("imputation_method", pa.string()),
                              ("outlier_method", pa.string()), ("split", pa.string()),
                              ("subject_code", pa.string()), ("class_label", pa.int32()),
                              ("signal", pa.list_(pa.float32()))])
    n_rows, n_samples = 0, None
    # Dictionary-encode the repeated strings only: a dictionary of float samples, nearly all
    # distinct, is abandoned after it is built and was a sixth of a build's CPU time.
    strings = [f.name for f in arrow_schema if f.type == pa.string()]
    with pq.ParquetWriter(path, arrow_schema, use_dictionary=strings) as out:
        for split in IMPUTATION_SPLITS:
            block = _part(pickled, ("model_artifacts", "imputation", split, "imputation_dict",
                                    "imputation", "mean"), run_name)
            df = _part(pickled, ("source_data", "df", split), run_name)
            mean = np.asarray(block, dtype=np.float32)
            original = np.asarray(_part(df, ("metadata", "subject_code"), run_name))
            labels = np.asarray(_part(df, ("labels", "class_label"), run_name), dtype=float)
            if mean.ndim != 3 or mean.shape[2] != 1 or original.shape != mean.shape[:2]:
                raise MalformedRunError(f"run {run_name}: {split} imputation mean has shape "
                                        f"{mean.shape}, subject codes {original.shape}; "
                                        "expected (n, samples, 1) and (n, samples)")
            n, n_samples = mean.shape[0], mean.shape[1]
            codes = public_codes(original[:, 0].astype(str), labels[:, 0], lookup, unlabelled,
                                 run_name)
            signals = pa.ListArray.from_arrays(
                pa.array(np.arange(0, (n + 1) * n_samples, n_samples, dtype=np.int32)),
                pa.array(mean.reshape(-1)))
            out.write_table(pa.table({
                "run_id": [run_id] * n, "imputation_method": [parsed.imputation_method] * n,
                "outlier_method": [parsed.outlier_method] * n, "split": [split] * n,
                "subject_code": codes,
                "class_label": pa.array([labels_of.get(c) for c in codes], pa.int32()),
                "signal": signals}, schema=arrow_schema))
            n_rows += n
            if split == IMPUTATION_SPLITS[-1]:
                protocol = pd.DataFrame({
                    "sample": np.arange(n_samples),
                    "time_s": np.asarray(_part(df, ("time",), run_name))[0],
                    "red": np.asarray(_part(df, ("light", "Red"), run_name))[0],
                    "blue": np.asarray(_part(df, ("light", "Blue"), run_name))[0]})
    write_frame(protocol, time_path)
    return n_rows


def _check_ensemble(pickled: dict, run_name: str) -> None:
    for split in IMPUTATION_SPLITS:
        mean = np.asarray(_part(pickled, ("imputation", split, "mean"), run_name))
        if mean.ndim != 2:
            raise MalformedRunError(f"run {run_name}: ensemble {split} mean has shape "
                                    f"{mean.shape}; expected (n, samples)")


def _ignore_progress(stage: str, percent: int) -> None:
    logger.debug("%s (%d%%)", stage, percent)


def extract_upstream_run(tracking_uri: str, experiment: str, run_id: str,
                         lookup: pd.DataFrame | None, run_dir: Path, scratch_dir: Path,
                         progress: Callable[[str, int], None] = _ignore_progress) -> RunRecord:
    """Extract one upstream run into run_dir (atomically); returns what happened. `lookup`
    (SubjectLookup's frame) is needed for imputation runs only."""
    started, rss_before = time.monotonic(), process_rss_mb()
    progress(f"{run_id}: reading run metadata", 5)
    summary, metrics = get_run(tracking_uri, run_id)
    run_name = summary.run_name
    rows: dict[str, int] = {}
    tmp_dir = fresh_temporary_dir(run_dir)
    try:
        try:
            if REQUIRED_METRIC[experiment] not in metrics:
                raise MalformedRunError(f"run {run_name} has no {REQUIRED_METRIC[experiment]} "
                                        "metric")
            if experiment == OUTLIER_EXPERIMENT:
                table = schema.OUTLIER_METRICS
                frame = outlier_metrics(run_id, run_name, parse_outlier_run_name(run_name),
                                        metrics)
            else:
                table = schema.IMPUTATION_METRICS
                parsed = parse_imputation_run_name(run_name)
                frame = imputation_metrics(run_id, run_name, parsed, metrics)
                artifact = imputation_pickle_path(tracking_uri, summary, parsed)
                progress(f"{run_name}: reading {artifact}", 20)
                with local_artifact(summary, artifact, scratch_dir) as path:
                    pickled = load_pickle(path)
                progress(f"{run_name}: writing signals", 60)
                if parsed.is_ensemble:
                    # 2-D means without subject codes: nothing can be anonymised, so only the
                    # metrics are kept
                    _check_ensemble(pickled, run_name)
                else:
                    by_code = dict(zip(lookup["original_code"], lookup["subject_code"],
                                       strict=True))
                    labels_of = dict(zip(lookup["subject_code"], lookup["class_label"],
                                         strict=True))
                    rows[schema.RECONSTRUCTED_SIGNALS.name] = write_signals(
                        pickled, run_id, run_name, parsed, by_code, labels_of,
                        tmp_dir / f"{schema.RECONSTRUCTED_SIGNALS.name}.parquet",
                        tmp_dir / f"{schema.SIGNAL_TIME.name}.parquet")
                del pickled  # the one pickle of this run: freed before the next is read
            write_frame(frame, tmp_dir / f"{table.name}.parquet")
            rows[table.name] = len(frame)
            outcome, reason = EXTRACT, ""
        except (*RUN_DATA_ERRORS, UnknownSubjectError) as err:
            logger.error("run %s (%s) failed: %s", run_name, run_id, err)
            for parquet in tmp_dir.glob("*.parquet"):
                parquet.unlink()
            outcome, reason, rows = FAILED, str(err), {}
        record = RunRecord(run_id, run_name, outcome, reason, round(time.monotonic() - started, 3),
                           rss_growth_mb(rss_before), rows)
        return publish_run_dir(tmp_dir, run_dir, record)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
