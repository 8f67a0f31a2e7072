"""Reader: the files as the federation's old systems wrote them (R-MIG-1), refused in
plain words before anything is written when they cannot be imported (R-MIG-2)."""

import csv
import io
import os
import unicodedata
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django_scopes import scopes_disabled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from members.models import Group, Person
from members.services import create_club
from migration.models import ImportBatch, ImportRow, ImportSource
from migration.pipeline import columns as cols
from migration.pipeline import reader
from migration.pipeline.normalise import normalise_member, parse_amount, parse_date
from migration.pipeline.reader import ReadError, map_headers, read_sources

from .helpers import CLUB_A, CLUB_B, run_import

HEADER = ["Medlemsnr", "Fornavn", "Etternavn", "Fødselsdato", "Parti", "Betalingsmåte"]
PEOPLE = [
    ["1", "Bjørn Åge", "Ærø-Strømsø", "01.02.2003", "Turn 6-8 år", "Faktura"],
    ["2", "Zoë", "Müller", "4.5.2010", "Turn 6-8 år, Parkour", "AvtaleGiro"],
    ["3", "Åse", "Øyen", "2001-12-31", "", ""],
]
# only Windows-1252 and UTF-8 can write a typographic apostrophe or an en dash
CP1252_ONLY = ["4", "Siobhán", "O’Neil–Berg", "15.06.1999", "", "Faktura"]


