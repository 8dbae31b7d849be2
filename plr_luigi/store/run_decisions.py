"""Deciding, from run metadata alone, which runs of the store become configurations.

Rules, in order (the first that applies decides; every run gets exactly one outcome):
1. deleted runs (lifecycle_stage `deleted`) are skipped;
2. runs that are not FINISHED (FAILED, RUNNING, KILLED, SCHEDULED) are skipped;
3. a run name with an unknown classifier or factor level fails: the registry must be taught it;
4. a run with a level known to be invalid for the manuscript (legacy names included) is skipped,
   unless a standard pipeline (configs/pipelines.yaml) names its configuration: then it is
   extracted as a standard pipeline only (`standard_pipeline_only`; the merge keeps it out of
   essential_metrics, so out of every factor comparison), the deep-learning pipeline's
   TimesNet-orig being the case;
5. of several runs of one configuration, the one that finished last is kept (a rerun supersedes
   its predecessor) and the others are skipped, naming the run that was kept. The study kept
   the run of highest AUROC instead (manuscript (D)): `duplicate_runs` says, from the AUROC
   each run logged, which run that rule would keep, without extracting any other run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from plr_luigi.store.mlflow_store import RunSummary
from plr_luigi.study.factors import (
    FactorRegistry,
    ParsedRunName,
    UnknownFactorLevelError,
    invalid_levels,
    parse_run_name,
)
from plr_luigi.study.pipelines import standard_pipeline_of_run
from plr_luigi.study.schema import SCHEMA_DIGEST

EXTRACT = "extract"
SKIPPED = "skipped"
FAILED = "failed"


@dataclass(frozen=True)
class RunDecision:
    run: RunSummary
    outcome: str  # EXTRACT, SKIPPED or FAILED
    reason: str
    parsed: ParsedRunName | None
    # Extracted only because a standard pipeline names it: never in a factor comparison.
    standard_pipeline_only: bool = False
    # A skipped duplicate (rule 5): the run id kept for its configuration.
    superseded_by: str | None = None


STANDARD_PIPELINE_ONLY_REASON = "extracted as the standard pipeline {name} only ({invalid})"


def decide_runs(runs: list[RunSummary], registry: FactorRegistry,
                standard_pipelines: dict[str, tuple[str, str, str, str]] | None = None
                ) -> list[RunDecision]:
    """One decision per run, in the runs' order. standard_pipelines: name -> (outlier,
    imputation, classifier, featurization) of each standard pipeline (rule 4)."""
    standard = {config: name for name, config in (standard_pipelines or {}).items()}
    decisions: dict[str, RunDecision] = {}
    candidates: dict[tuple[str, str, str, str],
                     list[tuple[RunSummary, ParsedRunName, str]]] = {}
    for run in runs:
        if run.lifecycle_stage == "deleted":
            decisions[run.run_id] = RunDecision(run, SKIPPED, "deleted run", None)
            continue
        if run.status != "FINISHED":
            decisions[run.run_id] = RunDecision(run, SKIPPED, f"run status is {run.status}", None)
            continue
        try:
            parsed = parse_run_name(run.run_name, registry)
        except UnknownFactorLevelError as err:
            decisions[run.run_id] = RunDecision(run, FAILED, str(err), None)
            continue
        invalid = invalid_levels(parsed, registry)
        if invalid and parsed.configuration in standard and not parsed.legacy:
            reason = STANDARD_PIPELINE_ONLY_REASON.format(
                name=standard[parsed.configuration], invalid=", ".join(invalid))
            candidates.setdefault(parsed.configuration, []).append((run, parsed, reason))
            continue
        if invalid:
            legacy = "legacy two-field run name; " if parsed.legacy else ""
            reason = f"{legacy}not valid for the manuscript: {', '.join(invalid)}"
            decisions[run.run_id] = RunDecision(run, SKIPPED, reason, parsed)
            continue
        candidates.setdefault(parsed.configuration, []).append((run, parsed, ""))

    for same_configuration in candidates.values():
        same_configuration.sort(key=lambda rp: (rp[0].end_time or 0, rp[0].start_time or 0,
                                                rp[0].run_id))
        kept, kept_parsed, reason = same_configuration[-1]
        # a kept run with an invalid level is there only as a standard pipeline (rule 4)
        decisions[kept.run_id] = RunDecision(
            kept, EXTRACT, reason, kept_parsed,
            standard_pipeline_only=bool(invalid_levels(kept_parsed, registry)))
        for run, parsed, _ in same_configuration[:-1]:
            decisions[run.run_id] = RunDecision(
                run, SKIPPED,
                f"duplicate configuration; kept run {kept.run_id}, which finished later", parsed,
                superseded_by=kept.run_id)
    return [decisions[run.run_id] for run in runs]


@dataclass(frozen=True)
class DuplicateRun:
    """One run of a configuration run more than once, and which run each rule keeps."""

    run: RunSummary
    configuration: tuple[str, str, str, str]  # (outlier, imputation, classifier, featurization)
    kept_run_id: str  # the later-finished run: the one extracted (its config_id)
    kept_highest_auroc: bool  # the study's rule keeps this run


def duplicate_runs(decisions: list[RunDecision]) -> list[DuplicateRun]:
    """Every run of each configuration with several runs (the kept one and those it
    superseded), grouped by configuration in the decisions' order. The study's rule keeps the
    run of highest logged AUROC; a tie goes to the run this database keeps (no disagreement to
    report), and where no run of the configuration logged an AUROC it keeps none."""
    superseded: dict[str, list[RunDecision]] = {}
    for decision in decisions:
        if decision.superseded_by is not None:
            superseded.setdefault(decision.superseded_by, []).append(decision)
    rows = []
    for kept in decisions:
        if kept.outcome != EXTRACT or kept.run.run_id not in superseded:
            continue
        runs = [kept.run, *(d.run for d in superseded[kept.run.run_id])]
        rated = [r for r in runs if r.logged_auroc is not None]
        highest = max(rated, key=lambda r: (r.logged_auroc, r is kept.run), default=None)
        rows += [DuplicateRun(run, kept.parsed.configuration, kept.run.run_id, run is highest)
                 for run in runs]
    return rows


def run_fingerprint(run: RunSummary) -> str:
    """What an extraction of the run depends on besides its id: a run that finished later,
    was renamed or deleted, or a changed table schema, gives a new fingerprint and so a new
    ExtractRun target. A standard pipeline's run (configs/pipelines.yaml) names it: its
    extraction keeps sampled bootstrap predictions that no other run's does."""
    text = f"{run.status}|{run.end_time}|{run.lifecycle_stage}|{run.run_name}|{SCHEMA_DIGEST}"
    standard = standard_pipeline_of_run(run.run_name)
    if standard is not None:
        text += f"|standard:{standard}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def inventory_digest(decisions: list[RunDecision]) -> str:
    """Identifies the set of decisions a database is built from."""
    lines = sorted(f"{d.run.run_id}|{run_fingerprint(d.run)}|{d.outcome}|{d.reason}"
                   for d in decisions)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
