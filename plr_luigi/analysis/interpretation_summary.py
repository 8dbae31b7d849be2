"""From the interpretation rows to what Fig 5, S7, the VIF figure and numbers.tex show: the
configuration of a standard pipeline, the top-N mean, the features with high VIF, and the
numbers' queries (run with the interpretation database attached, database.interpretation_queries).
"""

from __future__ import annotations

import pandas as pd

from plr_luigi.analysis.number_macros import NumberSpec, camel_case
from plr_luigi.database.interpretation_queries import ALIAS
from plr_luigi.study import schema
from plr_luigi.study.factors import FACTORS
from plr_luigi.study.unavailable import DataUnavailableError

E = schema.ESSENTIAL
S = schema.SHAP_IMPORTANCE
V = schema.VIF
R = schema.SHAP_REPORT
STUDY_RULE = "member0"
TOP_MEAN_RULE = ("mean over the configurations of their mean |SHAP|; interval: the lowest and "
                 "highest of the configurations' means")


def pipeline_rows(shap: pd.DataFrame, spec: dict[str, str]) -> pd.DataFrame:
    """The shap rows of the configuration with the pipeline's four levels (may be empty)."""
    mask = pd.Series(True, index=shap.index)
    for factor in FACTORS:
        mask &= shap[factor] == spec[factor]
    return shap[mask]


def why_missing(report: pd.DataFrame, configurations: pd.DataFrame, spec: dict[str, str]) -> str:
    """Why a pipeline has no SHAP rows: its configuration failed (with the reason), or it is not
    in the database (configurations: config_id and the four levels of each)."""
    found = pipeline_rows(configurations, spec)
    if found.empty:
        return "not in the results database"
    failed = report[report[R.config_id].isin(found[E.config_id])
                    & (report[R.outcome] != "explained")]
    if len(failed):
        return f"SHAP failed: {failed[R.reason].iloc[0]}"
    return "not selected for SHAP"


def top_mean_rows(shap: pd.DataFrame, top_n: int) -> pd.DataFrame:
    """Per member rule and feature, the mean over the top-N configurations (by AUROC among
    those with an AUROC rank in their selection) of their mean |SHAP|, with the range of those
    means as the interval."""
    ranked = shap[shap[R.selection].str.startswith("AUROC rank")]
    top_ids = (ranked.drop_duplicates(S.config_id).sort_values(E.auroc, ascending=False)
               [S.config_id].head(top_n))
    rows = ranked[ranked[S.config_id].isin(top_ids)]
    if rows.empty:
        raise DataUnavailableError("no configuration of the top-N selection was explained")
    grouped = rows.groupby([S.member_rule, S.feature])[S.mean_abs_shap]
    return pd.DataFrame({S.mean_abs_shap: grouped.mean(), S.ci_lo: grouped.min(),
                         S.ci_hi: grouped.max(), S.n_models: rows.groupby(
                             [S.member_rule, S.feature])[S.n_models].min(),
                         "n_configurations": grouped.size()}).reset_index()


def high_vif_features(vif: pd.DataFrame, config_id: str, threshold: float) -> set[str]:
    rows = vif[(vif[V.config_id] == config_id) & (vif[V.vif] > threshold)]
    return set(rows[V.feature])


def _levels_where(spec: dict[str, str]) -> str:
    return " AND ".join(f"e.{f} = '{spec[f].replace(chr(39), chr(39) * 2)}'" for f in FACTORS)


def interpretation_number_specs(pipelines: dict[str, dict], vif_threshold: float
                                ) -> list[NumberSpec]:
    """Per standard pipeline: its top feature by mean |SHAP| (member 0) with the value and
    interval, and its features with VIF above the threshold (count and names). A pipeline
    that was not explained has NULL, so n/a with the reason, never 0."""
    shap_from = (f"FROM {ALIAS}.{S.name} s JOIN {E.name} e USING ({E.config_id}) "
                 f"WHERE s.{S.member_rule} = '{STUDY_RULE}'")
    vif_from = f"FROM {ALIAS}.{V.name} v JOIN {E.name} e USING ({E.config_id})"
    high = f"v.{V.vif} > {float(vif_threshold)}"
    specs = []
    for name, spec in pipelines.items():
        suffix, label, where = camel_case(name), spec["label"], _levels_where(spec)
        top = {column: f"SELECT s.{column} {shap_from} AND {where} "
                       f"ORDER BY s.{S.mean_abs_shap} DESC, s.{S.feature} LIMIT 1"
               for column in (S.feature, S.mean_abs_shap, S.ci_lo, S.ci_hi)}
        specs += [
            NumberSpec(f"shapTopFeature{suffix}", f"feature with the highest mean |SHAP|, {label}",
                       top[S.feature]),
            NumberSpec(f"shapTopMean{suffix}", f"its mean |SHAP| (member 0), {label}",
                       top[S.mean_abs_shap], "{:.3f}"),
            NumberSpec(f"shapTopCiLo{suffix}", f"its 2.5th percentile, {label}",
                       top[S.ci_lo], "{:.3f}"),
            NumberSpec(f"shapTopCiHi{suffix}", f"its 97.5th percentile, {label}",
                       top[S.ci_hi], "{:.3f}"),
            NumberSpec(f"nVifHigh{suffix}", f"features with VIF > {vif_threshold:g}, {label}",
                       f"SELECT CASE WHEN count(*) = 0 THEN NULL ELSE count(*) FILTER "
                       f"(WHERE {high}) END {vif_from} WHERE {where}"),
            NumberSpec(f"vifHighFeatures{suffix}", f"their names, {label}",
                       f"SELECT CASE WHEN count(*) = 0 THEN NULL ELSE coalesce(string_agg("
                       f"v.{V.feature}, ', ' ORDER BY v.{V.vif} DESC) FILTER (WHERE {high}), "
                       f"'none') END {vif_from} WHERE {where}"),
        ]
    return specs
