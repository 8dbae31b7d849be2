"""Which configuration is a standard pipeline (configs/pipelines.yaml).

Extraction keeps a standard pipeline's sampled bootstrap predictions (Fig 7) and no other
run's; a run's fingerprint says whether it is one, so an edit of pipelines.yaml re-extracts
exactly the runs whose standing changed.
"""

from __future__ import annotations

from plr_luigi.study.configs import load_standard_pipelines
from plr_luigi.study.factors import (
    FACTORS,
    UnknownFactorLevelError,
    load_factor_registry,
    parse_run_name,
)


def standard_pipeline_of(configuration: tuple[str, str, str, str]) -> str | None:
    """The name of the standard pipeline with these (outlier, imputation, classifier,
    featurization) levels, or None."""
    for name, spec in load_standard_pipelines().items():
        if tuple(spec[f] for f in FACTORS) == tuple(configuration):
            return name
    return None


def standard_pipeline_of_run(run_name: str) -> str | None:
    """The standard pipeline a run's name says it is; None for any other run, and for a name
    that does not parse (that run is skipped or failed for its own reason)."""
    try:
        parsed = parse_run_name(run_name, load_factor_registry())
    except UnknownFactorLevelError:
        return None
    return standard_pipeline_of(parsed.configuration)
