"""The privacy scanner the audit ships: original subject codes and code params, in files and in
every text column of a database."""

from plr_luigi.database.privacy_scan import find_leaks_in_database, find_leaks_in_files


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


def test_embedded_images_are_scanned_decoded_not_as_base64_text(tmp_path):
    """Base64 text spells PLR<digits> by chance (the report page embeds megabytes of it); what
    counts is what it encodes, and a code inside an embedded image is still found."""
    import base64

    chance = base64.b64encode(base64.b64decode("PLR1234A")).decode()
    assert "PLR1234" in chance and b"PLR" not in base64.b64decode(chance)
    inside = base64.b64encode(b"\x89PNG tEXt subject PLR4012 \x00").decode()
    clean, leaking = tmp_path / "clean.html", tmp_path / "leak.html"
    clean.write_text(f'<p>H001</p><img src="data:image/png;base64,{chance}">')
    leaking.write_text(f'<p>G002</p><img src="data:image/png;base64,{inside}"> codes_test')
    leaks = find_leaks_in_files([clean, leaking])
    text = leaking.read_text()
    assert leaks == [f"{leaking}: holds an original subject code at data URI at byte "
                     f"{text.index(inside)}, decoded byte 18",
                     f"{leaking}: holds a subject-code run param at byte "
                     f"{text.index('codes_test')}"]
