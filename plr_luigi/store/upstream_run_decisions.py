"""Which runs of the upstream experiments (PLR_OutlierDetection, PLR_Imputation) are extracted.

Rules, in order (the first that applies decides):
1. deleted runs are skipped; 2. runs that are not FINISHED are skipped;
3. a name that fits none of the study's naming schemes is skipped with the parser's reason:
   those experiments hold exploratory runs the manuscript never used, so an odd name is not
   an error of the study (unlike a classification run's unknown level);
4. of several FINISHED runs of one name, the one that finished last is kept (a rerun
   supersedes its predecessor) and the others are skipped, naming the kept one.
"""

from __future__ import annotations

from collections.abc import Callable

from plr_luigi.store.mlflow_store import RunSummary
from plr_luigi.store.run_decisions import EXTRACT, SKIPPED, RunDecision
from plr_luigi.study.upstream_names import (
    UnparsableRunNameError,
    parse_imputation_run_name,
    parse_outlier_run_name,
)

OUTLIER_EXPERIMENT = "PLR_OutlierDetection"
IMPUTATION_EXPERIMENT = "PLR_Imputation"
UPSTREAM_PARSERS: dict[str, Callable[[str], object]] = {
    OUTLIER_EXPERIMENT: parse_outlier_run_name,
    IMPUTATION_EXPERIMENT: parse_imputation_run_name,
}


def decide_upstream_runs(runs: list[RunSummary], experiment: str) -> list[RunDecision]:
    parse = UPSTREAM_PARSERS[experiment]
    decisions: dict[str, RunDecision] = {}
    by_name: dict[str, list[RunSummary]] = {}
    for run in runs:
        if run.lifecycle_stage == "deleted":
            decisions[run.run_id] = RunDecision(run, SKIPPED, "deleted run", None)
        elif run.status != "FINISHED":
            decisions[run.run_id] = RunDecision(run, SKIPPED, f"run status is {run.status}", None)
        else:
            try:
                parse(run.run_name)
            except UnparsableRunNameError as err:
                decisions[run.run_id] = RunDecision(run, SKIPPED, str(err), None)
                continue
            by_name.setdefault(run.run_name, []).append(run)
    for same_name in by_name.values():
        same_name.sort(key=lambda r: (r.end_time or 0, r.start_time or 0, r.run_id))
        kept = same_name[-1]
        decisions[kept.run_id] = RunDecision(kept, EXTRACT, "", None)
        for run in same_name[:-1]:
            decisions[run.run_id] = RunDecision(
                run, SKIPPED, f"superseded by a later run of the same name ({kept.run_id})",
                None)
    return [decisions[run.run_id] for run in runs]