def csv_bytes(rows, *, encoding="utf-8", delimiter=";", newline="\r\n", header=HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def read_members(data: bytes, name="members.csv") -> list[tuple[int, dict]]:
    return list(read_sources([(name, data)]).members.rows)


def names(rows) -> list[tuple[str, str, str]]:
    return [(r["member_no"], r["first_name"], r["last_name"]) for _n, r in rows]


def counts() -> tuple[int, ...]:
    with scopes_disabled():
        return (
            Person.objects.count(),
            ImportBatch.objects.count(),
            ImportRow.objects.count(),
            ImportSource.objects.count(),
            Group.objects.count(),
        )


@pytest.fixture
def club(db):
    return create_club("leseklubb", "Leseklubben")


# --- encodings, delimiters, line endings ------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1"])
def test_encodings_are_detected_and_letters_survive(encoding):
    """R-MIG-1: UTF-8, UTF-8 with BOM, Windows-1252 and ISO-8859-1 files all give the
    same names, æ ø å and all (and ’ – where the encoding can write them)."""
    rows = PEOPLE + ([CP1252_ONLY] if encoding != "latin-1" else [])
    read = read_members(csv_bytes(rows, encoding=encoding))
    assert names(read) == [(r[0], r[1], r[2]) for r in rows]
    assert [n for n, _r in read] == list(range(1, len(rows) + 1))
    assert "\ufeff" not in "".join(read[0][1]) and read[0][1]["member_no"] == "1"


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_delimiters_and_line_endings(delimiter, newline):
    """R-MIG-1: ``;``, ``,`` or tab, with CRLF or LF; a quoted group list with commas stays
    one value, and no value keeps a stray carriage return."""
    read = read_members(csv_bytes(PEOPLE, delimiter=delimiter, newline=newline))
    assert names(read) == [(r[0], r[1], r[2]) for r in PEOPLE]
    assert read[1][1]["groups"] == "Turn 6-8 år, Parkour"
    assert read[0][1]["payment_method"] == "Faktura"
    assert not any("\r" in v for _n, r in read for v in r.values())


def test_the_samples_delimiters_and_encodings_are_detected():
    """R-MIG-1: club A's sample is Windows-1252 with ``;``, club B's is UTF-8 with BOM
    and ``,``."""
    a = read_sources([("members.csv", (CLUB_A / "members.csv").read_bytes())]).members
    b = read_sources([("members.csv", (CLUB_B / "members.csv").read_bytes())]).members
    assert (a.encoding, a.delimiter) == ("cp1252", ";")
    assert (b.encoding, b.delimiter) == ("utf-8-sig", ",")
    assert "Fødselsdato" in a.headers and "Fødselsdato" in b.headers


# --- headers ---------------------------------------------------------------------------


def test_norwegian_headers_and_english_aliases_with_odd_case_and_spacing():
    """R-MIG-1: Norwegian headers and the English aliases are accepted whatever their
    case, surrounding spaces, underscores, hyphens or Unicode form; an empty header
    column is ignored."""
    headers = [
        " MEDLEMSNR ",
        "first_name",
        "Last_Name",
        "FØDSELSDATO",
        "national id",
        unicodedata.normalize("NFD", "Betalingsmåte"),
        "E_Mail",
        "Foresatt  navn",
        "guardian-email",
        "NEXT BILLING DATE",
        "Post-nr",
        "",
    ]
    assert map_headers(headers, cols.MEMBERS) == [
        "member_no",
        "first_name",
        "last_name",
        "birth_date",
        "national_id",
        "payment_method",
        "email",
        "guardian_name",
        "guardian_email",
        "next_billing_date",
        "postal_code",
        None,
    ]
    assert map_headers([" PARTI", "plass", "First Name", "etternavn"], cols.WAITLIST) == [
        "group",
        "position",
        "first_name",
        "last_name",
    ]
    assert map_headers(["Parti", "KAPASITET", "partiavgift", "Trener E-post"], cols.GROUPS) == [
        "name",
        "capacity",
        "class_fee",
        "admin_email",
    ]


def test_english_headers_read_the_same_as_norwegian():
    """R-MIG-1: a file with English headers gives the same values as the Norwegian one."""
    english = ["member_no", "First_Name", " LAST NAME", "Birth_Date", "groups", "Payment Method"]
    assert read_members(csv_bytes(PEOPLE, header=english)) == read_members(csv_bytes(PEOPLE))


def test_blank_lines_are_skipped_and_not_counted(club, tmp_path):
    """R-MIG-2: blank lines (empty, spaces only, or only separators) are not data rows:
    they are neither numbered nor reported."""
    lines = [";".join(HEADER), "", ";".join(PEOPLE[0]), "   ", ";;;;;", ""]
    lines += [";".join(PEOPLE[1]), "\t", ";".join(PEOPLE[2]), "", ""]
    data = "\r\n".join(lines).encode("utf-8")
    read = read_members(data)
    assert [n for n, _r in read] == [1, 2, 3]
    assert names(read) == [(r[0], r[1], r[2]) for r in PEOPLE]
    path = tmp_path / "members.csv"
    path.write_bytes(data)
    out, report = run_import(path, "leseklubb", tmp_path, "report")
    assert "3 data rows" in out
    assert [r["row"] for r in report] == ["1", "2", "3"]


@pytest.mark.parametrize(
    ("header", "named"),
    [
        (["Medlemsnr", "Fornavn", "Etternavn"], ["Fødselsdato"]),
        (["Fornavn", "Fødselsdato"], ["Etternavn"]),
        (["Fornavn", "Etternavn", "Fødselsdato", "Skostørrelse"], ["Skostørrelse"]),
        (["Fornavn", "Etternavn", "Bursdag", "Hårfarge"], ["Bursdag", "Hårfarge", "Fødselsdato"]),
    ],
)
def test_missing_or_unknown_columns_refuse_the_file_before_anything_is_written(
    club, tmp_path, header, named
):
    """R-MIG-1, R-MIG-2: a missing required column or an unknown column stops the import
    before anything is written, and the message names every such column."""
    path = tmp_path / "members.csv"
    path.write_bytes(csv_bytes([["x"] * len(header)], header=header))
    with pytest.raises(ReadError) as read_error:
        read_members(path.read_bytes())
    before = counts()
    with pytest.raises(CommandError) as exc:
        call_command("import_members", str(path), "--club", "leseklubb", stdout=io.StringIO())
    assert counts() == before
    for column in named:
        assert column in str(exc.value) and column in str(read_error.value)
    assert str(path) in str(exc.value)


def test_a_bad_waitlist_sheet_refuses_the_whole_extract(club, tmp_path):
    """R-MIG-2: an unknown column in waitlist.csv refuses the folder, members included."""
    (tmp_path / "members.csv").write_bytes(csv_bytes(PEOPLE))
    (tmp_path / "waitlist.csv").write_text("Parti;Plass;Fornavn;Etternavn;Ønske\n", "utf-8")
    before = counts()
    with pytest.raises(CommandError, match="Ønske"):
        call_command("import_members", str(tmp_path), "--club", "leseklubb", stdout=io.StringIO())
    assert counts() == before


def test_a_duplicated_column_is_refused():
    """R-MIG-1: two columns meaning the same field (Fornavn and first_name) are refused
    rather than one silently winning."""
    header = ["Fornavn", "first_name", "Etternavn", "Fødselsdato"]
    with pytest.raises(ReadError, match="first_name"):
        read_members(csv_bytes([["a", "b", "c", "01.01.2000"]], header=header))


# --- files that cannot be read at all --------------------------------------------------


def _xlsx_without_members() -> bytes:
    wb = Workbook()
    wb.active.title = "Ark1"
    wb.active.append(["Fornavn", "Etternavn"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_value_over_the_size_limit_refuses_the_file_and_writes_nothing(club, tmp_path):
    """A value of over a million characters (no quotes: the rows are counted by their
    lines, and the run itself meets it): the command stops naming the row, nothing is
    written, and the batch says why."""
    lines = [";".join(HEADER), ";".join(PEOPLE[0]), ";".join(PEOPLE[1]) + "x" * 1_000_001]
    path = tmp_path / "members.csv"
    path.write_bytes("\r\n".join(lines).encode("utf-8"))
    before = counts()
    with pytest.raises(CommandError) as exc:
        call_command("import_members", str(path), "--club", "leseklubb", stdout=io.StringIO())
    assert "2" in str(exc.value) and "Traceback" not in str(exc.value)
    persons, _batches, rows, _sources, groups = counts()
    assert (persons, rows, groups) == (before[0], before[2], before[4])
    with scopes_disabled():  # the batch keeps the file it refused, and why (R-MIG-9)
        batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED and "2" in batch.error


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("missing.csv", None),
        ("empty.csv", b""),
        ("blank.csv", b"\r\n  \r\n"),
        ("picture.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"),
        ("broken.xlsx", b"PK\x03\x04 this is not really a workbook"),
        ("no-members.xlsx", "xlsx-without-members"),
        ("empty-folder", "folder"),
    ],
)
def test_unreadable_input_stops_the_command_with_a_clear_message(club, tmp_path, name, content):
    """R-MIG-1: a file that does not exist, is empty, is not a CSV or a workbook, or
    has no member list ends the command with CommandError (a non-zero exit) naming the
    file, and nothing is written."""
    path = tmp_path / name
    if content == "folder":
        path.mkdir()
    elif content == "xlsx-without-members":
        path.write_bytes(_xlsx_without_members())
    elif content is not None:
        path.write_bytes(content)
    before = counts()
    with pytest.raises(CommandError) as exc:
        call_command("import_members", str(path), "--club", "leseklubb", stdout=io.StringIO())
    message = str(exc.value)
    assert str(path) in message and len(message) > len(str(path)) + 5
    assert "Traceback" not in message
    assert counts() == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_file_without_read_permission_stops_the_command(club, tmp_path):
    """R-MIG-1: a file the operator may not read ends in CommandError, not a traceback."""
    path = tmp_path / "members.csv"
    path.write_bytes(csv_bytes(PEOPLE))
    path.chmod(0)
    with pytest.raises(CommandError, match="members.csv"):
        call_command("import_members", str(path), "--club", "leseklubb", stdout=io.StringIO())


def test_an_unknown_club_stops_the_command(db, tmp_path):
    """R-MIG-1: ``--club`` must name an existing club."""
    path = tmp_path / "members.csv"
    path.write_bytes(csv_bytes(PEOPLE))
    with pytest.raises(CommandError, match="finnes-ikke"):
        call_command("import_members", str(path), "--club", "finnes-ikke", stdout=io.StringIO())


# --- values ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["1 250,00", "1\xa0250,00", "1\u202f250,00", "1250,00", "1.250,00", "1250.00", "1250"]
)
def test_amounts_with_decimal_comma_and_thousands_separators(text):
    """R-MIG-7: class fees written the Norwegian way are exact amounts."""
    assert parse_amount(text) == Decimal("1250.00")
    assert isinstance(parse_amount(text), Decimal)


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_group_fee_with_no_break_space_is_stored_exactly(club, tmp_path, encoding):
    """R-MIG-7: ``1\xa0250,00`` in groups.csv (a no-break space, as Excel writes it in
    either encoding) becomes the class fee Decimal('1250.00')."""
    (tmp_path / "members.csv").write_bytes(csv_bytes(PEOPLE[:1]))
    groups = "Parti;Aktivitet;Kapasitet;Partiavgift;Periode;Trener e-post\r\n"
    groups += "Turn 6-8 år;Turn;24;1\xa0250,00;Høst 2026;\r\nParkour;Parkour;18;1 800,00;;\r\n"
    (tmp_path / "groups.csv").write_bytes(groups.encode(encoding))
    run_import(tmp_path, "leseklubb", tmp_path, "report")
    with scopes_disabled():
        fees = dict(Group.objects.filter(club=club).values_list("name", "class_fee"))
    assert fees == {"Turn 6-8 år": Decimal("1250.00"), "Parkour": Decimal("1800.00")}


