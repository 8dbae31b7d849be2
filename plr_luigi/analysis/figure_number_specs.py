"""Numbers of the main-text figures 3 and 7 for numbers.tex: the spread of each raincloud
metric over the configurations (median and quartiles), and each standard CatBoost pipeline's
mean per-subject 95% bootstrap interval width (prediction instability)."""

from __future__ import annotations

from plr_luigi.analysis.number_macros import NumberSpec, camel_case
from plr_luigi.study import schema
from plr_luigi.study.factors import FACTORS

E = schema.ESSENTIAL
I = schema.PREDICTION_INSTABILITY  # noqa: E741 -- the table, as E is essential_metrics
# Macro prefix -> (quantile, words).
QUARTILES = {"lowerQuartile": (0.25, "lower quartile"), "median": (0.5, "median"),
             "upperQuartile": (0.75, "upper quartile")}


def catboost_pipelines(pipelines: dict[str, dict]) -> dict[str, dict]:
    """The standard pipelines (configs/pipelines.yaml) whose classifier is CatBoost: the
    panels of the instability figure."""
    return {name: spec for name, spec in pipelines.items() if spec["classifier"] == "CatBoost"}


def _levels_where(spec: dict[str, str]) -> str:
    return " AND ".join(f"e.{f} = '{spec[f].replace(chr(39), chr(39) * 2)}'" for f in FACTORS)


def instability_width_sql(spec: dict[str, str]) -> str:
    # A standard pipeline may be one extracted only as such (the deep-learning pipeline).
    return (f"SELECT avg(i.{I.p_q97_5} - i.{I.p_q02_5}) FROM {I.name} i JOIN "
            f"{schema.EVERY_EXTRACTED_CONFIGURATION} "
            f"e USING ({E.config_id}) WHERE {_levels_where(spec)}")


def instability_macro(pipeline: str) -> str:
    """The numbers.tex macro of a pipeline's mean 95% interval width."""
    return f"instabilityWidth{camel_case(pipeline)}"


def instability_specs(pipelines: dict[str, dict]) -> list[NumberSpec]:
    """One number per pipeline given (those the database holds: an absent one leaves its
    macro undefined rather than made up)."""
    return [NumberSpec(instability_macro(name),
                       f"mean per-subject 95% bootstrap interval width of the predictions, "
                       f"{spec['label']}", instability_width_sql(spec), "{:.3f}")
            for name, spec in pipelines.items()]


def raincloud_specs(metrics: dict[str, dict]) -> list[NumberSpec]:
    """Median and quartiles over the configurations of each raincloud metric (metric ->
    {macro, ...} of figures.yaml); NaN values (a calibration fit that failed) are left out and
    counted."""
    specs = []
    for metric, spec in metrics.items():
        column = getattr(E, metric)
        defined = f"{column} IS NOT NULL AND NOT isnan({column})"
        specs += [NumberSpec(f"{name}{spec['macro']}",
                             f"{words} of {column} over configurations",
                             f"SELECT quantile_cont({column}, {q}) FROM {E.name} WHERE {defined}",
                             "{:.3f}") for name, (q, words) in QUARTILES.items()]
        specs.append(NumberSpec(f"nUndefined{spec['macro']}",
                                f"configurations without a value of {column}",
                                f"SELECT count(*) FROM {E.name} WHERE NOT ({defined})"))
    return specs
