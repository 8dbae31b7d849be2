"""Pupil traces of the synthetic subjects and the subject source database (SQLite).

One row per time sample in table `pupil_data`, as in the study's source database: 1981 samples
(~66 s at 30 Hz), a blue light ramp at ~15.5-24.7 s and a red one at ~46.5-55.6 s.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd

from plr_luigi.synth.cohort import Cohort

logger = logging.getLogger(__name__)

N_SAMPLES = 1981
SAMPLE_RATE_HZ = 30.0
BLUE_ON, BLUE_OFF = 15.5, 24.7
RED_ON, RED_OFF = 46.5, 55.6
COLUMNS = ("time", "pupil_orig", "pupil_raw", "pupil_gt", "Red", "Blue", "subject_code",
           "class_label", "outlier_mask", "split", "age")


def light_protocol(time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(red, blue) intensities in 0..1: linear ramps up during each stimulus window."""

    def ramp(on: float, off: float) -> np.ndarray:
        inside = (time >= on) & (time <= off)
        return np.where(inside, (time - on) / (off - on), 0.0)

    return ramp(RED_ON, RED_OFF), ramp(BLUE_ON, BLUE_OFF)


def simulate_ground_truth(subjects: pd.DataFrame, time: np.ndarray) -> np.ndarray:
    """(n_subjects, n_samples) pupil sizes: constriction follows each stimulus with a fast
    time constant and recovers with the subject's (blue: melanopsin-sustained) slower one."""
    red, blue = light_protocol(time)
    dt = time[1] - time[0]
    n = len(subjects)
    lag = np.clip(np.round(subjects["latency"].to_numpy() / dt).astype(int), 0, 30)
    amp_b, amp_r = subjects["blue_amp"].to_numpy(), subjects["red_amp"].to_numpy()
    tau_b, tau_r = subjects["blue_tau"].to_numpy(), subjects["red_tau"].to_numpy()
    tau_on = 0.6
    c_b = np.zeros(n)
    c_r = np.zeros(n)
    constriction = np.empty((n, len(time)))
    for t in range(len(time)):
        idx = np.maximum(t - lag, 0)
        components = ((c_b, amp_b * np.sqrt(blue[idx]), tau_b),
                      (c_r, amp_r * np.sqrt(red[idx]), tau_r))
        for c, drive, tau_off in components:
            tau = np.where(drive > c, tau_on, tau_off)
            c += (drive - c) * (dt / tau)
        constriction[:, t] = c_b + c_r
    drift = 0.05 * np.sin(2 * np.pi * time[None, :] / 60.0 + subjects["latent"].to_numpy()[:, None])
    return subjects["baseline"].to_numpy()[:, None] * (1.0 - constriction + drift)


def add_artefacts(gt: np.ndarray, share: float,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(pupil_orig, outlier_mask): measurement noise plus blinks (short partial drops) and
    spikes until the subject's artefact share is reached. Most artefacts are subtle, as in the
    study, where 16.5 % of the annotated outliers deviate more than 3 SD of the subject's
    ground truth (easy) and the rest do not (hard)."""
    orig = gt + rng.normal(0.0, 0.02, gt.shape)
    mask = np.zeros(gt.shape, dtype=bool)
    target = round(share * gt.size)
    while mask.sum() < target:
        start = int(rng.integers(0, gt.size))
        if rng.random() < 0.7:
            length = int(rng.integers(4, 16))
            mask[start:start + length] = True
            orig[start:start + length] = gt[start:start + length] * rng.uniform(0.55, 0.97)
        else:
            mask[start] = True
            orig[start] = gt[start] * rng.uniform(1.04, 1.3)
    return orig, mask


def subject_traces(cohort: Cohort, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                         np.ndarray]:
    """(time, pupil_gt, pupil_orig, outlier_mask) of every subject, (n_subjects, n_samples)
    each but time: what the source database holds and the upstream runs start from."""
    time = np.arange(N_SAMPLES) / SAMPLE_RATE_HZ
    gt = simulate_ground_truth(cohort.subjects, time)
    rng = np.random.default_rng([seed, 6])
    orig, mask = np.empty_like(gt), np.empty(gt.shape, dtype=bool)
    for k, share in enumerate(cohort.subjects["outlier_share"]):
        orig[k], mask[k] = add_artefacts(gt[k], share, rng)
    return time, gt, orig, mask


def write_source_db(cohort: Cohort, path: Path, seed: int) -> Path:
    """Write every subject's traces to a fresh SQLite database at `path`."""
    path.unlink(missing_ok=True)
    time, gt, origs, masks = subject_traces(cohort, seed)
    red, blue = light_protocol(time)
    subjects = cohort.subjects
    con = sqlite3.connect(path)
    try:
        # a throwaway file written once: durability settings only cost time
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("CREATE TABLE pupil_data (time REAL, pupil_orig REAL, pupil_raw REAL, "
                    "pupil_gt REAL, Red REAL, Blue REAL, subject_code TEXT, class_label TEXT, "
                    "outlier_mask INTEGER, split TEXT, age REAL)")
        insert = f"INSERT INTO pupil_data VALUES ({', '.join('?' * len(COLUMNS))})"
        for k, row in enumerate(subjects.itertuples(index=False)):
            orig, mask = origs[k], masks[k]
            raw = np.where(mask, np.nan, orig)  # SQLite stores NaN as NULL
            n = N_SAMPLES
            columns = (time.tolist(), orig.tolist(), raw.tolist(), gt[k].tolist(), red.tolist(),
                       blue.tolist(), [row.subject_code] * n, [row.class_label] * n,
                       mask.astype(int).tolist(), [row.split] * n, [row.age] * n)
            con.executemany(insert, zip(*columns, strict=True))
        con.execute("CREATE INDEX idx_pupil_data_subject_code ON pupil_data (subject_code)")
        con.commit()
    finally:
        con.close()
    logger.info("source database: %d subjects x %d samples -> %s", len(subjects), N_SAMPLES, path)
    return path
