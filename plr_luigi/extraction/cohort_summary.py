"""The cohort's aggregates by subject group (manuscript T8) from the PRIVATE subject lookup and
source database: what reaches the public results database (schema.COHORT_SUMMARY) is counts,
mean and SD per group, never one subject's value.

The source database's subject table carries the age column beside subject_code (one value per
subject, repeated on each of its samples, as class_label is); without a source database the
labelled counts come from the lookup and the rest is NULL.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from plr_luigi.extraction.subject_sources import connect_source_db
from plr_luigi.extraction.subjects import (
    CLASS_LABEL,
    ORIGINAL_CODE,
    PUBLIC_CODE,
)
from plr_luigi.study import schema

logger = logging.getLogger(__name__)

AGE_COLUMN = "age"
_CLASS_GROUPS = {0: "control", 1: "glaucoma"}


def _subject_table(con) -> tuple[str, set[str]]:
    """The table with subject_code (and its columns, lower-cased)."""
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    for table in tables:
        columns = {r[1].lower() for r in con.execute(f'PRAGMA table_info("{table}")')}
        if "subject_code" in columns and "class_label" in columns:
            return table, columns
    raise ValueError(f"no table with subject_code and class_label columns (tables: {tables})")


def read_source_subjects(source_db: Path) -> pd.DataFrame:
    """Every recorded subject of the source database: original_code and age (NaN where the
    database has no age column or the subject no age). PRIVATE: per-subject values."""
    with connect_source_db(source_db) as con:
        table, columns = _subject_table(con)
        age = AGE_COLUMN if AGE_COLUMN in columns else "NULL"
        rows = con.execute(f'SELECT subject_code, min({age}), max({age}) FROM "{table}" '
                           "GROUP BY subject_code").fetchall()
    frame = pd.DataFrame(rows, columns=[ORIGINAL_CODE, "age_min", "age_max"])
    lo, hi = frame["age_min"].astype(float), frame["age_max"].astype(float)
    if (lo.notna() & (lo != hi)).any():
        raise ValueError("the source database gives some subject two different ages")
    if age == "NULL":
        logger.warning("source database %s has no %s column: the cohort table has no age",
                       source_db.name, AGE_COLUMN)
    return pd.DataFrame({ORIGINAL_CODE: frame[ORIGINAL_CODE], AGE_COLUMN: lo})


def _group_row(order: int, group: str, ages: pd.Series | None, n_subjects: int | None) -> dict:
    known = ages.dropna() if ages is not None else pd.Series(dtype=float)
    enough = len(known) >= schema.COHORT_MIN_GROUP_FOR_AGE
    return {"group_order": order, "subject_group": group, "n_subjects": n_subjects,
            "age_n": len(known) if enough else None,
            "age_mean": float(known.mean()) if enough else np.nan,
            "age_sd": float(known.std(ddof=1)) if enough else np.nan}


def summarise_cohort(lookup: pd.DataFrame, recorded: pd.DataFrame | None) -> pd.DataFrame:
    """lookup: the private subject lookup (original_code, class_label) of the labelled
    subjects; recorded: read_source_subjects' frame, or None without a source database.
    One row per schema.COHORT_GROUPS entry, in the COHORT_SUMMARY table's columns."""
    labelled = lookup[[ORIGINAL_CODE, CLASS_LABEL]]
    if recorded is not None:
        labelled = labelled.merge(recorded, on=ORIGINAL_CODE, how="left")
    ages = labelled[AGE_COLUMN] if recorded is not None else None
    rows = []
    for label, group in _CLASS_GROUPS.items():
        in_class = labelled[CLASS_LABEL] == label
        rows.append(_group_row(len(rows), group, ages[in_class] if ages is not None else None,
                               int(in_class.sum())))
    rows.append(_group_row(len(rows), "labelled", ages, len(labelled)))
    rows.append(_group_row(len(rows), "recorded",
                           recorded[AGE_COLUMN] if recorded is not None else None,
                           len(recorded) if recorded is not None else None))
    frame = pd.DataFrame(rows, columns=schema.COHORT_SUMMARY.column_names)
    return frame.astype({"n_subjects": "Int64", "age_n": "Int64"})


def ages_by_public_code(lookup: pd.DataFrame, recorded: pd.DataFrame) -> dict[str, float]:
    """PRIVATE: each labelled subject's age by its public code (what the privacy audit looks
    for in the public outputs)."""
    merged = lookup.merge(recorded, on=ORIGINAL_CODE).dropna(subset=[AGE_COLUMN])
    return dict(zip(merged[PUBLIC_CODE], merged[AGE_COLUMN].astype(float), strict=True))