def test_a_group_fee_that_is_not_an_amount_rejects_that_group_only(club, tmp_path):
    """R-MIG-2: a class fee that is not an amount rejects that group row with a reason;
    the other rows are imported."""
    (tmp_path / "members.csv").write_bytes(csv_bytes(PEOPLE[:1]))
    groups = "Parti;Partiavgift\nTurn 6-8 år;tolv hundre\nParkour;900\n"
    (tmp_path / "groups.csv").write_text(groups, "utf-8")
    run_import(tmp_path, "leseklubb", tmp_path, "report")
    with scopes_disabled():
        rows = {r.values["name"]: r for r in ImportRow.objects.filter(club=club, sheet="groups")}
        assert (
            rows["Turn 6-8 år"].outcome == "rejected"
            and "tolv hundre" in rows["Turn 6-8 år"].reason
        )
        assert Group.objects.get(club=club, name="Parkour").class_fee == Decimal("900.00")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01.02.2003", date(2003, 2, 1)),
        ("1.2.2003", date(2003, 2, 1)),
        ("2003-02-01", date(2003, 2, 1)),
        (" 01.02.2003 ", date(2003, 2, 1)),
    ],
)
def test_date_forms(text, expected):
    """R-MIG-1 (data/README.md): ``dd.mm.yyyy``, ``d.m.yyyy`` and ``yyyy-mm-dd``."""
    assert parse_date(text) == expected


