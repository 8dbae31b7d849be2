"""Preset sizes of the synthetic store: a quick demo and the full paper-sized store."""

from __future__ import annotations

import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SizeSpec:
    n_runs_target: int  # classification runs logged, quirks included
    n_bootstrap: int
    model_pickle_bytes: int
    n_subjects: int  # subjects in the source database (208 labelled + unlabelled)


SIZES: dict[str, SizeSpec] = {
    "demo": SizeSpec(n_runs_target=80, n_bootstrap=200, model_pickle_bytes=1_000_000,
                     n_subjects=248),
    "paper": SizeSpec(n_runs_target=410, n_bootstrap=1000, model_pickle_bytes=8_000_000,
                      n_subjects=507),
}
