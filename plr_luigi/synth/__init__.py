"""Synthetic MLflow store mimicking the study's private one (same experiments, run names,
params, metrics and pickles), plus a synthetic subject source database.

Modules: `registry` (factor levels from configs/), `design` (run list and target AUROCs),
`cohort` (subjects), `traces` (pupil traces and the source database), `predictions`
(bootstrap predictions), `metrics` (per-iteration metrics), `artifacts` (run contents),
`writer` (MLflow logging), `generate` (the entry point).
"""

from plr_luigi.synth.generate import SynthSummary, generate_store
from plr_luigi.synth.sizes import SIZES, SizeSpec

__all__ = ["SIZES", "SizeSpec", "SynthSummary", "generate_store"]
