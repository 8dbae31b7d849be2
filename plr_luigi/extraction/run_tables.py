"""One classification run's metrics pickle -> its rows of every per-run table.

Everything the figures, tables and numbers show is computed here, once, from the run's
bootstrap data (lesson 6: figures that recomputed metrics disagreed with tables). The input is
the dict the study's evaluation code pickled (layout: ../shared/reference/mlflow-store.md);
the output holds only anonymised subject codes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from plr_luigi.extraction import metrics
from plr_luigi.extraction.metrics import Columns, rows_to_columns
from plr_luigi.extraction.prediction_instability import (
    bootstrap_prediction_summary,
    no_sampled_predictions,
    sampled_bootstrap_predictions,
)
from plr_luigi.extraction.subjects import anonymise
from plr_luigi.study import schema
from plr_luigi.study.factors import ParsedRunName
from plr_luigi.study.pipelines import standard_pipeline_of

SPLITS = ("train", "val", "test")
# Supplementary column -> metric key in the pickle.
_SUPPLEMENTARY_KEYS = {"f1": "F1", "accuracy": "accuracy", "aupr": "AUPR",
                       "sensitivity": "sensitivity", "specificity": "specificity",
                       "ppv": "PPV", "npv": "NPV"}


class MalformedRunError(ValueError):
    """The metrics pickle lacks a part the results need, or its parts disagree in shape."""


@dataclass(frozen=True)
class RunIdentity:
    run_id: str
    run_name: str
    factors: ParsedRunName
    prevalence: float | None


def _part(tree: dict, path: tuple[str, ...], run_name: str):
    node = tree
    for i, key in enumerate(path):
        if not isinstance(node, dict) or key not in node:
            where = "][".join(repr(k) for k in path[: i + 1])
            raise MalformedRunError(f"run {run_name}: metrics pickle has no [{where}]")
        node = node[key]
    return node


def _vector(tree: dict, path: tuple[str, ...], run_name: str,
            length: int | None = None) -> np.ndarray:
    values = np.asarray(_part(tree, path, run_name))
    if values.ndim != 1 or (length is not None and len(values) != length):
        raise MalformedRunError(f"run {run_name}: {'/'.join(path)} has shape {values.shape}, "
                                f"expected ({length if length is not None else 'n'},)")
    return values


def _missing(values: np.ndarray) -> bool:
    if values.dtype.kind == "f":
        return bool(np.isnan(values).any())
    return any(v is None or v != v for v in values)  # NaN is the one value unequal to itself


def _with_config(columns: Columns, table: schema.Table, run: RunIdentity) -> Columns:
    """The run's rows of one table: config_id first, then the schema's columns in order."""
    missing = set(table.column_names) - set(columns) - {schema.CONFIG_ID.name}
    if missing:  # a programming error, caught by the tests before any real run sees it
        raise AssertionError(f"{table.name}: extraction produced no {sorted(missing)}")
    n_rows = len(next(iter(columns.values())))
    rows = {schema.CONFIG_ID.name: np.full(n_rows, run.run_id, dtype=object),
            **{c: np.asarray(columns[c]) for c in table.column_names[1:]}}
    if any(len(values) != n_rows for values in rows.values()):
        raise AssertionError(f"{table.name}: columns of unequal length")
    # Checked here, per run: in the merge a NULL would fail the whole database on its NOT NULL
    # constraint instead of this one run.
    incomplete = [c for c in table.required_columns if _missing(rows[c])]
    if incomplete:
        raise MalformedRunError(f"run {run.run_name}: {table.name} has missing or NaN values in "
                                f"{', '.join(incomplete)}")
    return rows


def extract_tables(pickled: dict, run: RunIdentity,
                   subject_lookup: dict[str, str]) -> dict[str, Columns]:
    """Table name -> this run's rows (column -> values), for every table of schema.RUN_TABLES.
    A table is one entry of `tables` below; its columns are those of schema.py."""
    name = run.run_name
    test_subjects = _part(pickled, ("subjectwise_stats", "test"), name)
    codes = _vector(test_subjects, ("subject_code",), name)
    n_test = len(codes)
    y = _vector(test_subjects, ("labels",), name, n_test).astype(int)
    p = _vector(test_subjects, ("preds", "y_pred_proba", "mean"), name, n_test).astype(float)
    p_std = _vector(test_subjects, ("preds", "y_pred_proba", "std"), name, n_test).astype(float)
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise MalformedRunError(f"run {name}: test probabilities are missing or outside [0, 1]")
    if not set(np.unique(y)) <= {0, 1}:
        raise MalformedRunError(f"run {name}: test labels are not 0/1")
    public_codes = anonymise(codes, subject_lookup, name)

    test_scalars = _part(pickled, ("metrics_iter", "test", "metrics", "scalars"), name)
    boot_auroc = _vector(test_scalars, ("AUROC",), name).astype(float)
    auroc, auroc_lo, auroc_hi = metrics.bootstrap_summary(boot_auroc)
    if np.isnan(auroc):
        raise MalformedRunError(f"run {name}: every bootstrap AUROC is NaN")
    slope, intercept = metrics.calibration_slope_intercept(y, p)

    essential = {
        "run_id": run.run_id, "run_name": name,
        "outlier_method": run.factors.outlier_method,
        "imputation_method": run.factors.imputation_method,
        "classifier": run.factors.classifier, "featurization": run.factors.featurization,
        "auroc": auroc, "auroc_ci_lo": auroc_lo, "auroc_ci_hi": auroc_hi,
        # As the study published it: the mean of the iterations' Brier scores (results.md).
        "brier": float(_part(pickled, ("metrics_stats", "test", "metrics", "scalars", "Brier",
                                       "mean"), name)),
        "brier_of_mean_prob": metrics.brier(y, p),
        "calibration_slope": slope, "calibration_intercept": intercept,
        "o_e_ratio": metrics.o_e_ratio(y, p),
        **{schema.net_benefit_column(t): metrics.net_benefit(y, p, t)
           for t in schema.NET_BENEFIT_THRESHOLDS},
        "prevalence": run.prevalence if run.prevalence is not None else np.nan,
        "n_test": n_test, "n_events": int(y.sum()), "n_bootstrap": len(boot_auroc),
    }

    supplementary = {}
    for column, key in _SUPPLEMENTARY_KEYS.items():
        # A metric the run did not compute stays NULL rather than failing the run.
        values = test_scalars.get(key)
        mean, lo, hi = (metrics.bootstrap_summary(values) if values is not None
                        else (np.nan, np.nan, np.nan))
        supplementary.update({column: mean, f"{column}_ci_lo": lo, f"{column}_ci_hi": hi})

    roc_arrays = _part(pickled, ("metrics_iter", "test", "metrics", "arrays", "AUROC"), name)
    roc = metrics.mean_roc(np.asarray(_part(roc_arrays, ("fpr",), name)),
                           np.asarray(_part(roc_arrays, ("tpr",), name)),
                           np.linspace(0.0, 1.0, schema.N_ROC_POINTS))

    tables = {
        schema.ESSENTIAL.name: rows_to_columns([essential]),
        schema.SUPPLEMENTARY.name: rows_to_columns([supplementary]),
        schema.PREDICTIONS.name: {"subject_code": np.asarray(public_codes, dtype=object),
                                  "y_true": y, "y_prob": p, "y_prob_std": p_std},
        schema.CALIBRATION.name: metrics.calibration_bins(y, p, schema.N_CALIBRATION_BINS),
        schema.PROBABILITY_DISTRIBUTIONS.name:
            metrics.probability_histogram(y, p, schema.N_PROBABILITY_BINS),
        schema.DISTRIBUTION_STATS.name: metrics.distribution_stats(y, p),
        schema.DCA.name: metrics.decision_curve(y, p, schema.DCA_THRESHOLDS),
        # The study's S2 order (schema.RETENTION_ORDER): the most confident first.
        schema.RETENTION.name: metrics.retention_curve(
            y, p, -np.abs(p - 0.5), schema.RETAINED_FRACTIONS,
            schema.RETENTION_NET_BENEFIT_THRESHOLD),
        schema.ROC.name: roc,
        schema.COHORT.name: _cohort_metrics(pickled, name),
        schema.BOOTSTRAP_AUROC.name: {"iteration": np.arange(len(boot_auroc)),
                                      "auroc": boot_auroc},
        schema.PREDICTION_INSTABILITY.name:
            bootstrap_prediction_summary(pickled, name, public_codes, y),
        schema.BOOTSTRAP_PREDICTION_SAMPLES.name:
            sampled_bootstrap_predictions(pickled, name, public_codes)
            if standard_pipeline_of(run.factors.configuration) is not None
            else no_sampled_predictions(),
    }
    return {table.name: _with_config(tables[table.name], table, run)
            for table in schema.RUN_TABLES}


def _cohort_metrics(pickled: dict, run_name: str) -> Columns:
    """Per split: subjects, events and the run's own bootstrap statistics of AUROC and Brier."""
    rows = []
    for split in SPLITS:
        subjects = pickled.get("subjectwise_stats", {}).get(split)
        scalars = pickled.get("metrics_stats", {}).get(split, {}).get("metrics", {}).get("scalars")
        if subjects is None or scalars is None:
            continue  # a split the run did not evaluate is absent, not an error
        labels = _vector(subjects, ("labels",), run_name)
        auroc_stats = scalars.get("AUROC", {})
        ci = np.asarray(auroc_stats.get("ci", [np.nan, np.nan]), float)
        rows.append({
            "split": split, "n_subjects": len(labels), "n_events": int(np.nansum(labels)),
            "auroc": float(auroc_stats.get("mean", np.nan)),
            "auroc_ci_lo": float(ci[0]), "auroc_ci_hi": float(ci[1]),
            "brier": float(scalars.get("Brier", {}).get("mean", np.nan)),
        })
    if not rows:
        return {c: np.asarray([], dtype=object) for c in schema.COHORT.column_names[1:]}
    return rows_to_columns(rows)
