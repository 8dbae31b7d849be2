"""Which runs the synthetic PLR_OutlierDetection and PLR_Imputation experiments hold, and how
good each one is (upstream-experiments.md: names, counts, quirks).

Quality follows the classification design's factor effects (design.OUTLIER_EFFECT,
IMPUTATION_EFFECT): an outlier method that helps AUROC detects more of the artefacts, an
imputer that helps AUROC reconstructs with a smaller error, so preprocessing quality relates
to AUROC as in the study (loosely: per-method noise is added).
Canonical levels are written out here, not parsed with plr_luigi.study.upstream_names, so that
the tests can check the parser against an independent statement of the names.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass

from plr_luigi.synth.design import ENSEMBLE_OUTLIER, IMPUTATION_EFFECT, OUTLIER_EFFECT

logger = logging.getLogger(__name__)

OUTLIER_EXPERIMENT = "PLR_OutlierDetection"
IMPUTATION_EXPERIMENT = "PLR_Imputation"
ENSEMBLE_THRESHOLDED = "ensembleThresholded-MOMENT-TimesNet-UniTS-gt-finetune"
IMPUTATION_SUFFIX = "_impPLR_v0.1"
ENSEMBLE_IMPUTATION = "ensemble-CSDI-MOMENT-SAITS-TimesNet"

# outlier run name -> (canonical outlier_method, outlier source key of the imputation runs)
OUTLIER_RUNS = {
    "LOF": ("LOF", "LOF"),
    "OneClassSVM": ("OneClassSVM", "OneClassSVM"),
    "PROPHET": ("PROPHET", "PROPHET"),
    "SubPCA": ("SubPCA", "SubPCA"),
    "TimesNet": ("TimesNet-gt", "TimesNet"),
    "TimesNet-orig": ("TimesNet-orig", "TimesNet-orig"),
    "MOMENT_finetune_MOMENT-1-large_pupil_gt": ("MOMENT-gt-finetune", "MOMENT_finetune___gt"),
    "MOMENT_zeroshot_MOMENT-1-large_pupil_gt": ("MOMENT-gt-zeroshot", "MOMENT_zeroshot___gt"),
    "MOMENT_finetune_MOMENT-1-large_pupil_orig": ("MOMENT-orig-finetune",
                                                  "MOMENT_finetune___orig"),
    "UniTS_finetune_pupil_gt": ("UniTS-gt-finetune", "UniTS_finetune___gt"),
    "UniTS_finetune_pupil_orig": ("UniTS-orig-finetune", "UniTS_finetune___orig"),
    "UniTS_zeroshot_pupil_orig": ("UniTS-orig-zeroshot", "UniTS_zeroshot___orig"),
    ENSEMBLE_OUTLIER: (ENSEMBLE_OUTLIER, ENSEMBLE_OUTLIER),
    ENSEMBLE_THRESHOLDED: (ENSEMBLE_THRESHOLDED, ENSEMBLE_THRESHOLDED),
}
GROUND_TRUTH_SOURCE = "pupil_gt"  # the source key of imputation from the annotated signal

# Imputation runs with their own pickle file at each size; later ones link to these (upstream.py)
SHARED_IMPUTATION_PICKLES = {"paper": 20}

# imputer token -> (canonical imputation_method, error multiplier of the model size)
IMPUTERS = {
    "SAITS_dFfn128_nLayers2": ("SAITS", 1.0),
    "CSDI_nSteps50_nLayers4": ("CSDI", 1.0),
    "TimesNet_dModel64_eLayers2": ("TimesNet", 1.0),
    **{f"MOMENT_{mode}_MOMENT-1-{size}": (f"MOMENT-{mode}", factor)
       for mode in ("finetune", "zeroshot")
       for size, factor in (("large", 1.0), ("base", 1.1), ("small", 1.25))},
}
HYPERPARAMS = {  # imputation_method -> params its runs carry
    "SAITS": {"d_ffn": "128", "n_layers": "2", "epochs": "100"},
    "CSDI": {"n_steps": "50", "n_layers": "4", "epochs": "200"},
    "TimesNet": {"d_model": "64", "e_layers": "2", "epochs": "100"},
    "MOMENT-finetune": {"mode": "finetune", "epochs": "20"},
    "MOMENT-zeroshot": {"mode": "zeroshot", "epochs": "0"},
}

# Demo: the five preprocessing categories (ground truth, ensemble, foundation model, deep
# learning, traditional) under two imputers, so every output has data at a fraction of the size.
DEMO_SOURCES = (GROUND_TRUTH_SOURCE, ENSEMBLE_OUTLIER, "MOMENT_finetune___gt", "TimesNet", "LOF")
DEMO_IMPUTERS = ("SAITS_dFfn128_nLayers2", "MOMENT_finetune_MOMENT-1-large")

# Quirk runs (as in the classification experiment): a FAILED run, a deleted one, a name that
# fits no scheme; imputation's failed and deleted runs are CSDI__LOF and TimesNet__pupil_gt.
UNPARSABLE_OUTLIER_RUN = "debug_run_outlier"
UNPARSABLE_IMPUTATION_RUN = "SAITS_debug_impute"
FAILED_OUTLIER_RUN = "OneClassSVM"
DELETED_OUTLIER_RUN = "PROPHET"


@dataclass(frozen=True)
class UpstreamRun:
    name: str
    kind: str  # "outlier" or "imputation"
    outlier_method: str | None  # canonical outlier level (of the source, for imputation)
    imputation_method: str | None = None
    imputer: str | None = None
    quality: float = 0.0  # outlier: detection probability; imputation: error SD (standardised)
    status: str = "FINISHED"
    deleted: bool = False
    quirk: str | None = None  # failed, deleted, unparsable, rerun

    @property
    def seed_key(self) -> int:
        return zlib.crc32(f"{self.kind}|{self.name}|{self.quirk}".encode())

    @property
    def has_pickle(self) -> bool:
        # a deleted or unparsable run is skipped before its artifacts are read: none saves disk
        return self.status == "FINISHED" and self.quirk not in ("unparsable", "deleted")


def _detection(outlier_method: str) -> float:
    return min(0.95, max(0.15, 0.72 + 5.0 * OUTLIER_EFFECT[outlier_method]))


def _source_level(source: str) -> str:
    if source == GROUND_TRUTH_SOURCE:
        return "pupil-gt"
    return next(level for level, key in OUTLIER_RUNS.values() if key == source)


def _error_sd(imputer: str, source: str) -> float:
    method, size_factor = IMPUTERS[imputer]
    level = _source_level(source)
    contamination = 0.0 if level == "pupil-gt" else 1.0 - _detection(level)
    return (0.08 - 2.0 * IMPUTATION_EFFECT[method]) * size_factor * (1.0 + 0.5 * contamination)


def outlier_runs(size: str) -> list[UpstreamRun]:
    """Paper: every method twice (a superseded earlier run, then the kept one) and the quirks
    (31 runs); demo: every method once, one rerun and the quirks."""
    def run(name: str, **kw) -> UpstreamRun:
        level = OUTLIER_RUNS[name][0]
        return UpstreamRun(name, "outlier", level, quality=_detection(level), **kw)

    reruns = list(OUTLIER_RUNS) if size == "paper" else ["LOF"]
    runs = [run(name, quirk="rerun") for name in reruns]
    runs += [run(name) for name in OUTLIER_RUNS]
    runs.append(run(FAILED_OUTLIER_RUN, status="FAILED", quirk="failed"))
    runs.append(run(DELETED_OUTLIER_RUN, deleted=True, quirk="deleted"))
    runs.append(UpstreamRun(UNPARSABLE_OUTLIER_RUN, "outlier", None, quirk="unparsable"))
    return runs


def imputation_runs(size: str) -> list[UpstreamRun]:
    """Paper: 9 imputers x 15 outlier sources and the ensemble (136 runs) plus the quirks;
    demo: DEMO_IMPUTERS x DEMO_SOURCES, the ensemble and the quirks."""
    if size == "paper":
        sources = [GROUND_TRUTH_SOURCE, *(key for _, key in OUTLIER_RUNS.values())]
        imputers = list(IMPUTERS)
    else:
        sources, imputers = list(DEMO_SOURCES), list(DEMO_IMPUTERS)

    def run(imputer: str, source: str, **kw) -> UpstreamRun:
        return UpstreamRun(f"{imputer}__{source}{IMPUTATION_SUFFIX}", "imputation",
                           _source_level(source), IMPUTERS[imputer][0], imputer,
                           _error_sd(imputer, source), **kw)

    runs = [run(imputer, source) for imputer in imputers for source in sources]
    runs.append(UpstreamRun(f"{ENSEMBLE_IMPUTATION}__{GROUND_TRUTH_SOURCE}{IMPUTATION_SUFFIX}",
                            "imputation", "pupil-gt", ENSEMBLE_IMPUTATION, ENSEMBLE_IMPUTATION,
                            quirk="ensemble"))
    runs.append(run("CSDI_nSteps50_nLayers4", "LOF", status="FAILED", quirk="failed"))
    runs.append(run("TimesNet_dModel64_eLayers2", GROUND_TRUTH_SOURCE, deleted=True,
                    quirk="deleted"))
    runs.append(UpstreamRun(UNPARSABLE_IMPUTATION_RUN, "imputation", None, "SAITS",
                            "SAITS_dFfn128_nLayers2", 0.1, quirk="unparsable"))
    return runs
