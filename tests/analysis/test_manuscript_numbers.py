"""The manuscript's numbers on a small hand-made results database, each against a computation
of its own here (pandas, numpy least squares, scikit-learn), and numbers.tex compiled with
pdflatex in a manuscript fragment that uses every macro."""

from __future__ import annotations

import re

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import roc_auc_score
from support.latex import STUDY_MACROS, compile_fragment

from plr_luigi.analysis import manuscript_numbers as mn
from plr_luigi.analysis.number_macros import (
    compute_numbers,
    numbers_twin,
    render_numbers_tex,
)
from plr_luigi.database.interpretation_queries import ALIAS
from plr_luigi.study import schema
from plr_luigi.study.configs import CONFIGS_DIR, load_standard_pipelines

# The module-scoped fixture is made once: the module's tests on one pytest-xdist worker.
pytestmark = pytest.mark.xdist_group("manuscript_numbers")
E = schema.ESSENTIAL
N_TEST, N_TEST_EVENTS = 20, 6  # test split of every configuration
N_TRAIN, N_TRAIN_EVENTS = 30, 8
N_FEATURES = 8
BENCHMARK_CI_LOWER = 0.90


def _configurations(rng: np.random.Generator) -> pd.DataFrame:
    """The standard pipelines' levels crossed, CatBoost and XGBoost, handcrafted; plus a few
    CatBoost configurations on MOMENT embeddings (outside the study's population)."""
    pipelines = load_standard_pipelines()
    outliers = sorted({p["outlier_method"] for p in pipelines.values()} | {"SubPCA"})
    imputations = sorted({p["imputation_method"] for p in pipelines.values()} | {"TimesNet"})
    rows = [(o, i, c, "simple1.0") for o in outliers for i in imputations
            for c in ("CatBoost", "XGBoost")]
    rows += [(o, "SAITS", "CatBoost", "MOMENT-embedding") for o in outliers[:3]]
    frame = pd.DataFrame(rows, columns=["outlier_method", "imputation_method", "classifier",
                                        "featurization"])
    frame["config_id"] = [f"run{k:03d}" for k in range(len(frame))]
    return frame


