"""Outlier difficulty (easy vs hard) from the PRIVATE subject source database.

An annotated outlier sample (`outlier_mask` = 1) is EASY when its deviation from the ground
truth, |pupil_orig - pupil_gt|, exceeds 3 x the SD (ddof 1) of the subject's pupil_gt, else
HARD (upstream-experiments.md). The per-subject counts are private (under public codes: lookup
codes for labelled subjects, U-codes by original code for the unlabelled ones); only the shares
per class leave this module for public outputs.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from plr_luigi.extraction.subject_sources import connect_source_db, find_subject_table
from plr_luigi.extraction.subjects import (
    CLASS_LABEL,
    ORIGINAL_CODE,
    PUBLIC_CODE,
)

logger = logging.getLogger(__name__)

EASY_SD = 3.0
CLASS_NAMES = {0: "control", 1: "glaucoma", -1: "unlabelled"}


def per_subject_difficulty(source_db: Path, lookup: pd.DataFrame) -> pd.DataFrame:
    """subject_code (public), class (control / glaucoma / unlabelled), n_outliers, n_easy,
    n_hard: one row per subject of the source database."""
    with connect_source_db(source_db) as con:
        table = find_subject_table(con)
        frame = pd.read_sql_query(f'SELECT subject_code, pupil_orig, pupil_gt, outlier_mask '
                                  f'FROM "{table}"', con)
    sd = frame.groupby("subject_code")["pupil_gt"].transform("std")
    outlier = frame["outlier_mask"].fillna(0).astype(bool)
    easy = outlier & ((frame["pupil_orig"] - frame["pupil_gt"]).abs() > EASY_SD * sd)
    counts = (frame.assign(outlier=outlier, easy=easy).groupby("subject_code")
              [["outlier", "easy"]].sum().astype(int).reset_index())
    del frame
    counts = counts.rename(columns={"subject_code": ORIGINAL_CODE, "outlier": "n_outliers",
                                    "easy": "n_easy"})
    counts["n_hard"] = counts["n_outliers"] - counts["n_easy"]
    merged = counts.merge(lookup[[ORIGINAL_CODE, PUBLIC_CODE, CLASS_LABEL]], on=ORIGINAL_CODE,
                          how="left")
    unlabelled = merged[PUBLIC_CODE].isna()
    ranks = merged.loc[unlabelled, ORIGINAL_CODE].rank(method="first").astype(int)
    merged.loc[unlabelled, PUBLIC_CODE] = [f"U{k:03d}" for k in ranks]
    merged["class"] = merged[CLASS_LABEL].fillna(-1).astype(int).map(CLASS_NAMES)
    result = merged[[PUBLIC_CODE, "class", "n_outliers", "n_easy", "n_hard"]]
    return result.sort_values(PUBLIC_CODE).reset_index(drop=True)


def difficulty_shares(subjects: pd.DataFrame) -> pd.DataFrame:
    """Per class and overall: subjects, outliers, easy and hard counts and shares (public)."""
    by_class = subjects.groupby("class", sort=True)[["n_outliers", "n_easy", "n_hard"]].sum()
    by_class["n_subjects"] = subjects.groupby("class").size()
    by_class.loc["all"] = [*by_class[["n_outliers", "n_easy", "n_hard"]].sum(), len(subjects)]
    total = by_class["n_outliers"].replace(0, np.nan)
    by_class["easy_share"] = by_class["n_easy"] / total
    by_class["hard_share"] = by_class["n_hard"] / total
    return by_class.reset_index()
