"""The private subject lookup, anonymisation, and the privacy scanner."""

import sqlite3

import numpy as np
import pandas as pd
import pytest

from plr_luigi.database.privacy_scan import (
    find_leaks_in_database,
    find_leaks_in_files,
)
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


def test_privacy_scan_finds_codes_in_any_file(tmp_path):
    clean, leaking = tmp_path / "clean.tex", tmp_path / "leak.bin"
    clean.write_text("H001 G017 PLR is fine without digits")
    leaking.write_bytes(b"\x00\x01xxPLR4012\xff")
    assert [leak.split(':')[0] for leak in find_leaks_in_files([clean, leaking])] == [str(leaking)]


def test_audit_names_files_with_codes_or_code_params_without_quoting_them(tmp_path):
    clean, code, param = tmp_path / "a.json", tmp_path / "b.pdf", tmp_path / "c.tex"
    clean.write_text('{"subject": "G017"}')
    code.write_bytes(b"%PDF stream PLR1001 end")
    param.write_text("codes_train = [...]")
    leaks = find_leaks_in_files([clean, code, param])
    assert leaks == [f"{code}: holds an original subject code at byte 12",
                     f"{param}: holds a subject-code run param at byte 0"]
    assert not any("PLR1001" in leak for leak in leaks)


def test_audit_reads_every_text_column_of_every_table():
    import duckdb

    with duckdb.connect() as con:
        con.execute("CREATE TABLE essential_metrics (config_id VARCHAR, note VARCHAR)")
        con.execute("CREATE TABLE someone_elses (params VARCHAR, n INTEGER)")
        con.execute("INSERT INTO essential_metrics VALUES ('abc', 'H001'), ('def', NULL)")
        con.execute("INSERT INTO someone_elses VALUES ('{\"codes_test\": \"x\"}', 1), "
                    "('PLR4001 PLR4002', 2), ('fine', 3)")
        assert find_leaks_in_database(con) == [
            "table someone_elses, column params: 2 values hold an original subject code or a "
            "subject-code run param"]
