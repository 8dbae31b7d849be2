"""The synthetic subjects: codes, labels, the fixed train/test split, and the per-subject
properties that both the pupil traces and the classification runs draw on.

Labelled subjects come from their own random stream, so the same seed gives the same 208
labelled subjects (and the same run codes) whatever the store size; unlabelled subjects are
drawn from code pools that do not depend on the size, so the demo subjects' codes are a
subset of the paper ones.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

N_CONTROL, N_GLAUCOMA = 152, 56
N_TEST_CONTROL, N_TEST_GLAUCOMA = 46, 17
N_LABELLED = N_CONTROL + N_GLAUCOMA
# Age in years by class, as the study's data card gives the real cohort's means (glaucoma
# 67.2, control 58.3; configs/governance/data_card.yaml); the spread is not published, a
# clinic cohort's SD of about 9 years is assumed. Recorded to one decimal, within 30-90.
AGE_MEAN_YEARS = {"control": 58.3, "glaucoma": 67.2}
AGE_SD_YEARS = 9.0
AGE_RANGE_YEARS = (30.0, 90.0)
FEATURE_NAMES = (
    "Blue_constriction_amplitude", "Blue_PIPR", "Blue_latency", "Blue_recovery_tau",
    "Red_constriction_amplitude", "Red_PIPR", "Red_latency", "baseline_diameter",
)


@dataclass(frozen=True)
class Cohort:
    # one row per subject: subject_code, class_label (None if unlabelled), label (0/1, -1 if
    # unlabelled), split ('train'/'test'/None), age (years), latent, noise_scale,
    # outlier_share and the trace parameters baseline, blue_amp, red_amp, blue_tau, red_tau,
    # latency
    subjects: pd.DataFrame
    train_codes: tuple[str, ...]  # run order of the 145 training subjects
    test_codes: tuple[str, ...]  # run order of the 63 test subjects

    def _rows(self, codes: tuple[str, ...]) -> pd.DataFrame:
        return self.subjects.set_index("subject_code").loc[list(codes)]

    def split_frame(self, split: str) -> pd.DataFrame:
        """Subjects of 'train' or 'test' in run order, indexed by subject code."""
        return self._rows(self.train_codes if split == "train" else self.test_codes)

    def features(self, split: str) -> np.ndarray:
        """Handcrafted features (n, 8) before run-specific preprocessing noise."""
        s = self.split_frame(split)
        return np.column_stack([
            s["blue_amp"], s["blue_amp"] * np.exp(-20.0 / s["blue_tau"]), s["latency"],
            s["blue_tau"], s["red_amp"], s["red_amp"] * np.exp(-20.0 / s["red_tau"]),
            s["latency"] * 1.1, s["baseline"],
        ]).astype(np.float64)


def _codes(rng: np.random.Generator, prefix: int, n: int,
           exclude: frozenset[str] = frozenset()) -> list[str]:
    pool = [f"PLR{prefix}{k:03d}" for k in range(1, 1000) if f"PLR{prefix}{k:03d}" not in exclude]
    return [pool[k] for k in rng.permutation(len(pool))[:n]]


def _subject_properties(rng: np.random.Generator, latent: np.ndarray, label: np.ndarray) -> dict:
    """Artefact share, prediction noise and trace parameters. Glaucoma mainly weakens the
    melanopsin-driven (blue) response and its sustained post-illumination constriction;
    `latent` says how glaucoma-like a subject looks."""
    n = len(latent)
    # Artefact share spans ~1-30 % (log-uniform); noisier recordings give less stable predictions.
    share = np.exp(rng.uniform(np.log(0.01), np.log(0.30), n))
    look = 1.0 / (1.0 + np.exp(-latent))
    glaucoma = label == 1
    blue_loss = np.where(glaucoma, 0.20 + 0.30 * look, 0.20 * look)
    return {
        "outlier_share": share,
        "noise_scale": np.exp(0.35 * rng.standard_normal(n)
                              + 0.25 * (np.log(share) - np.log(0.055))),
        "baseline": rng.normal(6.0, 0.6, n),
        "blue_amp": 0.45 * (1.0 - blue_loss) * rng.lognormal(0.0, 0.08, n),
        "red_amp": 0.35 * rng.lognormal(0.0, 0.10, n) * np.where(glaucoma, 0.93, 1.0),
        "blue_tau": np.where(glaucoma, 4.0, 8.0) * (1.0 - 0.3 * look) * rng.lognormal(0.0, 0.15, n),
        "red_tau": 2.5 * rng.lognormal(0.0, 0.15, n),
        "latency": rng.normal(0.25, 0.03, n),
    }


def _ages(rng: np.random.Generator, glaucoma: np.ndarray) -> np.ndarray:
    """Age in years of each subject (glaucoma: bool per subject), from its own random stream so
    that every other property of the cohort stays as it was without age."""
    means = np.where(glaucoma, AGE_MEAN_YEARS["glaucoma"], AGE_MEAN_YEARS["control"])
    ages = means + AGE_SD_YEARS * rng.standard_normal(len(means))
    return np.round(np.clip(ages, *AGE_RANGE_YEARS), 1)


def make_cohort(seed: int, n_subjects: int) -> Cohort:
    if n_subjects < N_LABELLED:
        raise ValueError(f"n_subjects={n_subjects} is below the {N_LABELLED} labelled subjects")
    rng = np.random.default_rng([seed, 1])
    control = sorted(_codes(rng, 1, N_CONTROL))
    glaucoma = sorted(_codes(rng, 4, N_GLAUCOMA))
    test_control = set(rng.choice(control, N_TEST_CONTROL, replace=False))
    test_glaucoma = set(rng.choice(glaucoma, N_TEST_GLAUCOMA, replace=False))
    labelled = pd.DataFrame({
        "subject_code": control + glaucoma,
        "class_label": ["control"] * N_CONTROL + ["glaucoma"] * N_GLAUCOMA,
        "label": [0] * N_CONTROL + [1] * N_GLAUCOMA,
    })
    is_test = labelled["subject_code"].isin(test_control | test_glaucoma)
    labelled["split"] = np.where(is_test, "test", "train")
    labelled["latent"] = rng.standard_normal(N_LABELLED)
    properties = _subject_properties(np.random.default_rng([seed, 3]),
                                     labelled["latent"].to_numpy(), labelled["label"].to_numpy())
    for key, values in properties.items():
        labelled[key] = values
    # Test/train order in the runs is shuffled rather than by code, as a data loader's would be.
    test_codes = tuple(rng.permutation(labelled.loc[is_test, "subject_code"].to_numpy()).tolist())
    train_codes = tuple(rng.permutation(labelled.loc[~is_test, "subject_code"].to_numpy()).tolist())

    urng = np.random.default_rng([seed, 2])
    n_unlabelled = n_subjects - N_LABELLED
    taken = set(labelled["subject_code"])
    # Unlabelled subjects carry both code styles, so that nobody infers a label from a prefix.
    pool_1 = iter(_codes(urng, 1, 999, taken))
    pool_4 = iter(_codes(urng, 4, 999, taken))
    unlabelled = pd.DataFrame({
        "subject_code": [next(pool_4 if k % 5 == 4 else pool_1) for k in range(n_unlabelled)],
        "class_label": None, "label": -1, "split": None})
    unlabelled["latent"] = urng.standard_normal(n_unlabelled)
    # unlabelled subjects are a mix of both classes: a hidden class shapes their traces
    hidden = (urng.random(n_unlabelled) < 0.3).astype(int)
    for key, values in _subject_properties(urng, unlabelled["latent"].to_numpy(), hidden).items():
        unlabelled[key] = values
    subjects = pd.concat([labelled, unlabelled], ignore_index=True)
    # Unlabelled subjects' ages follow their hidden class.
    subjects["age"] = _ages(np.random.default_rng([seed, 8]), np.concatenate(
        [labelled["label"].to_numpy() == 1, hidden == 1]))
    n = len(subjects)
    logger.info("cohort: %d subjects (%d labelled, %d test)", n, N_LABELLED, len(test_codes))
    return Cohort(subjects, train_codes, test_codes)
