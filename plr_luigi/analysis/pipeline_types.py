"""Configurations by pipeline type (the category of their outlier method) with the metrics of
the multi-metric raincloud (Fig 3): AUROC, IPA (scaled Brier), net benefit at 10 %, O:E."""

from __future__ import annotations

import pandas as pd

from plr_luigi.study import schema
from plr_luigi.study.categories import category_keys, outlier_category

E = schema.ESSENTIAL
PIPELINE_TYPE = "pipeline_type"
IPA = "ipa"
# essential_metrics columns the raincloud's metrics are computed from
SOURCE_COLUMNS = ("auroc", "brier", "n_test", "n_events", "net_benefit_10pct", "o_e_ratio")
IPA_DEFINITION = ("IPA = 1 - Brier / (prev (1 - prev)): the study's Brier (mean over the "
                  "bootstrap iterations) scaled by the Brier of predicting the test set's "
                  "prevalence prev = n_events / n_test for everyone")


def scaled_brier(brier: pd.Series, prevalence: pd.Series) -> pd.Series:
    """Index of prediction accuracy: 1 - Brier / (prev (1 - prev)); 0 is no better than
    predicting the prevalence for everyone, 1 perfect."""
    return 1.0 - brier / (prevalence * (1.0 - prevalence))


def with_pipeline_types(frame: pd.DataFrame) -> pd.DataFrame:
    """frame (queries.configuration_metrics with SOURCE_COLUMNS) with the pipeline type and
    IPA of each configuration, ordered by type (the study's order) then config id."""
    out = frame.copy()
    out[PIPELINE_TYPE] = out[E.outlier_method].map(outlier_category)
    out[IPA] = scaled_brier(out[E.brier], out[E.n_events] / out[E.n_test])
    order = {key: i for i, key in enumerate(category_keys())}
    return (out.sort_values([PIPELINE_TYPE, E.config_id], key=lambda c: c.map(order)
                            if c.name == PIPELINE_TYPE else c, kind="stable")
            .reset_index(drop=True))