def _predictions(configs: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    y = np.array([1] * N_TEST_EVENTS + [0] * (N_TEST - N_TEST_EVENTS))
    frames = []
    for config_id in configs["config_id"]:
        signal = rng.uniform(0.5, 2.5)
        p = 1 / (1 + np.exp(-(signal * (y - 0.3) + rng.normal(0, 1, N_TEST) - 0.8)))
        frames.append(pd.DataFrame({"config_id": config_id, "subject_code": [
            f"{'G' if label else 'H'}{k:03d}" for k, label in enumerate(y)], "y_true": y,
            "y_prob": p, "y_prob_std": rng.uniform(0.01, 0.05, N_TEST)}))
    return pd.concat(frames, ignore_index=True)


def _essential(configs: pd.DataFrame, predictions: pd.DataFrame,
               rng: np.random.Generator) -> pd.DataFrame:
    frame = configs.copy()
    frame["run_id"] = frame["config_id"]
    frame["run_name"] = frame["config_id"]
    # AUROC in the essential table is the mean bootstrap AUROC: near, not equal to, that of
    # the mean predictions.
    frame["auroc"] = rng.uniform(0.70, 0.93, len(frame))
    frame["auroc_ci_lo"] = frame["auroc"] - rng.uniform(0.01, 0.03, len(frame))
    frame["auroc_ci_hi"] = frame["auroc"] + rng.uniform(0.01, 0.03, len(frame))
    by_config = predictions.groupby("config_id")
    frame["brier_of_mean_prob"] = frame["config_id"].map(by_config.apply(
        lambda r: float(np.mean((r["y_prob"] - r["y_true"]) ** 2)), include_groups=False))
    frame["brier"] = frame["brier_of_mean_prob"] + rng.uniform(1e-4, 2e-3, len(frame))
    frame["calibration_slope"] = rng.uniform(0.7, 1.3, len(frame))
    frame["calibration_intercept"] = rng.normal(0, 0.2, len(frame))
    frame["o_e_ratio"] = rng.uniform(0.8, 1.2, len(frame))
    for t in schema.NET_BENEFIT_THRESHOLDS:
        frame[schema.net_benefit_column(t)] = rng.uniform(0.1, 0.25, len(frame))
    frame["prevalence"] = 0.0354
    frame["n_test"], frame["n_events"], frame["n_bootstrap"] = N_TEST, N_TEST_EVENTS, 1000
    return frame


@pytest.fixture(scope="module")
def database():
    rng = np.random.default_rng(18)
    configs = _configurations(rng)
    predictions = _predictions(configs, rng)
    essential = _essential(configs, predictions, rng)
    # As the merge leaves it: the deep-learning pipeline's run (an outlier level invalid for
    # the factor comparisons) apart in standard_pipeline_only_metrics, the level's other runs
    # not extracted.
    deep_learning = load_standard_pipelines()["deep_learning"]
    invalid = essential["outlier_method"] == deep_learning["outlier_method"]
    apart = essential[invalid & (essential["imputation_method"]
                                 == deep_learning["imputation_method"])
                      & (essential["classifier"] == deep_learning["classifier"])
                      & (essential["featurization"] == deep_learning["featurization"])]
    essential = essential[~invalid].reset_index(drop=True)
    assert len(apart) == 1
    cohort = pd.DataFrame([(c, split, n, events, None, None, None, None)
                           for c in configs["config_id"]
                           for split, n, events in (("train", N_TRAIN, N_TRAIN_EVENTS),
                                                    ("val", N_TRAIN, N_TRAIN_EVENTS),
                                                    ("test", N_TEST, N_TEST_EVENTS))],
                          columns=schema.COHORT.column_names)
    report = pd.DataFrame({"run_id": [f"r{k}" for k in range(5)], "run_name": "x",
                           "status": "FINISHED", "lifecycle_stage": "active",
                           "outcome": ["extracted", "skipped", "skipped", "skipped", "failed"],
                           "reason": [None, "duplicate configuration; kept run run001, which "
                                      "finished later", "duplicate configuration; kept run "
                                      "run002, which finished later", "invalid level", "boom"],
                           "seconds": 1.0, "rss_growth_mb": 0.0})
    vif = pd.DataFrame([(c, f"Blue_feature{k}", 2.0) for c in configs["config_id"][:3]
                        for k in range(N_FEATURES)], columns=schema.VIF.column_names)
    with duckdb.connect() as con:
        for table, frame in ((E, essential), (schema.STANDARD_PIPELINE_ONLY, apart),
                             (schema.PREDICTIONS, predictions),
                             (schema.COHORT, cohort), (schema.EXTRACTION_REPORT, report)):
            con.execute(table.ddl())
            con.register("frame", frame)
            con.execute(f"INSERT INTO {table.name} BY NAME SELECT * FROM frame")
            con.unregister("frame")
        for table in (schema.COHORT_SUMMARY, schema.DUPLICATE_RUNS):  # their own tests below
            con.execute(table.ddl())
        con.execute(f"ATTACH ':memory:' AS {ALIAS}")
        con.execute(schema.VIF.ddl().replace(f"TABLE {schema.VIF.name}",
                                             f"TABLE {ALIAS}.{schema.VIF.name}"))
        con.register("frame", vif)
        con.execute(f"INSERT INTO {ALIAS}.{schema.VIF.name} SELECT * FROM frame")
        specs = [*mn.manuscript_specs(load_standard_pipelines(), BENCHMARK_CI_LOWER),
                 *mn.events_per_variable_specs()]
        numbers = compute_numbers(con, specs)
        numbers += mn.benchmark_numbers(0.93, [0.90, 0.96])
        yield {"essential": essential, "apart": apart, "predictions": predictions,
               "numbers": numbers,
               "by_macro": {n["macro"]: n for n in numbers}, "con": con}


def _value(database, macro):
    number = database["by_macro"][macro]
    assert number["unavailable"] is None, number["unavailable"]
    return number["value"]


def test_the_studys_macros_are_over_handcrafted_configurations(database):
    essential = database["essential"]
    study = essential[essential["featurization"] == "simple1.0"]
    assert _value(database, "nConfigs") == len(study) < len(essential)
    assert _value(database, "minAUROC") == pytest.approx(study["auroc"].min())
    assert _value(database, "maxAUROC") == pytest.approx(study["auroc"].max())
    assert _value(database, "meanAUROC") == pytest.approx(study["auroc"].mean())
    assert _value(database, "aurocRange") == pytest.approx(
        study["auroc"].max() - study["auroc"].min())
    assert _value(database, "nBenchmark") == int((study["auroc"] >= BENCHMARK_CI_LOWER).sum())
    best = study.loc[study["auroc"].idxmax()]
    assert _value(database, "bestAUROC") == pytest.approx(best["auroc"])
    assert (_value(database, "bestOutlier"), _value(database, "bestImputation"),
            _value(database, "bestClassifier")) == (
        best["outlier_method"], best["imputation_method"], best["classifier"])
    assert _value(database, "bestPipeline") == "+".join(
        best[["outlier_method", "imputation_method", "classifier"]])
    predictions = database["predictions"]
    assert _value(database, "nPredictions") == int(
        predictions["config_id"].isin(study["config_id"]).sum())
    names = yaml.safe_load((CONFIGS_DIR / "figures.yaml").read_text())["display_names"]
    outlier = names["outlier_method"].get(best["outlier_method"], best["outlier_method"])
    imputation = names["imputation_method"].get(best["imputation_method"],
                                                best["imputation_method"])
    assert _value(database, "bestOutlierName") == outlier
    assert _value(database, "bestPipelineName").startswith(f"{outlier} + {imputation}, ")
    assert database["by_macro"]["nConfigs"]["population"] == \
        "handcrafted (featurization = simple1.0)"


def test_the_benchmark_is_configuration(database):
    najjar = database["by_macro"]["najjarCILower"]
    assert (najjar["text"], najjar["sql"]) == ("0.90", None)
    assert "configs/figures.yaml" in najjar["statistic"]


def _source_database(path, n_control: int, n_glaucoma: int, n_unlabelled: int):
    """A subject source database in the real layout: a row per sample, the subject's columns
    repeated on each."""
    import sqlite3

    subjects = ([(f"PLR1{k:03d}", "control") for k in range(n_control)]
                + [(f"PLR4{k:03d}", "glaucoma") for k in range(n_glaucoma)]
                + [(f"PLR1{500 + k:03d}", None) for k in range(n_unlabelled)])
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE pupil_data (time REAL, subject_code TEXT, class_label TEXT, "
                    "age REAL)")
        con.executemany("INSERT INTO pupil_data VALUES (?, ?, ?, ?)",
                        [(t, code, label, 50.0 + i) for i, (code, label) in enumerate(subjects)
                         for t in (0.0, 0.1, 0.2)])
    return path


def test_the_preprocessing_subjects_are_every_recorded_subject(tmp_path):
    """\\nSubjectsPreprocessing (507 in the study: 152 control, 56 glaucoma, 299 unlabelled)
    from the cohort summary the merge writes, against the source database's own count of its
    subjects; n/a without a source database."""
    import sqlite3

    from plr_luigi.extraction.cohort_summary import read_source_subjects, summarise_cohort
    from plr_luigi.extraction.subjects import build_lookup, read_labelled_subjects

    source = _source_database(tmp_path / "subjects.sqlite", 12, 10, 7)
    with sqlite3.connect(source) as con:
        (recorded,) = con.execute("SELECT count(DISTINCT subject_code) FROM pupil_data"
                                  ).fetchone()
    lookup = build_lookup(read_labelled_subjects(source))
    specs = [s for s in mn.cohort_specs() if s.macro == "nSubjectsPreprocessing"]
    found = []
    for subjects in (read_source_subjects(source), None):
        with duckdb.connect() as con:
            con.execute(schema.COHORT_SUMMARY.ddl())
            con.register("frame", summarise_cohort(lookup, subjects))
            con.execute(f"INSERT INTO {schema.COHORT_SUMMARY.name} SELECT * FROM frame")
            found += compute_numbers(con, specs)
    assert found[0]["value"] == recorded == 29 and found[0]["unavailable"] is None
    assert "found nothing" in found[1]["unavailable"]


def test_what_the_published_duplicate_rule_keeps_beside_ours():
    """The duplicate-run numbers from the rows the merge writes (the real run decisions),
    against each configuration's runs worked out here: the later-finished run (ours) and the
    one of highest logged AUROC (the study's)."""
    from plr_luigi.store.mlflow_store import RunSummary
    from plr_luigi.store.run_decisions import decide_runs
    from plr_luigi.study.factors import load_factor_registry
    from plr_luigi.tasks.merge import duplicate_run_rows

    names = {"a": "CATBOOST_eval-auc__simple1.0__SAITS__LOF",
             "b": "XGBOOST_eval-auc__simple1.0__CSDI__LOF",
             "c": "TABM_eval-auc__MOMENT-embedding__CSDI__pupil-gt",
             "d": "CATBOOST_eval-auc__simple1.0__CSDI__LOF"}
    logged = {"a": [(1, 0.88), (2, 0.85), (3, 0.80)],  # (end time, AUROC): reruns did worse
              "b": [(1, 0.87), (2, 0.90)],  # the rerun did best: the rules agree
              "c": [(1, 0.70), (2, None)],  # the rerun logged no AUROC
              "d": [(1, 0.75)]}  # run once: no duplicate
    runs = [RunSummary(f"{c}{k}", names[c], "FINISHED", "active", 0, end, "", True, None,
                       logged_auroc=auroc)
            for c, pairs in logged.items() for k, (end, auroc) in enumerate(pairs)]
    rows = duplicate_run_rows(list(decide_runs(runs, load_factor_registry())))
    with duckdb.connect() as con:
        for table in (schema.DUPLICATE_RUNS, schema.EXTRACTION_REPORT):
            con.execute(table.ddl())
        con.register("frame", rows)
        con.execute(f"INSERT INTO {schema.DUPLICATE_RUNS.name} SELECT * FROM frame")
        numbers = {n["macro"]: n for n in compute_numbers(con, mn.duplicate_specs())}
    several = {c: pairs for c, pairs in logged.items() if len(pairs) > 1}
    later = {c: max(pairs) for c, pairs in several.items()}  # the largest end time
    best = {c: max((p for p in pairs if p[1] is not None), key=lambda p: p[1])
            for c, pairs in several.items()}
    rated = [c for c in several if later[c][1] is not None]
    assert numbers["nDuplicateConfigurations"]["value"] == len(several) == 3
    assert numbers["nDuplicateRuleDisagreements"]["value"] == sum(
        best[c] != later[c] for c in several) == 2
    assert numbers["duplicateRuleMaxAurocDifference"]["value"] == pytest.approx(
        max(best[c][1] - later[c][1] for c in rated)) == pytest.approx(0.08)
    for rule, kept in (("Highest", best), ("Later", later)):
        values = [kept[c][1] for c in rated]
        assert numbers[f"duplicate{rule}RuleAurocMean"]["value"] == pytest.approx(
            np.mean(values))
        assert numbers[f"duplicate{rule}RuleAurocMax"]["value"] == pytest.approx(max(values))


def _logit(p):
    p = np.clip(p, 1e-10, 1 - 1e-10)
    return np.log(p / (1 - p))


@pytest.mark.parametrize("pipeline", list(load_standard_pipelines()))
def test_each_standard_pipelines_stratos_values(database, pipeline):
    spec = load_standard_pipelines()[pipeline]
    # the deep-learning pipeline's row is the one apart from the compared configurations
    extracted = pd.concat([database["essential"], database["apart"]], ignore_index=True)
    levels = {k: spec[k] for k in ("outlier_method", "imputation_method", "classifier",
                                   "featurization")}
    (index,) = extracted.index[(extracted[list(levels)] == pd.Series(levels)).all(axis=1)]
    row = extracted.loc[index]
    suffix = "".join(part.capitalize() for part in pipeline.split("_"))
    rows = database["predictions"][database["predictions"]["config_id"] == row["config_id"]]
    y, p = rows["y_true"].to_numpy(), rows["y_prob"].to_numpy()
    for macro, column in (("stratosAuroc", "auroc"), ("stratosAurocCiLo", "auroc_ci_lo"),
                          ("stratosCalibrationSlopeLogistic", "calibration_slope"),
                          ("stratosOeRatio", "o_e_ratio"), ("stratosBrier", "brier"),
                          ("stratosNetBenefitTen", "net_benefit_10pct"),
                          ("stratosNetBenefitTwenty", "net_benefit_20pct")):
        assert _value(database, macro + suffix) == pytest.approx(row[column]), macro
    # The published slope: least squares of y on logit(p) (numpy's own fit here).
    assert _value(database, f"stratosCalibrationSlope{suffix}") == pytest.approx(
        np.polyfit(_logit(p), y, 1)[0])
    assert _value(database, f"stratosBrierOfMeanProb{suffix}") == pytest.approx(
        np.mean((p - y) ** 2))
    assert _value(database, f"stratosIpa{suffix}") == pytest.approx(
        1 - np.mean((p - y) ** 2) / np.var(y))
    assert _value(database, f"aurocAllRetained{suffix}") == pytest.approx(roc_auc_score(y, p))
    confident = rows.assign(c=np.abs(p - 0.5)).sort_values("c", ascending=False,
                                                             kind="stable").head(len(y) // 2)
    assert _value(database, f"aurocHalfRetained{suffix}") == pytest.approx(
        roc_auc_score(confident["y_true"], confident["y_prob"]))


def test_cohort_counts_prevalence_and_events_per_variable(database):
    labelled, glaucoma = N_TRAIN + N_TEST, N_TRAIN_EVENTS + N_TEST_EVENTS
    assert _value(database, "nLabelledSubjects") == labelled
    assert _value(database, "nGlaucomaSubjects") == glaucoma
    assert _value(database, "nControlSubjects") == labelled - glaucoma
    assert _value(database, "prevalencePercent") == pytest.approx(100 * glaucoma / labelled)
    assert _value(database, "nFeatures") == N_FEATURES
    assert database["by_macro"]["eventsPerVariable"]["text"] == f"{glaucoma / N_FEATURES:.1f}"


def test_specification_curve_featurization_gap_and_duplicates(database):
    essential = database["essential"]
    catboost = essential[(essential["classifier"] == "CatBoost")
                         & (essential["featurization"] == "simple1.0")]
    assert _value(database, "nSpecCurveConfigs") == len(catboost)
    assert _value(database, "specCurveMedianAuroc") == pytest.approx(catboost["auroc"].median())
    assert _value(database, "specCurveMinAuroc") == pytest.approx(catboost["auroc"].min())
    predictions = database["predictions"].merge(essential[["config_id", "classifier",
                                                           "featurization"]])
    predictions = predictions[predictions["classifier"] == "CatBoost"]
    per_run = predictions.groupby(["featurization", "config_id"]).apply(
        lambda r: roc_auc_score(r["y_true"], r["y_prob"]), include_groups=False)
    means = per_run.groupby(level=0).mean().round(3)
    assert _value(database, "featurizationAurocHandcrafted") == pytest.approx(
        means["simple1.0"])
    assert _value(database, "featurizationAurocEmbedding") == pytest.approx(
        means["MOMENT-embedding"])
    assert _value(database, "featurizationGapPp") == round(
        (means["simple1.0"] - means["MOMENT-embedding"]) * 100)
    assert _value(database, "nDuplicateRuns") == 2


def _rss(frame: pd.DataFrame, factors: list[str]) -> float:
    x = np.hstack([np.ones((len(frame), 1)), *(pd.get_dummies(
        frame[f], drop_first=True, dtype=float).to_numpy() for f in factors)])
    y = frame["auroc"].to_numpy()
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    return float(((y - x @ beta) ** 2).sum())


@pytest.mark.parametrize(("model", "population", "factors"), [
    ("Catboost", {"classifier": "CatBoost", "featurization": "simple1.0"},
     ["outlier_method", "imputation_method"]),
    ("Full", {"featurization": "simple1.0"},
     ["classifier", "outlier_method", "imputation_method"])])
def test_eta_squared_type_one_as_published_and_type_two_beside_it(database, model, population,
                                                                  factors):
    essential = database["essential"]
    frame = essential[(essential[list(population)] == pd.Series(population)).all(axis=1)]
    total = _rss(frame, [])
    names = {"classifier": "Classifier", "outlier_method": "Outlier",
             "imputation_method": "Imputation"}
    # Sequential: each factor is credited with what it adds to the ones entered before it.
    for k, factor in enumerate(factors):
        share = (_rss(frame, factors[:k]) - _rss(frame, factors[:k + 1])) / total
        assert _value(database, f"etaSq{model}{names[factor]}Percent") == pytest.approx(
            100 * share)
        # Type II: what it adds to all the others.
        others = [f for f in factors if f != factor]
        share2 = (_rss(frame, others) - _rss(frame, factors)) / total
        assert _value(database, f"etaSq{model}{names[factor]}TypeTwoPercent") == \
            pytest.approx(100 * share2)
    assert _value(database, f"etaSq{model}ResidualPercent") == pytest.approx(
        100 * _rss(frame, factors) / total)
    if model == "Catboost":  # a full grid: statsmodels' own type I table gives the same
        import statsmodels.formula.api as smf
        from statsmodels.stats.anova import anova_lm

        table = anova_lm(smf.ols("auroc ~ C(outlier_method) + C(imputation_method)",
                                 data=frame).fit(), typ=1)
        assert _value(database, "etaSqCatboostOutlierPercent") == pytest.approx(
            100 * table["sum_sq"].iloc[0] / table["sum_sq"].sum())


def test_type_one_eta_squared_of_a_design_whose_levels_only_occur_together():
    """The study's design is not a full grid; where anova_lm(typ=1) fails on aliased columns,
    the sequential comparison still credits the shared variance to the factor entered first."""
    frame = pd.DataFrame({"a": ["x", "x", "y", "y", "z", "z"], "b": ["p", "p", "q", "q", "r", "r"],
                          "auroc": [0.80, 0.82, 0.85, 0.86, 0.90, 0.93]})
    frame = pd.concat([frame, pd.DataFrame({"a": ["z"], "b": ["p"], "auroc": [0.88]})])
    shares = mn.type1_eta_squared(frame, ["a", "b"], "auroc")
    total = _rss(frame, [])
    assert shares["a"] == pytest.approx((total - _rss(frame, ["a"])) / total)
    assert shares["b"] == pytest.approx((_rss(frame, ["a"]) - _rss(frame, ["a", "b"])) / total)
    assert sum(shares.values()) == pytest.approx(1)


def test_the_twin_names_each_numbers_population_and_definition(database):
    twin = numbers_twin(database["numbers"], synthetic=False, provenance={})
    for entry in twin["numbers"]:
        assert entry["population"], entry["macro"]
        assert entry["sql"] or entry["statistic"] or entry["unavailable"], entry["macro"]


def test_numbers_tex_compiles_in_a_manuscript_using_every_macro(database, tmp_path):
    numbers = database["numbers"]
    tex = render_numbers_tex(numbers, synthetic=True, provenance_line="test")
    macros = [n["macro"] for n in numbers]
    assert set(STUDY_MACROS) <= set(macros)
    problems = compile_fragment(tmp_path / "latex", tex, macros)
    assert not problems, problems
    assert "\\newcommand{\\nSubjectsPreprocessing}{\\textit{n/a}}" in tex


def test_the_compile_check_fails_on_an_undefined_macro(database, tmp_path):
    numbers = [n for n in database["numbers"] if n["macro"] != "nConfigs"]
    tex = render_numbers_tex(numbers, synthetic=False, provenance_line="test")
    problems = compile_fragment(tmp_path / "latex", tex, [n["macro"] for n in numbers])
    assert any("Undefined control sequence" in p for p in problems), problems


def test_no_description_holds_the_colon_that_ends_it_in_numbers_tex():
    """numbers.tex comments each macro `% description: SQL`: a colon inside the description
    would make the SQL unreadable from the comment (every spec, available here or not)."""
    from plr_luigi.analysis.number_macros import number_specs

    specs = [*mn.manuscript_specs(load_standard_pipelines(), BENCHMARK_CI_LOWER),
             *mn.events_per_variable_specs(), *number_specs(["CatBoost"], 10, 0.05)]
    assert [s.macro for s in specs if ":" in s.description] == []


def test_each_macros_comment_names_its_query_which_gives_its_value(database):
    """numbers.tex comments each macro with `% description: SQL [-> statistic]`: a reader can
    run the SQL of a plain number and get what the macro prints; configuration says its file."""
    from plr_luigi.analysis.latex import escape_latex

    tex = render_numbers_tex(database["numbers"], synthetic=False, provenance_line="test")
    pattern = re.compile(r"^% (?P<description>[^:\n]*): (?P<sql>.*?)(?: -> (?P<stat>\S+))?\n"
                         r"\\newcommand\{\\(?P<macro>\w+)\}\{(?P<text>.*)\}$", re.MULTILINE)
    parsed = {m["macro"]: m for m in pattern.finditer(tex)}
    available = [n for n in database["numbers"] if not n["unavailable"] and n["sql"]]
    assert sorted(parsed) == sorted(n["macro"] for n in available)
    for number in available:
        m = parsed[number["macro"]]
        assert (m["sql"], m["stat"]) == (number["sql"], number["statistic"]), number["macro"]
        if m["stat"] is None:
            value = database["con"].execute(m["sql"]).fetchone()[0]
            assert m["text"] == escape_latex(number["text"]) and value == pytest.approx(
                number["value"]) if not isinstance(value, str) else value == number["value"]
    assert "% published benchmark AUROC (configuration, configs/figures.yaml " \
           "reference_auroc)\n\\newcommand{\\najjarAUROC}{0.93}" in tex
