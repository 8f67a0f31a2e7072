"""Fuzz: broken extracts never end in a traceback. Either every data row is accounted for
(one ImportRow each, with an outcome, and a readable reason when rejected) or the whole
file is refused with a plain message and nothing is written (R-MIG-1, R-MIG-2)."""

import codecs
import csv
import io

import pytest
from django.db import transaction
from django_scopes import scopes_disabled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from members.models import Group, Membership, Person, WaitlistEntry
from members.services import create_club
from migration import services
from migration.models import ImportBatch, ImportRow
from migration.pipeline.reader import ReadError

from .helpers import MEMBER_HEADER, OUTCOMES

N_COLUMNS = len(MEMBER_HEADER.split(";"))
GOOD = [
    "9001",
    "Kari",
    "Nordmann",
    "01.02.1980",
    "",
    "K",
    "kari@example.no",
    "912 34 567",
    "Storgata 1",
    "0150",
    "Oslo",
    "",
    "",
    "",
    "Ordinær",
    "Turn",
    "Faktura",
    "01.01.2027",
    "01.08.2020",
]


def member(**changes) -> list[str]:
    """A good member row with some columns changed (by header position)."""
    row = list(GOOD)
    fields = ["member_no", "first", "last", "born", "nid", "gender", "email", "mobile"]
    fields += ["address", "postal", "city", "g_name", "g_email", "g_mobile", "category"]
    fields += ["groups", "payment", "next_billing", "joined"]
    for name, value in changes.items():
        row[fields.index(name)] = value
    return row


def text_file(lines: list[str], newline="\r\n") -> str:
    return newline.join([MEMBER_HEADER, *lines]) + newline


def line(values: list[str], sep=";") -> str:
    return sep.join(values)


def snapshot() -> dict:
    with scopes_disabled():
        return {
            "persons": Person.objects.count(),
            "memberships": Membership.objects.count(),
            "rows": ImportRow.objects.count(),
            "groups": Group.objects.count(),
            "waitlist": WaitlistEntry.objects.count(),
            "done": ImportBatch.objects.filter(status=ImportBatch.Status.DONE).count(),
        }


def import_or_refuse(club, sources, data_rows: int | None):
    """Import ``sources``; check the R-MIG-2 invariant. Returns the member ImportRows, or
    None when the file was refused (then nothing may have been written)."""
    before = snapshot()
    try:
        batch, _rows = services.import_now(club, sources)
    except (services.MigrationError, ReadError) as exc:
        assert str(exc).strip(), "a refusal says why"
        assert snapshot() == before, "a refused file writes nothing"
        return None
    with scopes_disabled():
        rows = list(ImportRow.objects.filter(batch=batch, sheet="members").order_by("row_number"))
        every = list(ImportRow.objects.filter(batch=batch))
    if data_rows is not None:
        assert len(rows) == data_rows, [r.raw for r in rows]
        assert [r.row_number for r in rows] == list(range(1, data_rows + 1))
    for row in every:
        assert row.outcome in OUTCOMES
        assert row.reason.strip(), row
        if row.outcome == "rejected":
            assert any(p["severity"] == "error" for p in row.problems), row.problems
        if row.sheet == "members" and row.outcome in ("new", "matched", "merged"):
            assert row.person_id is not None
    assert sum(batch.totals.get("members", {}).values()) == len(rows)
    return rows


@pytest.fixture
def club(db):
    return create_club("fuzzklubb", "Fuzzklubben")


def members_csv(data: bytes):
    return [("members.csv", data)]


# --- broken files, one kind of trouble each --------------------------------------------

