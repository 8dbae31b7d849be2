"""The private subject lookup and anonymisation."""

import sqlite3

import numpy as np
import pandas as pd
import pytest

from plr_luigi.extraction.subjects import (
    UnknownSubjectError,
    anonymise,
    build_lookup,
    read_labelled_subjects,
    subjects_from_codes,
)


def test_lookup_orders_by_class_then_code():
    subjects = pd.DataFrame({"original_code": ["PLR4002", "PLR1009", "PLR1003", "PLR4001"],
                             "class_label": [1, 0, 0, 1]})
    lookup = build_lookup(subjects)
    assert dict(zip(lookup.original_code, lookup.subject_code, strict=True)) == {
        "PLR1003": "H001", "PLR1009": "H002", "PLR4001": "G001", "PLR4002": "G002"}


def test_codes_from_runs_are_labelled_by_prefix():
    subjects = subjects_from_codes(["PLR4001", "PLR1001", "PLR1001"])
    assert subjects.to_dict(orient="list") == {"original_code": ["PLR1001", "PLR4001"],
                                               "class_label": [0, 1]}
    with pytest.raises(ValueError, match="no known class prefix"):
        subjects_from_codes(["PLR7001"])


def test_source_database_gives_the_labelled_subjects(tmp_path):
    db = tmp_path / "subjects.sqlite"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE pupil_data (time REAL, subject_code TEXT, class_label TEXT)")
        con.executemany("INSERT INTO pupil_data VALUES (?, ?, ?)", [
            (0.0, "PLR1001", "control"), (0.1, "PLR1001", "control"),
            (0.0, "PLR4001", "glaucoma"), (0.0, "PLR1500", None)])
    subjects = read_labelled_subjects(db)
    assert sorted(map(tuple, subjects.values.tolist())) == [("PLR1001", 0), ("PLR4001", 1)]


def test_anonymise_error_never_quotes_an_original_code():
    with pytest.raises(UnknownSubjectError) as err:
        anonymise(np.array(["PLR1001", "PLR1002"]), {"PLR1001": "H001"}, "RUN_X")
    assert "RUN_X" in str(err.value) and "1 of 2" in str(err.value)
    assert "PLR1002" not in str(err.value)
