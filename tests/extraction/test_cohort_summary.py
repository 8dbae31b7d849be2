"""The cohort's aggregates (T8) from a private source database: counts and age by class,
computed here independently; no group small enough to give away one subject's age."""

import sqlite3

import numpy as np
import pandas as pd
import pytest

from plr_luigi.extraction.cohort_summary import (
    ages_by_public_code,
    read_source_subjects,
    summarise_cohort,
)
from plr_luigi.extraction.subjects import build_lookup, read_labelled_subjects
from plr_luigi.study import schema


def _source_db(path, ages: dict[str, tuple[str | None, float | None]], with_age: bool = True):
    """A source database in the real layout: one row per sample, the subject's columns
    repeated on each."""
    with sqlite3.connect(path) as con:
        age_column = ", age REAL" if with_age else ""
        con.execute(f"CREATE TABLE pupil_data (time REAL, subject_code TEXT, "
                    f"class_label TEXT{age_column})")
        for code, (label, age) in ages.items():
            for t in (0.0, 0.1):
                con.execute(f"INSERT INTO pupil_data VALUES (?, ?, ?{', ?' if with_age else ''})",
                            (t, code, label, age) if with_age else (t, code, label))
    return path


def _cohort(n_control: int, n_glaucoma: int, n_unlabelled: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    subjects = {f"PLR1{k:03d}": ("control", round(rng.normal(58, 9), 1))
                for k in range(n_control)}
    subjects |= {f"PLR4{k:03d}": ("glaucoma", round(rng.normal(67, 9), 1))
                 for k in range(n_glaucoma)}
    subjects |= {f"PLR1{500 + k:03d}": (None, round(rng.normal(60, 9), 1))
                 for k in range(n_unlabelled)}
    return subjects


def test_counts_and_age_by_class_are_the_groups_own(tmp_path):
    subjects = _cohort(15, 12, 5)
    db = _source_db(tmp_path / "s.sqlite", subjects)
    lookup = build_lookup(read_labelled_subjects(db))
    frame = summarise_cohort(lookup, read_source_subjects(db)).set_index("subject_group")
    assert list(frame.index) == list(schema.COHORT_GROUPS)
    for group, label in (("control", "control"), ("glaucoma", "glaucoma")):
        ages = [a for lab, a in subjects.values() if lab == label]
        assert frame.loc[group, "n_subjects"] == len(ages) == frame.loc[group, "age_n"]
        assert frame.loc[group, "age_mean"] == pytest.approx(np.mean(ages))
        assert frame.loc[group, "age_sd"] == pytest.approx(np.std(ages, ddof=1))
    everyone = [a for _, a in subjects.values()]
    assert frame.loc["recorded", "n_subjects"] == 32
    assert frame.loc["recorded", "age_mean"] == pytest.approx(np.mean(everyone))
    assert frame.loc["labelled", "n_subjects"] == 27


def test_a_group_too_small_to_hide_one_subject_gets_no_age(tmp_path):
    db = _source_db(tmp_path / "s.sqlite", _cohort(15, schema.COHORT_MIN_GROUP_FOR_AGE - 1, 0))
    lookup = build_lookup(read_labelled_subjects(db))
    frame = summarise_cohort(lookup, read_source_subjects(db)).set_index("subject_group")
    assert frame.loc["glaucoma", "n_subjects"] == schema.COHORT_MIN_GROUP_FOR_AGE - 1
    assert pd.isna(frame.loc["glaucoma", "age_mean"]) and pd.isna(frame.loc["glaucoma", "age_n"])
    assert not pd.isna(frame.loc["control", "age_mean"])


def test_without_age_or_source_database_only_the_counts_remain(tmp_path):
    subjects = _cohort(15, 12, 5)
    db = _source_db(tmp_path / "s.sqlite", subjects, with_age=False)
    lookup = build_lookup(read_labelled_subjects(db))
    frame = summarise_cohort(lookup, read_source_subjects(db)).set_index("subject_group")
    assert frame["age_mean"].isna().all() and frame.loc["recorded", "n_subjects"] == 32
    no_db = summarise_cohort(lookup, None).set_index("subject_group")
    assert no_db.loc["glaucoma", "n_subjects"] == 12
    assert pd.isna(no_db.loc["recorded", "n_subjects"])


def test_a_subject_with_two_ages_is_refused_and_ages_map_to_public_codes(tmp_path):
    db = _source_db(tmp_path / "s.sqlite", {"PLR1001": ("control", 50.0),
                                            "PLR4001": ("glaucoma", 70.5)})
    lookup = build_lookup(read_labelled_subjects(db))
    assert ages_by_public_code(lookup, read_source_subjects(db)) == {"H001": 50.0,
                                                                     "G001": 70.5}
    with sqlite3.connect(db) as con:
        con.execute("INSERT INTO pupil_data VALUES (0.2, 'PLR1001', 'control', 51.0)")
    with pytest.raises(ValueError, match="two different ages"):
        read_source_subjects(db)
