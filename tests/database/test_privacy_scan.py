"""The privacy scanner the audit ships: original subject codes and code params, in files and in
every text column of a database; credentials; and any one subject's age."""

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from plr_luigi.database.privacy_scan import (
    CREDENTIAL_SHAPES,
    find_age_leaks_in_database,
    find_age_leaks_in_files,
    find_leaks_in_database,
    find_leaks_in_files,
)


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


@pytest.mark.parametrize(("text", "what"), [
    ('{"uri": "https://user:tok3n@mlflow.example.org/"}', "user info in a URI"),
    ("ACCESS_TOKEN = 'abc123xyz'", "a token or password"),
    ('"PassWord": "hunter22"', "a token or password"),
    ("Authorization: Bearer eyJhbGciOi", "an Authorization header"),
    ("note ghp_0123456789abcdefghijklmnopqrstuvwxyz end", "an API key"),
    ("AKIAABCDEFGHIJKLMNOP", "an API key"),
    ("-----BEGIN RSA PRIVATE KEY-----", "a private key"),
])
def test_each_credential_shape_is_found_in_a_file_named_not_quoted(tmp_path, text, what):
    path = tmp_path / "figure.json"
    path.write_text(f"{{}} {text}")
    [leak] = [leak for leak in find_leaks_in_files([path]) if what in leak]
    assert leak.startswith(f"{path}: holds {what} at byte ")
    assert text.split()[-1] not in leak


@pytest.mark.parametrize("shape", CREDENTIAL_SHAPES, ids=[s.what for s in CREDENTIAL_SHAPES])
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_every_match_of_a_credential_shape_holds_one_of_its_needles(shape, data):
    """A file part holding none of a shape's needles is not searched for it: every text the
    shape matches must hold one (lowercased where the shape ignores case)."""
    # Printable ASCII: where a str regex and its bytes twin read the same characters alike
    # (str's \s and \b also take Unicode spaces and letters, and \x1c-\x1f as spaces).
    text = data.draw(st.from_regex(shape.regex, fullmatch=True,
                                   alphabet=st.characters(min_codepoint=32, max_codepoint=126)))
    match = re.search(shape.regex.encode(), text.encode())  # as the audit searches a file
    assume(match is not None)
    found = match.group(0).lower() if shape.regex.startswith("(?i)") else match.group(0)
    assert any(needle in found for needle in shape.needles), match.group(0)


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


def _png(*chunks: tuple[bytes, bytes]) -> bytes:
    import zlib

    body = b"".join(len(data).to_bytes(4, "big") + kind + data
                    + zlib.crc32(kind + data).to_bytes(4, "big") for kind, data in chunks)
    return b"\x89PNG\r\n\x1a\n" + body


def test_a_pngs_pixels_are_not_read_as_text_its_text_chunks_are(tmp_path):
    """Compressed pixels spell PLR<digit> by chance (once in ~400 MB: a build's figures hit it
    now and then); they hold no text. Text chunks, compressed or not, do."""
    import zlib

    header = (b"IHDR", (1).to_bytes(4, "big") * 2 + b"\x08\x02\x00\x00\x00")
    chance = tmp_path / "chance.png"
    chance.write_bytes(_png(header, (b"IDAT", b"\x78\x9cxxPLR4012xx"), (b"IEND", b"")))
    plain = tmp_path / "plain.png"
    plain.write_bytes(_png(header, (b"tEXt", b"Title\0PLR4012"), (b"IEND", b"")))
    packed = tmp_path / "packed.png"
    packed.write_bytes(_png(header, (b"zTXt", b"Title\0\0" + zlib.compress(b"PLR4012")),
                            (b"IEND", b"")))
    cut = tmp_path / "cut.png"
    cut.write_bytes(_png(header)[:-4] + b"\x00\x00\xff\xff" + b"IDAT PLR4012")
    assert find_leaks_in_files([chance, plain, packed, cut]) == [
        f"{plain}: holds an original subject code at byte 47",
        f"{packed}: holds an original subject code at zTXt chunk at byte 41, "
        "decompressed byte 0",
        f"{cut}: holds an original subject code at byte 38"]