def test_member_values_are_normalised():
    """R-MIG-1: postal codes keep (or get back) their leading zeros, mobiles with +47,
    0047 and spaces are one number, genders and payment methods are understood."""
    checked = normalise_member(
        {
            "first_name": "  Kari  Anne ",
            "last_name": "Nordmann",
            "birth_date": "01.02.2003",
            "postal_code": "353",
            "mobile": "0047 912 34 567",
            "guardian_mobile": "+47 98 76 54 32",
            "gender": "Jente",
            "payment_method": "avtalegiro",
            "email": " Kari@Example.NO ",
        }
    )
    v = checked.values
    assert not checked.errors
    assert (v["first_name"], v["postal_code"], v["mobile"]) == ("Kari Anne", "0353", "+4791234567")
    assert (v["guardian_mobile"], v["gender"], v["payment_method"]) == (
        "+4798765432",
        "female",
        "avtalegiro",
    )
    assert v["email"] == "kari@example.no"


@pytest.mark.parametrize("block", [1, 2, 3, 7, 1 << 20])
def test_lines_are_read_in_blocks_as_one_stringio_reads_them(monkeypatch, block):
    """The reader decodes a file a block of bytes at a time, never the whole text at
    once (memory); every line ending (CRLF, CR, LF), also one at a block's edge, and
    every character, ends up as the whole text decoded at once would give it — in each
    encoding, with a byte order mark, and with Windows-1252 lines in a UTF-8 file."""
    monkeypatch.setattr(reader, "_BLOCK", block)
    texts = ["a", "a\r\nb\rc\nd", "x\r\n\r\ny\n", "1;2\r\n3;4\r\n", "æ\rø\nå – €\r\n" * 5]
    for text in texts:
        for data, encoding in [
            (text.encode("utf-8"), "utf-8"),
            (b"\xef\xbb\xbf" + text.encode("utf-8"), "utf-8-sig"),
            (text.encode("cp1252"), "cp1252" if text.isascii() is False else "utf-8"),
        ]:
            read = reader.Text.of(data)
            assert read.encoding == encoding, (text, data)
            assert list(read.lines()) == list(io.StringIO(text, newline="")), (text, data)
    mixed = "Ærlig;Ås\n".encode() + "Øvre;Å\r\n".encode("cp1252") + "Bø\n".encode()
    read = reader.Text.of(mixed)
    assert read.encoding == "utf-8+cp1252"
    assert list(read.lines()) == ["Ærlig;Ås\n", "Øvre;Å\r\n", "Bø\n"]
    latin = "Ærlig\n".encode("cp1252") + b"\x81\n"  # 0x81 is no Windows-1252 character
    assert reader.Text.of(latin).encoding == "latin-1"
    assert list(reader.Text.of(latin).lines()) == ["Ærlig\n", "\x81\n"]


