"""The numbers of the study's manuscript, as it builds them, for numbers.tex.

Two groups (docs/manuscript-numbers.md lists every macro with its definition and population):
- the study's own macro names (`figure_and_stats_generation.py` step 5.1, `analysis_flow.py`
  `generate_latex_artifacts`), so a manuscript written against the study's numbers.tex
  compiles with ours unchanged: counts and AUROC range over the study's database, which holds
  handcrafted features only (manuscript.md, Rule 4);
- the numbers the text quotes: each standard pipeline's STRATOS values, cohort counts, the
  featurization gap, the CatBoost specification curve, AUROC at 50 % retention and the eta
  squared of the variance decomposition.

Where the study's definition is unsound (manuscript.md (D)) the macro is the published number
and a second macro, named for what it is, holds the sound one (calibration slope: OLS vs
logistic; Brier: mean of the bootstrap Briers vs of the mean probabilities; eta squared: type I
vs type II).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from plr_luigi.analysis.number_macros import (
    STUDY_POPULATION,
    NumberSpec,
    camel_case,
    configured_number,
    levels_where,
    population_text,
    quoted,
)
from plr_luigi.study import schema
from plr_luigi.study.factors import FACTORS
from plr_luigi.study.manuscript import load_population
from plr_luigi.study.unavailable import DataUnavailableError

E = schema.ESSENTIAL
P = schema.PREDICTIONS
COHORT = schema.COHORT  # not C: patsy formulas here call C()
CS = schema.COHORT_SUMMARY
D = schema.DUPLICATE_RUNS
R = schema.EXTRACTION_REPORT
THREE = "{:.3f}"
PERCENT = "{:.1f}"
CATBOOST_POPULATION = "catboost_handcrafted"
# The two featurizations of the study's featurization comparison (scripts/export/
# export_featurization_comparison.py): handcrafted features against MOMENT embeddings.
EMBEDDING_FEATURIZATION = "MOMENT-embedding"
# Net-benefit thresholds of the STRATOS table, as macro words (schema.NET_BENEFIT_THRESHOLDS).
THRESHOLD_WORDS = {0.05: "Five", 0.10: "Ten", 0.15: "Fifteen", 0.20: "Twenty"}
# The study's calibration fit clips p this far from 0 and 1 before logit
# (export_predictions_for_r.py).
OLS_LOGIT_EPS = 1e-10
# Labelled subjects are the train and test splits (the val split is the train split again).
LABELLED_SPLITS = ("train", "test")
# The cohort_summary group of every subject of the source database, labelled or not: the
# subjects the preprocessing (outlier-detection and imputation) experiments ran on.
RECORDED_GROUP = "recorded"
HALF = 0.5


# --- statistics of the rows a query returns -------------------------------------------------

def ols_calibration_slope(y: np.ndarray, p: np.ndarray) -> float:
    """The study's published calibration slope: the least-squares slope of y on logit(p)
    (scipy.stats.linregress), not the logistic calibration slope."""
    from scipy.stats import linregress

    p = np.clip(np.asarray(p, float), OLS_LOGIT_EPS, 1 - OLS_LOGIT_EPS)
    if np.ptp(p) == 0:
        raise DataUnavailableError("every prediction is the same: no slope to fit")
    return float(linregress(np.log(p / (1 - p)), np.asarray(y, float)).slope)


def auroc_at_retention(y: np.ndarray, p: np.ndarray, fraction: float) -> float:
    """AUROC of the int(n * fraction) most confident subjects, confidence |p - 0.5| (the
    study's selective classification, export_selective_classification_data.py)."""
    from plr_luigi.extraction.metrics import auroc

    y, p = np.asarray(y, int), np.asarray(p, float)
    order = np.argsort(-np.abs(p - 0.5), kind="stable")  # most confident first
    kept = order[:int(len(y) * fraction)]
    if len(set(y[kept])) < 2:
        raise DataUnavailableError(f"the {len(kept)} most confident subjects are of one class")
    return auroc(y[kept], p[kept])


def _calibration_statistics(frame: pd.DataFrame) -> dict:
    from plr_luigi.extraction.metrics import auroc

    y, p = frame[P.y_true].to_numpy(), frame[P.y_prob].to_numpy()
    return {"ols_slope": ols_calibration_slope(y, p), "auroc_all": auroc(y, p)}


def _retention_statistics(frame: pd.DataFrame) -> dict:
    return {"auroc_half": auroc_at_retention(frame[P.y_true].to_numpy(),
                                             frame[P.y_prob].to_numpy(), HALF)}


def featurization_gap(frame: pd.DataFrame) -> dict:
    """The study's featurization comparison: per featurization, the mean over its runs of the
    AUROC of each run's mean predictions; the gap in percentage points between the two
    rounded means (as the study rounds them)."""
    from plr_luigi.extraction.metrics import auroc

    per_run = pd.Series({key: auroc(rows[P.y_true].to_numpy(), rows[P.y_prob].to_numpy())
                         for key, rows in frame.groupby([E.featurization, P.config_id])})
    means = per_run.groupby(level=0).mean()
    handcrafted = load_population(STUDY_POPULATION)["featurization"]
    missing = {handcrafted, EMBEDDING_FEATURIZATION} - set(means.index)
    if missing:
        raise DataUnavailableError(f"no CatBoost predictions of {sorted(missing)}")
    a, b = round(float(means[handcrafted]), 3), round(float(means[EMBEDDING_FEATURIZATION]), 3)
    return {"handcrafted": a, "embedding": b, "gap_pp": round((a - b) * 100)}


def type1_eta_squared(frame: pd.DataFrame, factors: list[str], response: str) -> dict:
    """Eta squared of each factor from sequential (type I) sums of squares, in the given order,
    and of the residual; keys are the factors and "Residual".

    A factor's sum of squares is the drop in residual SS when it enters after the ones before
    it (statsmodels OLS fits of the nested models): what `anova_lm(fit, typ=1)` gives for a
    full-rank design, and still defined when levels only occur together (the study's design is
    not a full grid; anova_lm then fails on the aliased columns)."""
    import statsmodels.formula.api as smf

    def fit(terms: list[str]):
        formula = f"{response} ~ " + (" + ".join(f"C({f})" for f in terms) or "1")
        with warnings.catch_warnings():  # aliased levels: their SS goes to the earlier factor
            warnings.simplefilter("ignore")
            return smf.ols(formula, data=frame).fit()

    fits = [fit(factors[:k]) for k in range(len(factors) + 1)]
    if fits[-1].df_resid < 1:
        raise DataUnavailableError(f"{len(frame)} configurations leave no residual degrees of "
                                   f"freedom for {' + '.join(factors)}")
    total = float(fits[0].ssr)
    if not total > 0:
        raise DataUnavailableError(f"{response} is the same in all {len(frame)} configurations")
    shares = {factor: (float(fits[k].ssr) - float(fits[k + 1].ssr)) / total
              for k, factor in enumerate(factors)}
    return {**shares, "Residual": float(fits[-1].ssr) / total}


def type2_eta_squared(frame: pd.DataFrame, factors: list[str], response: str) -> dict:
    """The order-free decomposition beside it (statistics.variance_decomposition: type II by
    model comparison, with the jointly explained share as "Shared")."""
    from plr_luigi.analysis.statistics import variance_decomposition

    table = variance_decomposition(frame, factors, response)
    return dict(zip(table["factor"], table["eta_sq"], strict=True))


# --- the specs ---------------------------------------------------------------------------------

def _pipeline_levels(spec: dict) -> dict[str, str]:
    return {factor: spec[factor] for factor in FACTORS}


def study_specs(benchmark_ci_lower: float) -> list[NumberSpec]:
    """The study's macro names with its definitions, over its population (handcrafted)."""
    from plr_luigi.study.display import display_name

    where = levels_where(load_population(STUDY_POPULATION))
    words = population_text(STUDY_POPULATION)
    rated = f"{where} AND {E.auroc} IS NOT NULL"

    def over(sql_expr: str) -> str:
        return f"SELECT {sql_expr} FROM {E.name} WHERE {rated}"

    def best(columns: str) -> str:
        return f"{over(columns)} ORDER BY {E.auroc} DESC, {E.config_id} LIMIT 1"

    def spec(macro, description, sql, fmt="{}", derive=None) -> NumberSpec:
        return NumberSpec(macro, description, sql, fmt, derive, words)

    def display(factor: str):
        return (f"study.display.display_name({factor})",
                lambda frame: {"name": display_name(factor, frame.iloc[0, 0])}, "name")

    levels = f"{E.outlier_method}, {E.imputation_method}, {E.classifier}"
    pipeline_name = ("study.display.display_name(levels)", lambda frame: {"name": (
        f"{display_name(E.outlier_method, frame.iloc[0, 0])} + "
        f"{display_name(E.imputation_method, frame.iloc[0, 1])}, "
        f"{display_name(E.classifier, frame.iloc[0, 2])}")}, "name")
    return [
        spec("nConfigs", "configurations", over("count(*)")),
        spec("nBenchmark", "configurations whose AUROC reaches the published benchmark's CI "
             f"lower bound ({benchmark_ci_lower:.2f})",
             over(f"count(*) FILTER (WHERE {E.auroc} >= {float(benchmark_ci_lower)})")),
        spec("minAUROC", "lowest AUROC", over(f"min({E.auroc})"), THREE),
        spec("maxAUROC", "highest AUROC", over(f"max({E.auroc})"), THREE),
        spec("meanAUROC", "mean AUROC over configurations", over(f"avg({E.auroc})"), THREE),
        spec("aurocRange", "highest minus lowest AUROC (a difference, not an interval)",
             over(f"max({E.auroc}) - min({E.auroc})"), THREE),
        spec("bestOutlier", "outlier method of the best configuration (level name)",
             best(E.outlier_method)),
        spec("bestImputation", "imputation method of the best configuration (level name)",
             best(E.imputation_method)),
        spec("bestClassifier", "classifier of the best configuration (level name)",
             best(E.classifier)),
        spec("bestAUROC", "AUROC of the best configuration", best(E.auroc), THREE),
        spec("bestPipeline", "the best configuration as outlier+imputation+classifier",
             best(f"{E.outlier_method} || '+' || {E.imputation_method} || '+' || "
                  f"{E.classifier}")),
        spec("nPredictions", "subject-level test predictions (rows of the predictions table)",
             f"SELECT count(*) FROM {P.name} p JOIN {E.name} e USING ({E.config_id}) "
             f"WHERE {levels_where(load_population(STUDY_POPULATION), 'e.')}"),
        spec("bestOutlierName", "outlier method of the best configuration (display name)",
             best(E.outlier_method), derive=display(E.outlier_method)),
        spec("bestImputationName", "imputation method of the best configuration (display "
             "name)", best(E.imputation_method), derive=display(E.imputation_method)),
        spec("bestClassifierName", "classifier of the best configuration (display name)",
             best(E.classifier), derive=display(E.classifier)),
        spec("bestPipelineName", "the best configuration in display names", best(levels),
             derive=pipeline_name),
    ]


def benchmark_numbers(reference_auroc: float, ci: list[float]) -> list[dict]:
    """The published benchmark (Najjar et al.): configuration (configs/figures.yaml), not data."""
    population = "published benchmark (Najjar et al.), not this study's data"
    source = "configs/figures.yaml"
    return [
        configured_number("najjarAUROC", "published benchmark AUROC", reference_auroc,
                          f"{reference_auroc:.2f}", f"{source} reference_auroc", population),
        configured_number("najjarCILower", "its 95 % CI lower bound", ci[0], f"{ci[0]:.2f}",
                          f"{source} reference_auroc_ci[0]", population),
        configured_number("najjarCIUpper", "its 95 % CI upper bound", ci[1], f"{ci[1]:.2f}",
                          f"{source} reference_auroc_ci[1]", population),
    ]


def stratos_specs(pipelines: dict[str, dict]) -> list[NumberSpec]:
    """Per standard pipeline (configs/pipelines.yaml, however many): the STRATOS values of
    Fig 1 and T6, and AUROC at 50 % retention (S2). A pipeline missing from the database has
    its macros n/a with the reason."""
    specs = []
    for name, pipeline in pipelines.items():
        suffix, label = camel_case(name), pipeline["label"]
        where = levels_where(_pipeline_levels(pipeline))
        words = f"standard pipeline {name}: {label} ({where})"

        # A standard pipeline may be extracted as such only (the deep-learning pipeline).
        def value(expr: str, where: str = where) -> str:
            return f"SELECT {expr} FROM {schema.EVERY_EXTRACTED_CONFIGURATION} WHERE {where}"

        predictions = (f"SELECT p.{P.y_true}, p.{P.y_prob} FROM {P.name} p JOIN "
                       f"{schema.EVERY_EXTRACTED_CONFIGURATION} e "
                       f"USING ({E.config_id}) WHERE "
                       f"{levels_where(_pipeline_levels(pipeline), 'e.')} "
                       f"ORDER BY p.{P.subject_code}")
        calibration = ("manuscript_numbers.ols_calibration_slope,extraction.metrics.auroc",
                       _calibration_statistics)
        retention = ("manuscript_numbers.auroc_at_retention(0.5)", _retention_statistics)
        prevalence = f"({E.n_events}::DOUBLE / {E.n_test})"
        rows = [
            ("stratosAuroc", "AUROC (mean of the bootstrap AUROCs)", value(E.auroc), None),
            ("stratosAurocCiLo", "its 95 % CI lower bound", value(E.auroc_ci_lo), None),
            ("stratosAurocCiHi", "its 95 % CI upper bound", value(E.auroc_ci_hi), None),
            ("stratosCalibrationSlope", "calibration slope as published (least-squares slope "
             "of y on logit(p) of the mean predictions, D)", predictions,
             (*calibration, "ols_slope")),
            ("stratosCalibrationSlopeLogistic", "calibration slope, sound (logistic "
             "regression of y on logit(p))", value(E.calibration_slope), None),
            ("stratosOeRatio", "observed to expected (O to E) ratio, mean(y) / mean(p)",
             value(E.o_e_ratio), None),
            ("stratosBrier", "Brier score as the study's database holds it (mean of the "
             "bootstrap iterations' Briers, D)", value(E.brier), None),
            ("stratosBrierOfMeanProb", "Brier score of the mean predictions, sound",
             value(E.brier_of_mean_prob), None),
            ("stratosIpa", "IPA (scaled Brier) = 1 - Brier of the mean predictions / (prev "
             "(1 - prev)), prev = the test subjects' prevalence",
             value(f"1 - {E.brier_of_mean_prob} / ({prevalence} * (1 - {prevalence}))"), None),
            *((f"stratosNetBenefit{word}", f"net benefit at threshold {t:.2f}",
               value(schema.net_benefit_column(t)), None)
              for t, word in THRESHOLD_WORDS.items()),
            ("aurocAllRetained", "AUROC of the mean predictions of every test subject",
             predictions, (*calibration, "auroc_all")),
            ("aurocHalfRetained", "AUROC at 50 % retention (the int(n / 2) test subjects of "
             "highest |p - 0.5|, S2)", predictions, (*retention, "auroc_half")),
        ]
        specs += [NumberSpec(f"{macro}{suffix}", f"{description}, {label}", sql, THREE,
                             derive, words) for macro, description, sql, derive in rows]
    return specs


def labelled_counts_sql() -> str:
    """A one-row subquery (subjects, events): the labelled subjects and glaucoma cases of the
    train and test splits of one configuration of the study's population (every
    configuration has the same split)."""
    where = levels_where(load_population(STUDY_POPULATION), "e.")
    splits = ", ".join(quoted(s) for s in LABELLED_SPLITS)
    return (f"(SELECT sum(c.{COHORT.n_subjects}) AS subjects, sum(c.{COHORT.n_events}) AS "
            f"events FROM {COHORT.name} c JOIN {E.name} e USING ({E.config_id}) WHERE {where} "
            f"AND c.{COHORT.split} IN ({splits}) GROUP BY c.{COHORT.config_id} "
            f"ORDER BY c.{COHORT.config_id} LIMIT 1)")


def cohort_specs() -> list[NumberSpec]:
    """The cohort's counts: the labelled subjects of the classifiers' splits (cohort_metrics)
    and every subject of the preprocessing experiments (cohort_summary)."""
    words = population_text(STUDY_POPULATION)
    one = labelled_counts_sql()
    return [
        NumberSpec("nSubjectsPreprocessing", "subjects of the preprocessing experiments, every "
                   "recorded subject of the source database, labelled and unlabelled (n/a "
                   "without a source database)",
                   f"SELECT {CS.n_subjects} FROM {CS.name} "
                   f"WHERE {CS.subject_group} = {quoted(RECORDED_GROUP)}",
                   population="the subjects of the upstream (preprocessing) experiments"),
        NumberSpec("nLabelledSubjects", "labelled subjects (train and test splits)",
                   f"SELECT subjects FROM {one}", population=words),
        NumberSpec("nGlaucomaSubjects", "labelled glaucoma subjects",
                   f"SELECT events FROM {one}", population=words),
        NumberSpec("nControlSubjects", "labelled control subjects",
                   f"SELECT subjects - events FROM {one}", population=words),
        NumberSpec("prevalencePercent", "glaucoma share of the labelled subjects, %",
                   f"SELECT 100.0 * events / subjects FROM {one}", PERCENT, population=words),
    ]


def spread_specs() -> list[NumberSpec]:
    """The CatBoost specification curve's median and range, and the featurization gap."""
    catboost = load_population(CATBOOST_POPULATION)
    where = levels_where(catboost)
    words = population_text(CATBOOST_POPULATION)

    def over(expr: str) -> str:
        return f"SELECT {expr} FROM {E.name} WHERE {where}"

    classifier_only = levels_where({E.classifier: catboost[E.classifier]}, "e.")
    featurizations = ", ".join(quoted(f) for f in (
        load_population(STUDY_POPULATION)["featurization"], EMBEDDING_FEATURIZATION))
    gap_sql = (f"SELECT e.{E.featurization}, p.{P.config_id}, p.{P.y_true}, p.{P.y_prob} "
               f"FROM {P.name} p JOIN {E.name} e USING ({E.config_id}) WHERE {classifier_only} "
               f"AND e.{E.featurization} IN ({featurizations}) "
               f"ORDER BY e.{E.featurization}, p.{P.config_id}, p.{P.subject_code}")
    gap = ("manuscript_numbers.featurization_gap", featurization_gap)
    gap_words = f"CatBoost, featurization {featurizations}"
    return [
        NumberSpec("nSpecCurveConfigs", "configurations of the specification curve",
                   over("count(*)"), population=words),
        NumberSpec("specCurveMedianAuroc", "median AUROC of the specification curve",
                   over(f"median({E.auroc})"), THREE, population=words),
        NumberSpec("specCurveMinAuroc", "lowest AUROC of the specification curve",
                   over(f"min({E.auroc})"), THREE, population=words),
        NumberSpec("specCurveMaxAuroc", "highest AUROC of the specification curve",
                   over(f"max({E.auroc})"), THREE, population=words),
        NumberSpec("featurizationAurocHandcrafted", "mean over CatBoost runs of the AUROC "
                   "of the mean predictions, handcrafted features", gap_sql, THREE,
                   (*gap, "handcrafted"), gap_words),
        NumberSpec("featurizationAurocEmbedding", "the same, MOMENT embeddings", gap_sql,
                   THREE, (*gap, "embedding"), gap_words),
        NumberSpec("featurizationGapPp", "their difference in percentage points (of the "
                   "rounded means, as the study rounds)", gap_sql, "{}", (*gap, "gap_pp"),
                   gap_words),
    ]


def eta_squared_specs() -> list[NumberSpec]:
    """Fig 6's eta squared, as percentages: A CatBoost, auroc ~ outlier + imputation; B every
    classifier, auroc ~ classifier + outlier + imputation; type I as published (D: it depends
    on the order) and type II beside it."""
    models = {
        "Catboost": (CATBOOST_POPULATION, [E.outlier_method, E.imputation_method]),
        "Full": (STUDY_POPULATION, [E.classifier, E.outlier_method, E.imputation_method]),
    }
    names = {E.classifier: "Classifier", E.outlier_method: "Outlier",
             E.imputation_method: "Imputation", "Residual": "Residual", "Shared": "Shared"}
    specs = []
    for model, (population, factors) in models.items():
        sql = (f"SELECT {', '.join(factors)}, {E.auroc} FROM {E.name} WHERE "
               f"{levels_where(load_population(population))} ORDER BY {E.config_id}")
        formula = f"auroc ~ {' + '.join(factors)}"

        def percent(function, factors: list[str] = factors):
            return lambda frame: {k: 100 * v for k, v in function(frame, factors,
                                                                    E.auroc).items()}

        model_terms = "+".join(factors)
        type1 = (f"manuscript_numbers.type1_eta_squared(auroc~{model_terms})",
                 percent(type1_eta_squared))
        type2 = (f"statistics.variance_decomposition(auroc~{model_terms})",
                 percent(type2_eta_squared))
        for term in [*factors, "Residual"]:
            specs.append(NumberSpec(
                f"etaSq{model}{names[term]}Percent", f"{term} share of AUROC variance, type I "
                f"(sequential, in the order {formula}), %", sql, PERCENT, (*type1, term),
                population_text(population)))
        for term in [*factors, "Shared", "Residual"]:
            specs.append(NumberSpec(
                f"etaSq{model}{names[term]}TypeTwoPercent", f"{term} share of AUROC variance, "
                f"type II (order-free), %", sql, PERCENT, (*type2, term),
                population_text(population)))
    return specs


def duplicate_specs() -> list[NumberSpec]:
    """Configurations run more than once: the database keeps the later-finished run of each,
    where the study kept the one of highest AUROC (D: a winner's-curse bias). What the
    published rule gives comes from the AUROC each run logged (duplicate_runs): how often the
    rules keep different runs, by how much AUROC at most, and the mean AUROC each rule
    keeps."""
    words = ("every configuration run more than once (duplicate_runs; any classifier and "
             "featurization)")
    # Per configuration, the logged AUROC of the run each rule keeps (both logged one).
    kept = (f"(SELECT h.{D.logged_auroc} AS highest, l.{D.logged_auroc} AS later "
            f"FROM {D.name} h JOIN {D.name} l USING ({D.config_id}) "
            f"WHERE h.{D.kept_highest_auroc} AND l.{D.kept_later} "
            f"AND l.{D.logged_auroc} IS NOT NULL)")
    return [
        NumberSpec("nDuplicateRuns", "runs skipped as a second run of a configuration "
                   "(the later-finished run is kept)",
                   f"SELECT count(*) FROM {R.name} WHERE {R.reason} LIKE "
                   "'duplicate configuration%'", population="every run of the "
                   "classification experiment"),
        NumberSpec("nDuplicateConfigurations", "configurations run more than once",
                   f"SELECT count(DISTINCT {D.config_id}) FROM {D.name}", population=words),
        NumberSpec("nDuplicateRuleDisagreements", "of them, those where the study's rule "
                   "(highest logged AUROC) keeps another run than the later-finished one",
                   f"SELECT count(DISTINCT {D.config_id}) FROM {D.name} "
                   f"WHERE {D.kept_highest_auroc} AND NOT {D.kept_later}", population=words),
        NumberSpec("duplicateRuleMaxAurocDifference", "largest AUROC the study's rule adds to "
                   "a configuration (logged AUROC of the run of highest AUROC minus that of "
                   "the later-finished run)", f"SELECT max(highest - later) FROM {kept}", THREE,
                   population=words),
        *(NumberSpec(f"duplicate{rule}RuleAuroc{stat.capitalize()}", f"{stat} over them of "
                     f"the logged AUROC of the run {kept_by}", f"SELECT {stat}({column}) "
                     f"FROM {kept}", THREE, population=words)
          for rule, column, kept_by in (
              ("Highest", "highest", "of highest AUROC (the study's rule, D)"),
              ("Later", "later", "that finished later (this database's rule)"))
          for stat in ("mean", "max")),
    ]


def manuscript_specs(pipelines: dict[str, dict], benchmark_ci_lower: float) -> list[NumberSpec]:
    return [*study_specs(benchmark_ci_lower), *stratos_specs(pipelines), *cohort_specs(),
            *spread_specs(), *eta_squared_specs(), *duplicate_specs()]


def events_per_variable_specs() -> list[NumberSpec]:
    """Events per variable: labelled glaucoma subjects / handcrafted features. The features
    are those of the explained configurations (the interpretation database's VIF rows), so
    these run with it attached."""
    from plr_luigi.database.interpretation_queries import ALIAS

    words = population_text(STUDY_POPULATION)
    where = levels_where(load_population(STUDY_POPULATION), "e.")
    events = f"SELECT events FROM {labelled_counts_sql()}"
    features = (f"SELECT count(DISTINCT v.{schema.VIF.feature}) FROM {ALIAS}.{schema.VIF.name} "
                f"v JOIN {E.name} e USING ({E.config_id}) WHERE {where}")
    return [
        NumberSpec("nFeatures", "handcrafted features of the classifiers", features,
                   population=words),
        NumberSpec("eventsPerVariable", "events per variable = labelled glaucoma subjects / "
                   "features", f"SELECT ({events}) / nullif(({features}), 0)", "{:.1f}",
                   population=words),
    ]