def test_a_matplotlib_figure_showing_a_code_is_found_in_its_pdf_and_png_metadata(tmp_path):
    """matplotlib kerns a PDF's text into pieces ([(P) 1 (LR4012)] TJ): the pieces are read
    joined. A PNG shows text only as pixels; its metadata is text."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.set_title("subject PLR4012")
    pdf, png = tmp_path / "shows.pdf", tmp_path / "meta.png"
    fig.savefig(pdf)
    fig.savefig(png, metadata={"Description": "PLR4012"})
    ax.set_title("subject S001")
    clean = tmp_path / "clean.pdf"
    fig.savefig(clean)
    plt.close(fig)
    leaks = find_leaks_in_files([pdf, png, clean])
    assert [leak.split(": holds ")[0] for leak in leaks] == [str(pdf), str(png)]
    assert "shown text byte" in leaks[0]


def _public_database(con) -> None:
    """A public database as the merge writes it: the cohort summary (aggregates) and a
    per-subject table."""
    from plr_luigi.study import schema

    con.execute(schema.COHORT_SUMMARY.ddl())
    con.execute("INSERT INTO cohort_summary VALUES (0, 'control', 152, 152, 58.3, 9.1), "
                "(1, 'glaucoma', 56, 56, 67.2, 8.7), (2, 'labelled', 208, 208, 60.7, 9.5), "
                "(3, 'recorded', NULL, NULL, NULL, NULL)")
    con.execute("CREATE TABLE predictions (config_id VARCHAR, subject_code VARCHAR, "
                "y_true INTEGER, y_prob DOUBLE)")
    con.execute("INSERT INTO predictions VALUES ('c', 'H001', 0, 0.2), ('c', 'H002', 0, 0.4), "
                "('c', 'G001', 1, 0.7), ('c', 'G002', 1, 0.9)")


AGES = {"H001": 55.4, "H002": 61.0, "G001": 70.2, "G002": 64.9}


def test_a_clean_public_database_publishes_no_age():
    import duckdb

    with duckdb.connect() as con:
        _public_database(con)
        assert find_age_leaks_in_database(con, AGES) == []


def test_an_age_column_outside_the_cohort_summary_is_a_leak():
    import duckdb

    with duckdb.connect() as con:
        _public_database(con)
        con.execute("ALTER TABLE predictions ADD COLUMN subject_age DOUBLE")
        assert find_age_leaks_in_database(con) == [
            "table predictions, column subject_age: an age column outside cohort_summary"]


def test_a_subjects_own_age_under_any_column_name_is_a_leak():
    import duckdb

    with duckdb.connect() as con:
        _public_database(con)
        con.execute("ALTER TABLE predictions ADD COLUMN years DOUBLE")
        con.execute("UPDATE predictions SET years = CASE subject_code WHEN 'H001' THEN 55.4 "
                    "WHEN 'H002' THEN 61.0 WHEN 'G001' THEN 70.2 ELSE 30.0 END")
        assert find_age_leaks_in_database(con, AGES) == [
            "table predictions, column years: 3 subjects' rows hold their own age"]
        # Without the private ages only the names are checked: the column is not found.
        assert find_age_leaks_in_database(con) == []


def test_a_column_of_many_values_per_subject_matches_ages_by_chance_and_is_no_leak():
    """A bootstrap iteration 0-199 per subject equals every whole-year age somewhere; it
    matches other subjects' ages as often as their own. A column of ages does not."""
    import duckdb

    whole_years = {"H001": 55.0, "H002": 61.0, "G001": 70.0, "G002": 64.0, "G003": 48.0}
    with duckdb.connect() as con:
        con.execute("CREATE TABLE samples AS SELECT code AS subject_code, i AS iteration, "
                    "0.5 AS y_prob FROM unnest(?) t(code), range(200) r(i)",
                    [list(whole_years)])
        assert find_age_leaks_in_database(con, whole_years) == []
        con.execute("ALTER TABLE samples ADD COLUMN years DOUBLE")
        con.execute("UPDATE samples SET years = CASE subject_code " + " ".join(
            f"WHEN '{c}' THEN {a}" for c, a in whole_years.items()) + " END")
        assert find_age_leaks_in_database(con, whole_years) == [
            "table samples, column years: 5 subjects' rows hold their own age"]


def test_an_age_over_a_small_group_or_a_minimum_age_is_a_leak():
    import duckdb

    with duckdb.connect() as con:
        _public_database(con)
        con.execute("INSERT INTO cohort_summary VALUES (4, 'glaucoma, female', 3, 3, 66.0, 2.0)")
        con.execute("ALTER TABLE cohort_summary ADD COLUMN age_min DOUBLE")
        assert find_age_leaks_in_database(con) == [
            "table cohort_summary, column age_min: not a column of cohort_summary (its age "
            "columns are aggregates: n, mean, SD)",
            "table cohort_summary: 1 rows give an age over fewer than 10 subjects"]


def test_a_json_record_pairing_a_subject_with_an_age_is_a_leak(tmp_path):
    import json

    clean, named, own = tmp_path / "clean.json", tmp_path / "named.json", tmp_path / "own.json"
    clean.write_text(json.dumps({"rows": [{"subject_code": c, "p": 0.5} for c in AGES],
                                 "cohort": {"age_mean": 58.3}}))
    named.write_text(json.dumps({"data": [{"subject": "H001", "Age": 55.4}]}))
    own.write_text(json.dumps([{"code": c, "value": a} for c, a in AGES.items()]))
    assert find_age_leaks_in_files([clean, named, own], AGES) == [
        f"{named}: 1 subject records hold an age-named value",
        f"{own}: 4 subject records hold their own age"]