LONG = "Æ" * 10_000
CASES = {
    "utf-16 (wrong encoding)": (text_file([line(GOOD)]).encode("utf-16"), 1),
    "utf-8 with a stray Windows-1252 byte": (
        text_file([line(member(first="Bjørn")), line(member(member_no="2", first="J\x00"))])
        .encode("utf-8")
        .replace(b"J", b"J\x96"),
        2,
    ),
    "undefined bytes 0x81 0x8d 0x9d": (
        text_file([line(member(last="Nord\x81mann")), line(GOOD)]).encode("latin-1"),
        2,
    ),
    "NUL bytes in values and a NUL line": (
        text_file([line(member(first="Ka\x00ri")), "\x00\x00\x00", line(GOOD)]).encode(),
        2,
    ),
    "rows with fewer values than headers": (
        text_file(["9002;Per", "9003", line(GOOD)]).encode(),
        3,
    ),
    "rows with more values than headers": (
        text_file([line(GOOD + ["extra", "mer"]), line(GOOD + [""] * 5)]).encode(),
        2,
    ),
    "blank lines everywhere": (
        ("\r\n\r\n" + text_file(["", line(GOOD), "  ", ";" * 18, "", line(GOOD)])).encode(),
        2,
    ),
    "quotes and embedded newlines": (
        text_file(
            [
                line(member(first='"Anne\nMarie"', address='"Storgata 1\r\nInngang B"')),
                line(member(first='"Ola ""Kiki"""', born="03.04.1990")),
                line(member(first='Kari "K" Nordmann', born="05.06.1991")),
                line(member(groups='"Turn; Parkour"', born="07.08.1992")),
            ]
        ).encode(),
        4,
    ),
    "an unclosed quote": (
        text_file(
            [
                line(GOOD),
                line(member(first='"Kari', born="02.02.1982")),
                line(member(born="03.03.1983")),
                line(member(born="04.04.1984")),
            ]
        ).encode(),
        4,
    ),
    "10,000-character fields": (
        text_file(
            [
                line(
                    member(
                        member_no="9" * 10_000,
                        first=LONG,
                        last=LONG,
                        email="a" * 10_000 + "@example.no",
                        mobile="9" * 10_000,
                        nid="1" * 10_000,
                        address=LONG,
                        postal="0" * 10_000,
                        city=LONG,
                        g_name=LONG + " " + LONG,
                        g_email=LONG,
                        category=LONG,
                        groups=LONG + "," + LONG,
                        payment=LONG,
                        next_billing=LONG,
                        joined=LONG,
                        gender=LONG,
                    )
                ),
                line(member(g_name=LONG + " Nordmann", g_email="foresatt@example.no")),
            ]
        ).encode(),
        2,
    ),
    "an e-mail address too long to store": (
        text_file([line(member(email="k" * 250 + "@example.no"))]).encode(),
        1,
    ),
    "names that grow when case-folded": (
        text_file(
            [line(member(first="ß" * 150, last="ﬃ" * 100, g_name="ß" * 149 + " Å"))]
        ).encode(),
        1,
    ),
    "a field over a megabyte": (text_file([line(member(address="x" * 1_100_000))]).encode(), 1),
    "impossible dates": (
        text_file(
            [
                line(member(born="31.02.2011")),
                line(member(born="00.00.0000")),
                line(member(born="01.01.2999")),
                line(member(born="29.02.2023")),
                line(member(born="15.13.2000")),
                line(member(born="01.01.1066")),
                line(member(born="1.2.20000")),
                line(member(next_billing="31.02.2027", joined="00.00.0000")),
            ]
        ).encode(),
        8,
    ),
    "old Mac line endings (CR only)": (
        text_file([line(GOOD), line(GOOD)], newline="\r").encode(),
        2,
    ),
    "header only": (text_file([]).encode(), 0),
    "a BOM, then Windows-1252": (codecs.BOM_UTF8 + text_file([line(GOOD)]).encode("cp1252"), 1),
}


@pytest.mark.parametrize("case", list(CASES))
def test_broken_member_files_are_accounted_for_or_refused(club, case):
    """R-MIG-2: whatever is wrong with the file, every data row ends in one outcome (a
    rejected row with a reason) or the file is refused and nothing is written."""
    data, data_rows = CASES[case]
    import_or_refuse(club, members_csv(data), data_rows)


def test_impossible_dates_reject_the_row_and_say_which_date(club):
    """R-MIG-2: a birth date that does not exist or lies in the future rejects the row
    with a reason naming the date; a bad billing or start date only warns."""
    data, _n = CASES["impossible dates"]
    rows = import_or_refuse(club, members_csv(data), 8)
    assert [r.outcome for r in rows[:7]] == ["rejected"] * 7
    for row in rows[:7]:
        assert {p["field"] for p in row.problems if p["severity"] == "error"} == {"birth_date"}
    assert rows[7].outcome == "new"
    assert {p["field"] for p in rows[7].problems} == {"next_billing_date", "joined"}


def test_long_fields_are_cut_with_a_warning_not_a_crash(club):
    """R-MIG-2: 10,000-character values do not stop the import; what is kept fits the
    database and the row says what was cut."""
    data, _n = CASES["10,000-character fields"]
    rows = import_or_refuse(club, members_csv(data), 2)
    assert rows is not None, "long fields are no reason to refuse the file"
    assert rows[0].outcome in ("new", "rejected") and rows[1].outcome == "new"
    assert any(p["code"] == "too_long" for p in rows[0].problems)
    for row in rows:
        if row.person_id:
            person = Person.objects.get(pk=row.person_id)
            assert len(person.first_name) <= 150 and len(person.city) <= 100


def test_names_that_grow_when_case_folded_still_fit(club):
    """R-MIG-2, R-MIG-3: a name whose matching key is longer than the name (ß → ss) is
    cut so that name and key fit; the row is imported with a warning."""
    data, _n = CASES["names that grow when case-folded"]
    (row,) = import_or_refuse(club, members_csv(data), 1)
    assert row.outcome == "new"
    person = Person.objects.get(pk=row.person_id)
    assert 0 < len(person.first_name_key) <= 150 and 0 < len(person.last_name_key) <= 150
    assert any(p["code"] == "too_long" for p in row.problems)


