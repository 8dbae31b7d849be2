"""The public results database: every table and column, named once.

Producers (extraction, merge) and consumers (figures, tables, numbers, tests) import these
names; nothing else spells a column. The earlier version's producers wrote `auroc_ci_lower`
while its consumers read `auroc_ci_lo`; here both sides use `ESSENTIAL.auroc_ci_lo`.

Each per-run table holds rows for one configuration, keyed by `config_id` (the MLflow run id
of the run kept for that configuration). `RUN_TABLES` are written per run by extraction and
bulk-loaded by the merge; `provenance` and `extraction_report` are written by the merge.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    required: bool = True  # NOT NULL, and checked for NaN before the database is declared done
    description: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    description: str
    # Rows a configuration must have: an int, the name of an essential-metrics column holding
    # the count, or None where the count varies (empty calibration bins are dropped).
    rows_per_config: int | str | None = None

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def __getattr__(self, item: str) -> str:
        # `ESSENTIAL.auroc` -> "auroc", and an AttributeError for a column that does not exist,
        # so a typo in a consumer fails at import/test time instead of querying nothing.
        for column in self.columns:
            if column.name == item:
                return column.name
        raise AttributeError(f"table {self.name!r} has no column {item!r}")

    def ddl(self) -> str:
        cols = ",\n  ".join(
            f"{c.name} {c.sql_type}{' NOT NULL' if c.required else ''}" for c in self.columns
        )
        return f"CREATE TABLE {self.name} (\n  {cols}\n)"


def _c(name: str, sql_type: str, description: str = "", required: bool = True) -> Column:
    return Column(name, sql_type, required, description)


CONFIG_ID = _c("config_id", "VARCHAR", "MLflow run id of the run kept for the configuration")

# Thresholds (probability of glaucoma) at which net benefit is reported in the essential table.
NET_BENEFIT_THRESHOLDS = (0.05, 0.10, 0.15, 0.20)
# Decision-curve thresholds: 0.01 .. 0.50 in steps of 0.01.
DCA_THRESHOLDS = tuple(round(0.01 * i, 2) for i in range(1, 51))
# Retained fractions for selective classification: 0.05 .. 1.00 in steps of 0.05.
RETAINED_FRACTIONS = tuple(round(0.05 * i, 2) for i in range(1, 21))
RETENTION_NET_BENEFIT_THRESHOLD = 0.15
# How retention_metrics orders subjects (named here so that a change re-extracts every run).
RETENTION_ORDER = "descending |p - 0.5| of the bootstrap-mean probability, stable"
N_CALIBRATION_BINS = 10
N_PROBABILITY_BINS = 10
N_ROC_POINTS = 101  # common FPR grid 0, 0.01, .., 1 for bootstrap-averaged ROC curves


def net_benefit_column(threshold: float) -> str:
    return f"net_benefit_{round(threshold * 100):d}pct"


ESSENTIAL = Table(
    "essential_metrics",
    (
        CONFIG_ID,
        _c("run_id", "VARCHAR", "MLflow run id"),
        _c("run_name", "VARCHAR", "MLflow run name"),
        _c("outlier_method", "VARCHAR"),
        _c("imputation_method", "VARCHAR"),
        _c("classifier", "VARCHAR"),
        _c("featurization", "VARCHAR"),
        _c("auroc", "DOUBLE", "mean of the bootstrap AUROCs (test split)"),
        _c("auroc_ci_lo", "DOUBLE", "2.5th percentile of the bootstrap AUROCs"),
        _c("auroc_ci_hi", "DOUBLE", "97.5th percentile of the bootstrap AUROCs"),
        _c("brier", "DOUBLE", "Brier score as the study published it: the mean over bootstrap "
           "iterations of each iteration's Brier (metrics_stats test Brier mean)"),
        _c("brier_of_mean_prob", "DOUBLE", "Brier score of the bootstrap-mean probabilities, "
           "mean((p - y)^2); lower than brier by the mean per-subject bootstrap variance"),
        _c("calibration_slope", "DOUBLE", "logistic regression of y on logit(p)", required=False),
        _c("calibration_intercept", "DOUBLE", "intercept of the same fit", required=False),
        _c("o_e_ratio", "DOUBLE", "mean(y) / mean(p)"),
        *(_c(net_benefit_column(t), "DOUBLE", f"net benefit at threshold {t:.2f}")
          for t in NET_BENEFIT_THRESHOLDS),
        _c("prevalence", "DOUBLE", "population prevalence the study assumed (run param; "
           "NULL where the run does not record it)", required=False),
        _c("n_test", "INTEGER", "test subjects"),
        _c("n_events", "INTEGER", "glaucoma cases among the test subjects"),
        _c("n_bootstrap", "INTEGER", "bootstrap iterations"),
    ),
    "one row per configuration: its factors, run and headline test metrics",
    rows_per_config=1,
)

# The runs extracted only because a standard pipeline (configs/pipelines.yaml) names them while a
# level of theirs is invalid for the factor comparisons (configs/factors.yaml; the deep-learning
# pipeline's TimesNet-orig): their essential metrics, in essential_metrics' columns but in a
# table of their own, so that every query of essential_metrics (every factor comparison, table
# and number) leaves them out without saying so, and only the standard-pipeline queries
# (queries.find_pipelines) look here too. Their detail rows (predictions, curves, bootstrap
# AUROCs, ...) are in the detail tables like any configuration's.
STANDARD_PIPELINE_ONLY = Table(
    "standard_pipeline_only_metrics",
    ESSENTIAL.columns,
    "one row per run extracted only as a standard pipeline (a level invalid for the factor "
    "comparisons): essential_metrics' columns; never part of a factor comparison",
    rows_per_config=1,
)

# Every extracted configuration's essential row, compared or standard pipeline only: what the
# standard-pipeline outputs (Fig 1, 4, 7, S1, S2, T6 and their numbers) and the validation
# read. A factor comparison reads ESSENTIAL alone.
EVERY_EXTRACTED_CONFIGURATION = (f"(SELECT * FROM {ESSENTIAL.name} UNION ALL "
                                 f"SELECT * FROM {STANDARD_PIPELINE_ONLY.name})")

SUPPLEMENTARY_METRIC_NAMES = ("f1", "accuracy", "aupr", "sensitivity", "specificity", "ppv", "npv")
SUPPLEMENTARY = Table(
    "supplementary_metrics",
    (
        CONFIG_ID,
        *(col for m in SUPPLEMENTARY_METRIC_NAMES for col in (
            _c(m, "DOUBLE", f"mean of the bootstrap {m} (test split)", required=False),
            _c(f"{m}_ci_lo", "DOUBLE", required=False),
            _c(f"{m}_ci_hi", "DOUBLE", required=False),
        )),
    ),
    "threshold metrics of the test split with bootstrap CIs",
    rows_per_config=1,
)

PREDICTIONS = Table(
    "predictions",
    (
        CONFIG_ID,
        _c("subject_code", "VARCHAR", "anonymised code (H001.., G001..)"),
        _c("y_true", "INTEGER", "1 glaucoma, 0 control"),
        _c("y_prob", "DOUBLE", "bootstrap-mean predicted probability"),
        _c("y_prob_std", "DOUBLE", "bootstrap standard deviation of the probability"),
    ),
    "test-set predictions per configuration and subject",
    rows_per_config="n_test",
)

CALIBRATION = Table(
    "calibration_curves",
    (
        CONFIG_ID,
        _c("bin_index", "INTEGER", "0..9, uniform bins over [0, 1]; empty bins are absent"),
        _c("prob_pred", "DOUBLE", "mean predicted probability in the bin"),
        _c("prob_true", "DOUBLE", "observed glaucoma fraction in the bin"),
        _c("n", "INTEGER", "subjects in the bin"),
    ),
    "reliability diagram of the bootstrap-mean probabilities",
)

PROBABILITY_DISTRIBUTIONS = Table(
    "probability_distributions",
    (
        CONFIG_ID,
        _c("y_true", "INTEGER"),
        _c("bin_index", "INTEGER"),
        _c("bin_lo", "DOUBLE"),
        _c("bin_hi", "DOUBLE"),
        _c("count", "INTEGER"),
    ),
    "histogram of the bootstrap-mean probabilities per class (10 uniform bins)",
    rows_per_config=2 * N_PROBABILITY_BINS,
)

DISTRIBUTION_STATS = Table(
    "distribution_stats",
    (
        CONFIG_ID,
        _c("y_true", "INTEGER"),
        _c("n", "INTEGER"),
        _c("mean", "DOUBLE"),
        _c("std", "DOUBLE"),
        _c("median", "DOUBLE"),
        _c("q25", "DOUBLE"),
        _c("q75", "DOUBLE"),
    ),
    "summary of the bootstrap-mean probabilities per class",
    rows_per_config=2,
)

DCA = Table(
    "dca_curves",
    (
        CONFIG_ID,
        _c("threshold", "DOUBLE"),
        _c("net_benefit_model", "DOUBLE"),
        _c("net_benefit_treat_all", "DOUBLE", "capped at 0"),
        _c("net_benefit_treat_none", "DOUBLE"),
        _c("sensitivity", "DOUBLE"),
        _c("specificity", "DOUBLE"),
    ),
    "decision-curve analysis at thresholds 0.01..0.50",
    rows_per_config=len(DCA_THRESHOLDS),
)

RETENTION = Table(
    "retention_metrics",
    (
        CONFIG_ID,
        _c("retained_fraction", "DOUBLE"),
        _c("n_retained", "INTEGER"),
        _c("auroc", "DOUBLE", "NaN where the retained subjects are of one class", required=False),
        _c("brier", "DOUBLE"),
        _c("scaled_brier", "DOUBLE", "NaN where the retained subjects are of one class",
           required=False),
        _c("net_benefit", "DOUBLE", "net benefit at threshold 0.15"),
    ),
    "selective classification: most confident subjects first (largest |p - 0.5| of the "
    "bootstrap-mean probability, as the study's S2), the first fraction kept",
    rows_per_config=len(RETAINED_FRACTIONS),
)

ROC = Table(
    "roc_curves",
    (
        CONFIG_ID,
        _c("fpr", "DOUBLE"),
        _c("tpr", "DOUBLE", "bootstrap mean TPR at this FPR"),
        _c("tpr_ci_lo", "DOUBLE"),
        _c("tpr_ci_hi", "DOUBLE"),
    ),
    "bootstrap-averaged ROC curve on a common FPR grid",
    rows_per_config=N_ROC_POINTS,
)

COHORT = Table(
    "cohort_metrics",
    (
        CONFIG_ID,
        _c("split", "VARCHAR", "train, val or test"),
        _c("n_subjects", "INTEGER"),
        _c("n_events", "INTEGER"),
        _c("auroc", "DOUBLE", required=False),
        _c("auroc_ci_lo", "DOUBLE", required=False),
        _c("auroc_ci_hi", "DOUBLE", required=False),
        _c("brier", "DOUBLE", required=False),
    ),
    "headline metrics of each split (cohort), from the run's bootstrap statistics",
)

BOOTSTRAP_AUROC = Table(
    "bootstrap_auroc",
    (
        CONFIG_ID,
        _c("iteration", "INTEGER"),
        _c("auroc", "DOUBLE"),
    ),
    "test AUROC per bootstrap iteration (critical-difference diagrams)",
    rows_per_config="n_bootstrap",
)

# Percentiles of each test subject's bootstrap predictions kept in prediction_instability,
# by column: the 95% band, the 90% band, the quartiles and the median.
INSTABILITY_QUANTILES = {"p_q02_5": 2.5, "p_q05": 5.0, "p_q25": 25.0, "p_q50": 50.0,
                         "p_q75": 75.0, "p_q95": 95.0, "p_q97_5": 97.5}


PREDICTION_INSTABILITY = Table(
    "prediction_instability",
    (
        CONFIG_ID,
        _c("subject_code", "VARCHAR", "anonymised code (H001.., G001..)"),
        _c("y_true", "INTEGER", "1 glaucoma, 0 control (the figure colours by class)"),
        _c("n_iterations", "INTEGER", "bootstrap iterations with a prediction for the subject"),
        _c("p_mean", "DOUBLE", "mean of the subject's bootstrap predicted probabilities"),
        _c("p_std", "DOUBLE", "their standard deviation"),
        *(_c(column, "DOUBLE", f"{percent:g}th percentile of the subject's bootstrap "
             "predictions") for column, percent in INSTABILITY_QUANTILES.items()),
    ),
    "per configuration and test subject: a summary of the 1000 bootstrap predictions "
    "(prediction instability, Riley et al. 2023), not the raw 63 x 1000 array",
    rows_per_config="n_test",
)

# Bootstrap predictions kept per test subject of a standard pipeline's run (Fig 7 draws them
# against the subject's mean, as the study draws 200 sampled bootstrap models): the same
# N_SAMPLED_BOOTSTRAP iterations for every subject of a run, drawn without replacement by a
# generator seeded with BOOTSTRAP_SAMPLE_SEED, so a rebuild keeps the same rows.
N_SAMPLED_BOOTSTRAP = 200
BOOTSTRAP_SAMPLE_SEED = 20240523

BOOTSTRAP_PREDICTION_SAMPLES = Table(
    "bootstrap_prediction_samples",
    (
        CONFIG_ID,
        _c("subject_code", "VARCHAR", "anonymised code (H001.., G001..)"),
        _c("iteration", "INTEGER", "the bootstrap iteration (0-based index into the run's "
           "1000); the same sampled iterations for every subject of the run"),
        _c("y_prob", "DOUBLE", "that iteration's model's predicted probability for the subject"),
    ),
    f"standard pipelines only (configs/pipelines.yaml): per test subject, the predictions of "
    f"{N_SAMPLED_BOOTSTRAP} sampled bootstrap models (all of them if the run has fewer); no rows "
    "for any other configuration",
)

RUN_TABLES: tuple[Table, ...] = (
    ESSENTIAL, SUPPLEMENTARY, PREDICTIONS, CALIBRATION, PROBABILITY_DISTRIBUTIONS,
    DISTRIBUTION_STATS, DCA, RETENTION, ROC, COHORT, BOOTSTRAP_AUROC, PREDICTION_INSTABILITY,
    BOOTSTRAP_PREDICTION_SAMPLES,
)

PROVENANCE = Table(
    "provenance",
    (
        _c("key", "VARCHAR"),
        _c("value", "VARCHAR"),
    ),
    "how the database was built: when, from which store and runs, with which code, synthetic "
    "or not",
)
# Keys of the provenance table.
PROV_CREATED_AT = "created_at"
# The store, described without user info, password, token or absolute path
# (provenance.describe_store): the provenance is published.
PROV_STORE = "store"
PROV_EXPERIMENT = "experiment"
PROV_CODE_VERSION = "code_version"
PROV_SYNTHETIC = "synthetic"
PROV_N_RUNS_SEEN = "n_runs_seen"
PROV_N_CONFIGURATIONS = "n_configurations"
PROV_SOURCE_DB = "source_db_used"
# Digest of every run decision (and run fingerprint, schema included) the database was built
# from: it identifies the content; the database is stale once the store's digest differs, and
# outputs record it to know which database they were made from.
PROV_INVENTORY_DIGEST = "inventory_digest"

EXTRACTION_REPORT = Table(
    "extraction_report",
    (
        _c("run_id", "VARCHAR"),
        _c("run_name", "VARCHAR", required=False),
        _c("status", "VARCHAR", "MLflow run status"),
        _c("lifecycle_stage", "VARCHAR"),
        _c("outcome", "VARCHAR", "extracted, skipped or failed"),
        _c("reason", "VARCHAR", required=False),
        _c("seconds", "DOUBLE", "extraction time (extracted or failed runs)", required=False),
        _c("rss_growth_mb", "DOUBLE", "growth of the extracting process's resident memory "
           "while this run was extracted, MB: what the run needed beyond what the process "
           "already held (a batch's runs share one process; 0: it fit)", required=False),
    ),
    "every run of the experiment and what extraction did with it",
)

# The study's upstream experiments (PLR_OutlierDetection, PLR_Imputation): the quality of each
# preprocessing run, public. Levels are the canonical ones of configs/factors.yaml, so they join
# essential_metrics on outlier_method / imputation_method.
OUTLIER_METRICS = Table(
    "outlier_detection_metrics",
    (
        _c("run_id", "VARCHAR", "MLflow run id of the outlier-detection run"),
        _c("run_name", "VARCHAR"),
        _c("outlier_method", "VARCHAR", "canonical outlier_method level (configs/factors.yaml)"),
        _c("f1_definition", "VARCHAR", "how the method's family defines F1: plain (binary mask), "
           "thresholded (MOMENT) or point-adjusted (TimesNet, UniTS)"),
        _c("split", "VARCHAR", "train, test, outlier_train or outlier_test"),
        _c("metric", "VARCHAR", "accuracy, precision, recall, f1, fp; difficulty-stratified "
           "variants carry their suffix (f1__easy, f1__medium)"),
        _c("value", "DOUBLE"),
        _c("ci_lo", "DOUBLE", "0.05th percentile of the subject-wise values", required=False),
        _c("ci_hi", "DOUBLE", "99.95th percentile of the subject-wise values", required=False),
    ),
    "quality of each outlier-detection run, per split and metric",
)

IMPUTATION_METRICS = Table(
    "imputation_metrics",
    (
        _c("run_id", "VARCHAR", "MLflow run id of the imputation run"),
        _c("run_name", "VARCHAR"),
        _c("imputation_method", "VARCHAR", "canonical imputation_method level"),
        _c("imputer", "VARCHAR", "the run name's imputer token with its hyperparameters "
           "(SAITS_dFfn128_nLayers2, MOMENT_finetune_MOMENT-1-large, ...)"),
        _c("outlier_method", "VARCHAR", "canonical outlier_method level of the outlier source"),
        _c("split", "VARCHAR", "train or test"),
        _c("metric", "VARCHAR", "mae, mse, mre, missing_rate"),
        _c("value", "DOUBLE"),
        _c("ci_lo", "DOUBLE", "0.05th percentile of the subject-wise values", required=False),
        _c("ci_hi", "DOUBLE", "99.95th percentile of the subject-wise values", required=False),
    ),
    "quality of each imputation run, per split and metric",
)

# The classifier hyperparameters each kept run logged (its `hparam_*` params): written by the
# merge from the store listing, one row per configuration and hyperparameter (manuscript T9).
HYPERPARAMETER_PARAM_PREFIX = "hparam_"
HYPERPARAMETERS = Table(
    "classifier_hyperparameters",
    (
        CONFIG_ID,
        _c("hyperparameter", "VARCHAR", "the run param's name without its `hparam_` prefix"),
        _c("value", "VARCHAR", "the value as the run logged it (MLflow params are strings)"),
    ),
    "per configuration: each classifier hyperparameter its run logged (hparam_* params)",
)

# Aggregates of the cohort by subject group (manuscript T8), written by the merge from the
# private subject lookup and source database. Never a per-subject value: no age of one subject,
# hence no minimum, maximum or median age; a group smaller than
# COHORT_MIN_GROUP_FOR_AGE subjects gets no age statistics at all.
COHORT_MIN_GROUP_FOR_AGE = 10
COHORT_GROUPS = ("control", "glaucoma", "labelled", "recorded")
COHORT_SUMMARY = Table(
    "cohort_summary",
    (
        _c("group_order", "INTEGER", "the row's place in the cohort table"),
        _c("subject_group", "VARCHAR", "control, glaucoma, labelled (both classes: the "
           "classification cohort) or recorded (every subject of the source database: the "
           "preprocessing cohort)"),
        _c("n_subjects", "INTEGER", "subjects in the group (NULL: no source database, so the "
           "recorded subjects are unknown)", required=False),
        _c("age_n", "INTEGER", "subjects of the group with a recorded age", required=False),
        _c("age_mean", "DOUBLE", "mean age in years", required=False),
        _c("age_sd", "DOUBLE", "standard deviation of age in years", required=False),
    ),
    "the cohort by subject group: counts and age (mean, SD) per class; aggregates only",
)

# Configurations run more than once (plr_luigi.store.run_decisions, rule 5): every run of each,
# with its logged AUROC and which run each rule keeps. The database's rule keeps the
# later-finished run (the one extracted); the study's kept the run of highest AUROC (manuscript
# (D): a winner's curse). Written by the merge from the store listing: the runs not kept are
# never extracted, their AUROC is the MLflow metric the run logged.
DUPLICATE_RUNS = Table(
    "duplicate_runs",
    (
        CONFIG_ID,
        _c("outlier_method", "VARCHAR"),
        _c("imputation_method", "VARCHAR"),
        _c("classifier", "VARCHAR"),
        _c("featurization", "VARCHAR"),
        _c("run_id", "VARCHAR", "MLflow run id of this run of the configuration"),
        _c("run_name", "VARCHAR"),
        _c("end_time", "BIGINT", "when the run finished, ms since the epoch (MLflow end_time)",
           required=False),
        _c("logged_auroc", "DOUBLE", "the run's logged test/AUROC metric (the mean of its "
           "bootstrap AUROCs; NULL where the run logged none)", required=False),
        _c("kept_later", "BOOLEAN", "kept by this database's rule: the later-finished run, the "
           "configuration's config_id"),
        _c("kept_highest_auroc", "BOOLEAN", "kept by the study's rule: the highest logged "
           "AUROC (a tie goes to the run kept by the later rule; no run when none logged one)"),
    ),
    "per configuration run more than once: each run, its logged AUROC and which run each "
    "duplicate rule keeps",
)

UPSTREAM_TABLES: tuple[Table, ...] = (OUTLIER_METRICS, IMPUTATION_METRICS)
UPSTREAM_EXTRACTION_REPORT = Table(
    "upstream_extraction_report",
    (_c("experiment", "VARCHAR", "PLR_OutlierDetection or PLR_Imputation"),
     *EXTRACTION_REPORT.columns),
    "every run of the upstream experiments and what extraction did with it",
)
ALL_TABLES: tuple[Table, ...] = (*RUN_TABLES, STANDARD_PIPELINE_ONLY, PROVENANCE,
                                 EXTRACTION_REPORT, *UPSTREAM_TABLES, UPSTREAM_EXTRACTION_REPORT,
                                 HYPERPARAMETERS, COHORT_SUMMARY, DUPLICATE_RUNS)
# The tables the merge makes itself (not from run files): their rows come as frames.
MERGED_TABLES: tuple[Table, ...] = (HYPERPARAMETERS, COHORT_SUMMARY, DUPLICATE_RUNS)

# PRIVATE: per-subject reconstructed signals of the imputation runs. They live in their own
# database under data/private/ (tasks.settings.plr.signals_database_path), never in the public one.
RECONSTRUCTED_SIGNALS = Table(
    "reconstructed_signals",
    (
        _c("run_id", "VARCHAR", "MLflow run id of the imputation run"),
        _c("imputation_method", "VARCHAR", "canonical imputation_method level"),
        _c("outlier_method", "VARCHAR", "canonical outlier_method level of the outlier source"),
        _c("split", "VARCHAR", "train or test"),
        _c("subject_code", "VARCHAR", "anonymised code of the private lookup"),
        _c("class_label", "INTEGER", "1 glaucoma, 0 control, NULL unlabelled", required=False),
        _c("signal", "FLOAT[]", "the reconstructed trace (imputation mean), one value per "
           "sample, in the pickle's standardised units"),
    ),
    "one row per imputation run and subject: its reconstructed pupil trace",
)
SIGNAL_TIME = Table(
    "signal_time",
    (
        _c("sample", "INTEGER", "0 .. n_samples - 1, the index into reconstructed_signals.signal"),
        _c("time_s", "DOUBLE", "seconds from the recording's start"),
        _c("red", "DOUBLE", "red light stimulus intensity (the pickle's light/Red)"),
        _c("blue", "DOUBLE", "blue light stimulus intensity (the pickle's light/Blue)"),
    ),
    "the time axis and light protocol shared by every reconstructed signal",
)
# The private signals database: these tables and a provenance table (its inventory digest).
SIGNAL_TABLES: tuple[Table, ...] = (RECONSTRUCTED_SIGNALS, SIGNAL_TIME)

# The public interpretation database (data/public/plr_interpretation.duckdb): SHAP importance
# and VIF of the configurations explained (configs/models.yaml). Its own file, written by its
# own task after the results database: explaining the bootstrap models is the heaviest and
# least trusted read of the build and optional (a checkpoint has no model pickles), so the
# results database never waits for it or goes stale because of it. No per-subject values.
MEMBER_RULES = {
    "member0": "SHAP of member 0 of each bootstrap ensemble (the study's rule)",
    "ensemble_mean": "SHAP of the ensemble's mean raw score, the mean of both members' SHAP "
                     "values (the model the study's predictions come from)",
}
SHAP_IMPORTANCE = Table(
    "shap_importance",
    (
        CONFIG_ID,
        _c("feature", "VARCHAR", "handcrafted feature (Blue_* / Red_*: the stimulus)"),
        _c("member_rule", "VARCHAR", "which model is explained: " + "; ".join(
            f"{k}: {v}" for k, v in MEMBER_RULES.items())),
        _c("mean_abs_shap", "DOUBLE", "mean over the bootstrap models of each model's mean "
           "|SHAP| over the test subjects (log-odds units; CatBoost's exact TreeSHAP)"),
        _c("ci_lo", "DOUBLE", "2.5th percentile over the bootstrap models"),
        _c("ci_hi", "DOUBLE", "97.5th percentile over the bootstrap models"),
        _c("n_models", "INTEGER", "bootstrap models explained"),
    ),
    "per explained configuration, feature and member rule: mean |SHAP| with its bootstrap "
    "interval (Fig 5, S7)",
)
VIF = Table(
    "vif",
    (
        CONFIG_ID,
        _c("feature", "VARCHAR"),
        _c("vif", "DOUBLE", "variance inflation factor of the feature in the run's x_train "
           "(statsmodels, with an intercept)"),
    ),
    "per explained configuration and feature: collinearity of the training features",
)
SHAP_REPORT = Table(
    "shap_report",
    (
        CONFIG_ID,
        _c("run_name", "VARCHAR"),
        _c("selection", "VARCHAR", "why it is explained: its AUROC rank in the population, "
           "or the standard pipeline it is"),
        _c("outcome", "VARCHAR", "explained or failed"),
        _c("reason", "VARCHAR", "why SHAP failed (a refused or missing model pickle)",
           required=False),
        _c("n_models", "INTEGER", "bootstrap models explained (0 when failed)"),
        _c("seconds", "DOUBLE", "time to read and explain the run's models"),
        _c("peak_rss_mb", "DOUBLE", "peak resident memory of the explaining process, MB"),
    ),
    "every configuration selected for SHAP and what became of it",
)
INTERPRETATION_TABLES: tuple[Table, ...] = (SHAP_IMPORTANCE, VIF, SHAP_REPORT, PROVENANCE)


def _schema_digest() -> str:
    """Changes whenever a table, a column or a grid of the per-run tables changes, so that every
    run extracted under the old definition is extracted again."""
    text = "\n".join([*(t.ddl() for t in (*ALL_TABLES, *SIGNAL_TABLES)),
                      repr(NET_BENEFIT_THRESHOLDS),
                      repr(DCA_THRESHOLDS), repr(RETAINED_FRACTIONS),
                      repr(RETENTION_NET_BENEFIT_THRESHOLD), repr(N_CALIBRATION_BINS),
                      repr(N_PROBABILITY_BINS), repr(N_ROC_POINTS),
                      repr(INSTABILITY_QUANTILES), RETENTION_ORDER,
                      repr((N_SAMPLED_BOOTSTRAP, BOOTSTRAP_SAMPLE_SEED))])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


SCHEMA_DIGEST = _schema_digest()
