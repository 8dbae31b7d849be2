"""The private subject lookup and anonymisation."""

import sqlite3

import numpy as np
import pandas as pd
import pytest

from plr_luigi.extraction.subjects import (
    UnknownSubjectError,
    anonymise,
    build_lookup,
    extend_lookup,
    read_labelled_subjects,
    subjects_from_codes,
)


def test_lookup_orders_by_class_then_code():
    subjects = pd.DataFrame({"original_code": ["PLR4002", "PLR1009", "PLR1003", "PLR4001"],
                             "class_label": [1, 0, 0, 1]})
    lookup = build_lookup(subjects)
    assert dict(zip(lookup.original_code, lookup.subject_code, strict=True)) == {
        "PLR1003": "H001", "PLR1009": "H002", "PLR4001": "G001", "PLR4002": "G002"}


def test_an_extended_lookup_keeps_every_code_and_numbers_new_subjects_after_their_class():
    first = build_lookup(pd.DataFrame({"original_code": ["PLR1005", "PLR1009", "PLR4007"],
                                       "class_label": [0, 0, 1]}))
    # As SubjectLookup reads its file back: every column a string.
    on_disk = first.astype(str)
    now = pd.DataFrame({"original_code": ["PLR1001", "PLR1005", "PLR1009", "PLR4002",
                                          "PLR4007", "PLR1002"],
                        "class_label": [0, 0, 0, 1, 1, 0]})
    extended = extend_lookup(on_disk, now)
    mapping = dict(zip(extended.original_code, extended.subject_code, strict=True))
    # PLR1001 and PLR4002 sort before subjects already coded: a new lookup would shift those.
    assert mapping == {"PLR1005": "H001", "PLR1009": "H002", "PLR4007": "G001",
                       "PLR1001": "H003", "PLR1002": "H004", "PLR4002": "G002"}
    assert list(extended.subject_code) == ["H001", "H002", "H003", "H004", "G001", "G002"]
    assert extended.class_label.astype(int).tolist() == [0, 0, 0, 0, 1, 1]
    # Nothing new: the same lookup; a subject gone from the runs keeps its row.
    again = extend_lookup(extended.astype(str), now.iloc[:2])
    assert again.astype(str).equals(extended.astype(str))


def test_a_lookup_is_never_extended_over_a_subject_that_changed_class():
    lookup = build_lookup(pd.DataFrame({"original_code": ["PLR1005"], "class_label": [0]}))
    with pytest.raises(ValueError, match="1 subjects of the subject lookup have another class") \
            as raised:
        extend_lookup(lookup.astype(str), pd.DataFrame({"original_code": ["PLR1005"],
                                                        "class_label": [1]}))
    assert "PLR1005" not in str(raised.value)


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