COUNT_HEADER = "Fornavn;Etternavn;Fødselsdato"
LINE_PARTS = ["Kari", "Ås", "01.02.2010", ";", ",", "\t", " ", "\xa0", "\x1c", "\x00", "", '"']


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(st.lists(st.sampled_from(LINE_PARTS), max_size=6).map("".join), max_size=12),
    ending=st.sampled_from(["\n", "\r\n", "\r", "mixed"]),
    last_ended=st.booleans(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_rows_counted_by_lines_are_the_rows_the_run_reads(lines, ending, last_ended, encoding):
    """The count for the progress bar: a CSV text without quotes is counted by its lines
    (``_count_lines``); whatever the text, the count is what the run reads — blank lines
    (separators, spaces, NUL) left out, any line ending, a last line with or without one."""
    endings = ["\n", "\r\n"] if ending == "mixed" else [ending]
    text = COUNT_HEADER
    for i, line in enumerate(lines):
        text += endings[i % len(endings)] + line
    if last_ended:
        text += endings[0]
    sources = [("members.csv", text.encode(encoding, "replace"))]
    try:
        read = sum(1 for _row in read_sources(sources).members.rows)
    except ReadError:
        return  # a file the run refuses is refused by the count as well (read_sources)
    assert reader.count_member_rows(sources) == read
    members = read_sources(sources).members
    quick = reader._count_lines(members.text, members.delimiter)
    if '"' not in text and "\r" not in text.replace("\r\n", ""):
        assert quick == read, text  # the lines were counted, not read as rows
    else:
        assert quick is None


def test_the_bench_like_extract_is_counted_by_its_lines(monkeypatch):
    text = (
        COUNT_HEADER + "\r\n" + "Kari;Ås;01.02.2010\r\n" * 1000 + ";;\r\n \r\n" + "Ola;Li;1.1.2001"
    )

    def no_row(values, fields):
        raise AssertionError("a row was read")

    monkeypatch.setattr(reader, "_no_row", no_row)
    assert reader.count_member_rows([("members.csv", text.encode("cp1252"))]) == 1001