def test_an_unclosed_quote_refuses_the_file_and_names_the_line(club):
    """R-MIG-2: a quote that is never closed would swallow every row after it; the file
    is refused, naming the line, rather than rows vanishing silently."""
    data, _n = CASES["an unclosed quote"]
    before = snapshot()
    with pytest.raises(services.MigrationError, match=r"\b3\b"):
        services.import_now(club, members_csv(data))
    assert snapshot() == before


def test_embedded_newlines_and_quotes_are_kept_in_one_value(club):
    """R-MIG-1: a quoted name over two lines is one name; doubled quotes are one quote."""
    data, _n = CASES["quotes and embedded newlines"]
    rows = import_or_refuse(club, members_csv(data), 4)
    names = [Person.objects.get(pk=r.person_id).first_name for r in rows if r.person_id]
    assert names[:3] == ["Anne Marie", 'Ola "Kiki"', 'Kari "K" Nordmann']


@pytest.mark.parametrize(
    ("groups", "waitlist"),
    [
        ("Parti;Kapasitet;Partiavgift\nTurn;²;1 250,00\nParkour;12;-5\n", None),
        ("Parti;Kapasitet\nTurn;" + "9" * 5000 + "\n", None),
        (None, "Parti;Plass;Fornavn;Etternavn;Fødselsdato\nTurn;²;Ola;Nordmann;01.01.2015\n"),
        (None, "Parti;Plass;Fornavn;Etternavn\nTurn;" + "9" * 30 + ";Ola;Nordmann\n"),
        (None, "Parti;Plass;Fornavn;Etternavn\nTurn;0;Ola;Nordmann\nTurn;-1;Kari;Nordmann\n"),
        (None, "Parti;Plass;Fornavn;Etternavn\n;1;Ola;Nordmann\nTurn;1;;\nTurn;1;Per;Hansen\n"),
    ],
)
def test_broken_groups_and_waitlists_are_accounted_for(club, groups, waitlist):
    """R-MIG-2: odd numbers in Kapasitet or Plass (superscripts, huge, zero, negative) and
    empty names reject or warn on that row only; never a traceback."""
    sources = members_csv(text_file([line(GOOD)]).encode())
    for name, text in (("groups.csv", groups), ("waitlist.csv", waitlist)):
        if text is not None:
            sources.append((name, text.encode()))
    import_or_refuse(club, sources, 1)
    with scopes_disabled():
        batch = ImportBatch.objects.filter(club=club).first()
        for name, text in (("groups", groups), ("waitlist", waitlist)):
            if text is not None and batch.status == ImportBatch.Status.DONE:
                lines = [ln for ln in text.splitlines()[1:] if ln.strip()]
                assert batch.rows.filter(sheet=name).count() == len(lines)


# --- random rows -----------------------------------------------------------------------

ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=25)
PLAUSIBLE = st.one_of(
    st.sampled_from(["", " ", "Kari", "Ola-Per", "ÆØÅ æøå", "01.02.2003", "2003-02-01"]),
    st.sampled_from(["31.02.2011", "00.00.0000", "12345678901", "+47 912 34 567", "Faktura"]),
    st.sampled_from(['"', '""', "\r\n", "\n", ";", ",", "\t", "\x00", "\ufeff", "\xa0"]),
    ANY_TEXT,
)
ROW = st.lists(PLAUSIBLE, min_size=0, max_size=N_COLUMNS + 3)
LETTERS_1252 = st.text(
    st.sampled_from("abcdefghijklmnopqrstuvwxyzæøåÆØÅéüöÉ -.,;'\"\t0123456789"), max_size=20
)


def is_data_row(values: list[str]) -> bool:
    """A row the reader must count: something besides whitespace (NUL bytes are dropped)."""
    return any(v.replace("\x00", "").strip() for v in values)


def build(rows: list[list[str]], delimiter: str, newline: str, encoding: str) -> bytes:
    """A CSV file as a spreadsheet writes it: values with a separator, quote or line break
    are quoted (csv only quotes a lone CR when CR is in the line terminator, so write
    CRLF and turn it into LF afterwards when LF is wanted)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(MEMBER_HEADER.split(";"))
    writer.writerows(rows)
    return out.getvalue().replace("\r\n", newline).encode(encoding)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.data(),
    st.sampled_from([";", ",", "\t"]),
    st.sampled_from(["\n", "\r\n"]),
    st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_random_member_rows_are_always_accounted_for(club, data, delimiter, newline, encoding):
    """R-MIG-2: random rows (any Unicode, separators, quotes, NULs, too few or too many
    values) are each accounted for exactly once, or the file is refused whole."""
    values = ROW if encoding != "cp1252" else st.lists(LETTERS_1252, max_size=N_COLUMNS + 3)
    rows = data.draw(st.lists(values, max_size=6), label="rows")
    good = data.draw(st.lists(st.just(GOOD), max_size=2), label="good rows")
    rows = rows + good
    expected = sum(1 for r in rows if is_data_row(r))
    with transaction.atomic():
        import_or_refuse(club, members_csv(build(rows, delimiter, newline, encoding)), expected)
        transaction.set_rollback(True)
