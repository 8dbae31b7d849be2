"""A folder's manifest finds a file truncated, rewritten or removed since it was written (the
stat check by size and time, the content check by SHA-256), and a full disk is named."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

import pytest

from plr_luigi.extraction.run_extraction import discard_if_damaged
from plr_luigi.filesystem.atomic import NoSpaceLeftError, is_disk_full, named_when_disk_full
from plr_luigi.filesystem.manifest import (
    MANIFEST,
    content_problem,
    refresh_times,
    stat_problem,
    write_manifest,
)


@pytest.fixture
def folder(tmp_path) -> Path:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "tables.arrow").write_bytes(bytes(range(256)) * 40)
    (folder / "record.json").write_text('{"outcome": "extract"}')
    write_manifest(folder)
    return folder


def _rewrite_first_byte_keeping_size_and_time(path: Path) -> None:
    status = path.stat()
    path.write_bytes(b"\1" + path.read_bytes()[1:])
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))


def test_the_manifest_records_each_file_as_written(folder):
    recorded = json.loads((folder / MANIFEST).read_text())
    assert sorted(recorded) == ["record.json", "tables.arrow"]
    data = (folder / "tables.arrow").read_bytes()
    assert recorded["tables.arrow"]["size"] == len(data)
    assert recorded["tables.arrow"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert stat_problem(folder) is None and content_problem(folder) is None


def test_a_truncated_file_fails_both_checks(folder):
    path = folder / "tables.arrow"
    with open(path, "r+b") as fh:
        fh.truncate(100)
    assert stat_problem(folder) == "tables.arrow has 100 bytes, 10240 when written"
    assert content_problem(folder) == "tables.arrow has 100 bytes, 10240 when written"


def test_a_file_rewritten_with_its_size_and_time_fails_the_content_check_only(folder):
    _rewrite_first_byte_keeping_size_and_time(folder / "tables.arrow")
    assert stat_problem(folder) is None
    assert content_problem(folder) == "tables.arrow differs from its content when written (SHA-256)"


def test_a_reader_hashes_the_files_it_reads_and_a_folder_whose_times_moved_whole(folder, caplog):
    """A merge hashes only what it reads (the results merge never reads the imputation runs'
    signals): an altered file it does not read keeps the folder, an altered one it reads
    removes it; once a time has moved, every file is hashed before new times are recorded."""
    _rewrite_first_byte_keeping_size_and_time(folder / "tables.arrow")
    assert content_problem(folder, ["record.json"]) is None
    assert content_problem(folder, ["tables.arrow"]).endswith("(SHA-256)")
    assert not discard_if_damaged(folder, "run a", read=["record.json"])
    assert not discard_if_damaged(folder, "run a")  # sizes and times only
    record = folder / "record.json"
    os.utime(record, ns=(0, record.stat().st_mtime_ns + 10**9))
    with caplog.at_level(logging.WARNING):
        assert discard_if_damaged(folder, "run a", read=["record.json"])
    assert not folder.exists()
    assert "run a: tables.arrow differs from its content when written (SHA-256)" in caplog.text


def test_a_file_touched_keeps_its_content_and_gets_its_time_recorded(folder):
    path = folder / "record.json"
    os.utime(path, ns=(0, path.stat().st_mtime_ns + 10**9))
    assert stat_problem(folder) == "record.json was modified after it was written"
    assert content_problem(folder) is None
    refresh_times(folder)
    assert stat_problem(folder) is None


@pytest.mark.parametrize(("damage", "problem"), [
    (lambda f: (f / "record.json").unlink(), "record.json is missing"),
    (lambda f: (f / MANIFEST).unlink(), "files.json is missing (no digests were recorded)"),
    (lambda f: (f / MANIFEST).write_text("{"), "files.json is unreadable"),
    (lambda f: (f / MANIFEST).write_text('{"a": 1}'), "files.json is unreadable"),
])
def test_a_missing_file_or_manifest_fails_both_checks(folder, damage, problem):
    damage(folder)
    assert stat_problem(folder).startswith(problem)
    assert content_problem(folder).startswith(problem)


def test_a_folder_that_is_not_there_fails(tmp_path):
    assert stat_problem(tmp_path / "absent") == f"{tmp_path / 'absent'} does not exist"


def test_a_full_device_is_named_by_the_target(tmp_path):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full, the device that is always full")
    target = tmp_path / "plr_results.duckdb"
    with pytest.raises(NoSpaceLeftError) as raised, named_when_disk_full([target]):
        with open("/dev/full", "wb") as full:
            full.write(b"x")
    assert str(raised.value).startswith(f"[Errno 28] no space left on the device of {target} (")
    assert "free of" in str(raised.value) and "any previous version is kept" in str(raised.value)


def test_a_full_device_is_recognised_in_the_message_of_a_library_error():
    try:
        try:
            raise RuntimeError('IO Error: Could not write file "x": No space left on device')
        except RuntimeError as duckdb_style:
            raise ValueError("merge failed") from duckdb_style
    except ValueError as error:
        assert is_disk_full(error)
    assert not is_disk_full(OSError(13, "Permission denied"))
