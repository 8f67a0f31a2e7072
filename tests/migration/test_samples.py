"""Acceptance: the federation's sample extracts for club A and club B, imported with the
operator's command, end exactly as ``club-b/truth.csv`` says (SPEC §4, R-MIG-1..9)."""

import contextlib
import hashlib
import io
from collections import Counter, defaultdict
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django_scopes import scopes_disabled
from openpyxl import Workbook

from members import identity
from members.models import (
    ClubRole,
    Group,
    GroupMember,
    Membership,
    MembershipCategory,
    Person,
    WaitlistEntry,
)
from members.services import create_club
from migration import services
from migration.models import ImportBatch, ImportRow, ImportSource
from tests.identity_numbers import national_id

from .helpers import (
    CLUB_A,
    CLUB_B,
    REPORT_COLUMNS,
    member_csv,
    printed_totals,
    report_header,
    run_import,
    sample_rows,
)

PAYMENT = {"Faktura": "invoice", "AvtaleGiro": "avtalegiro"}


def expected_outcome(truth_row: dict) -> str:
    if truth_row["expect"] == "not_matched":
        return "new" if truth_row["kind"] == "namesake" else "review"
    return truth_row["expect"]


def parse_date(text: str):
    return datetime.strptime(text.strip(), "%d.%m.%Y").date() if text.strip() else None


def differences_from_truth(report_a: list[dict], report_b: list[dict]) -> list[str]:
    """Every way club B's report differs from truth.csv, in words an operator reads."""
    truth = sample_rows(CLUB_B / "truth.csv")
    a_person = {r["member_no"]: r["person_id"] for r in report_a}
    b_row = {r["member_no"]: r for r in report_b}
    problems = []
    if len(report_b) != len(truth):
        problems.append(f"report has {len(report_b)} rows, truth has {len(truth)}")
    for t in truth:
        no, kind, ref = t["Medlemsnr"], t["kind"], t["a_medlemsnr"]
        row = b_row.get(no)
        if row is None:
            problems.append(f"{no} ({kind}): missing from the report")
            continue
        want = expected_outcome(t)
        if row["outcome"] != want:
            problems.append(f"{no} ({kind}): {row['outcome']}, expected {want}: {row['reason']}")
            continue
        if want == "matched" and row["person_id"] != a_person[ref]:
            problems.append(f"{no} ({kind}): linked to {row['person_id']}, not A's {ref}")
        if want == "merged" and (
            not row["person_id"] or row["person_id"] != b_row[ref]["person_id"]
        ):
            problems.append(f"{no}: merged, but not into the person of row {ref}")
        if kind == "namesake" and row["person_id"] in ("", a_person[ref]):
            problems.append(f"{no}: a namesake must be a new person, not A's {ref}")
        if want in ("review", "rejected") and row["person_id"]:
            problems.append(f"{no}: {want} but linked to {row['person_id']}")
        if not row["reason"].strip():
            problems.append(f"{no}: no reason given")
    return problems


def make_clubs() -> SimpleNamespace:
    with scopes_disabled():
        return SimpleNamespace(
            a=create_club("klubb-a", "Klubb A"), b=create_club("klubb-b", "Klubb B")
        )


@pytest.fixture
def clubs(db):
    return make_clubs()


@pytest.fixture(scope="class")
def imported(django_db_setup, django_db_blocker, tmp_path_factory):
    """Club A imported first (it fills the registry), then club B: done once for the
    class, inside a transaction rolled back afterwards; each test runs in a savepoint
    on top of it."""
    tmp = tmp_path_factory.mktemp("samples")
    with django_db_blocker.unblock(), transaction.atomic():
        clubs = make_clubs()
        out_a, report_a = run_import(CLUB_A, "klubb-a", tmp, "report-a")
        out_b, report_b = run_import(CLUB_B, "klubb-b", tmp, "report-b")
        yield SimpleNamespace(
            clubs=clubs, out_a=out_a, out_b=out_b, report_a=report_a, report_b=report_b, tmp=tmp
        )
        transaction.set_rollback(True)


def person_by_public_id(public_id: str) -> Person:
    return Person.objects.get(public_id=public_id)


def counts() -> dict[str, int]:
    with scopes_disabled():
        return {
            "persons": Person.objects.count(),
            "memberships": Membership.objects.count(),
            "batches": ImportBatch.objects.count(),
            "import rows": ImportRow.objects.count(),
            "sources": ImportSource.objects.count(),
            "groups": Group.objects.count(),
            "group members": GroupMember.objects.count(),
            "waitlist places": WaitlistEntry.objects.count(),
            "categories": MembershipCategory.objects.count(),
            "roles": ClubRole.objects.count(),
            "users": get_user_model().objects.count(),
            "guardian links": Person.guardians.through.objects.count(),
        }


def xlsx_from_csvs(folder, path):
    """The same extract as one workbook, the way a spreadsheet stores it: dates as date
    cells, whole numbers as number cells, everything else as text."""
    wb = Workbook()
    wb.remove(wb.active)
    as_number = {"Medlemsnr", "Kapasitet", "Plass"}
    as_date = {"Fødselsdato", "Neste fakturadato", "Innmeldt", "Registrert"}
    for sheet, name in (
        ("Medlemmer", "members.csv"),
        ("Parti", "groups.csv"),
        ("Venteliste", "waitlist.csv"),
    ):
        rows = sample_rows(folder / name)
        ws = wb.create_sheet(sheet)
        headers = list(rows[0])
        ws.append(headers)
        for row in rows:
            cells = []
            for h in headers:
                value = row[h]
                if h in as_number and value.strip().isdigit():
                    value = int(value)
                elif h in as_date:
                    # an impossible date stays text, as the old system wrote it
                    with contextlib.suppress(ValueError):
                        value = parse_date(value) or None
                cells.append(value)
            ws.append(cells)
    wb.save(path)


@pytest.mark.django_db
class TestClubAThenClubB:
    """Club A's and club B's sample extracts, imported once for all the checks below."""

    def test_every_club_b_row_ends_as_the_truth_file_says(self, imported):
        """R-MIG-2, R-MIG-3, R-MIG-4: matched rows link to club A's person, near misses go to
        review, namesakes are new persons, duplicates merge into the row they repeat,
        bad rows are rejected with a reason."""
        assert all(r["person_id"] for r in imported.report_a), "every club A row has a person"
        assert differences_from_truth(imported.report_a, imported.report_b) == []

    def test_near_misses_offer_club_a_person_on_the_review_list(self, imported):
        """R-MIG-4: a typo is not linked, but the admin sees club A's person as the candidate
        to link with one click."""
        a_person = {r["member_no"]: r["person_id"] for r in imported.report_a}
        with scopes_disabled():
            for t in sample_rows(CLUB_B / "truth.csv"):
                if t["kind"] != "typo":
                    continue
                row = ImportRow.objects.get(
                    club=imported.clubs.b, sheet="members", member_no=t["Medlemsnr"]
                )
                assert row.person_id is None
                assert person_by_public_id(a_person[t["a_medlemsnr"]]).pk in row.candidates, t

    def test_rejected_rows_say_why(self, imported):
        """R-MIG-2: a rejected row has a reason, and its problems name the field that is
        wrong (so the data-quality page can point at it)."""
        with scopes_disabled():
            rows = {
                r.member_no: r
                for r in ImportRow.objects.filter(club=imported.clubs.b, sheet="members")
            }
        for t in sample_rows(CLUB_B / "truth.csv"):
            row = rows[t["Medlemsnr"]]
            errors = {(p["field"], p["code"]) for p in row.problems if p["severity"] == "error"}
            if t["kind"] == "bad_birth":
                assert {f for f, _code in errors} == {"birth_date"}, (t, row.problems)
            elif t["kind"] == "bad_empty_name":
                assert errors & {("first_name", "missing"), ("last_name", "missing")}, row.problems
            if row.outcome == "rejected":
                assert row.reason.strip() and all(
                    p["message"] in row.reason for p in row.problems if p["severity"] == "error"
                )

    def test_totals_add_up_to_the_data_rows(self, imported):
        """R-MIG-2: one report line per data row, in file order, and the printed totals,
        the report and the batch all add up to the number of data rows."""
        for folder, out, report, club in (
            (CLUB_A, imported.out_a, imported.report_a, imported.clubs.a),
            (CLUB_B, imported.out_b, imported.report_b, imported.clubs.b),
        ):
            members = sample_rows(folder / "members.csv")
            n = len(members)
            assert f"{n} data rows" in out
            assert [r["row"] for r in report] == [str(i) for i in range(1, n + 1)]
            assert [r["member_no"] for r in report] == [m["Medlemsnr"] for m in members]
            printed = printed_totals(out)
            assert sum(printed.values()) == n
            assert printed == {
                **dict.fromkeys(services.OUTCOMES, 0),
                **Counter(r["outcome"] for r in report),
            }
            with scopes_disabled():
                batch = ImportBatch.objects.get(club=club)
                assert batch.status == ImportBatch.Status.DONE
                assert sum(batch.totals["members"].values()) == n
                for sheet, name in (
                    ("members", "members.csv"),
                    ("groups", "groups.csv"),
                    ("waitlist", "waitlist.csv"),
                ):
                    assert batch.rows.filter(sheet=sheet).count() == len(
                        sample_rows(folder / name)
                    ), sheet
        truth = Counter(expected_outcome(t) for t in sample_rows(CLUB_B / "truth.csv"))
        assert printed_totals(imported.out_b) == {**dict.fromkeys(services.OUTCOMES, 0), **truth}

    def test_report_has_exactly_the_documented_columns(self, imported):
        """R-MIG-2: the operator's report is row, member_no, outcome, person_id, reason."""
        assert report_header(imported.tmp / "report-a.csv") == REPORT_COLUMNS
        assert report_header(imported.tmp / "report-b.csv") == REPORT_COLUMNS

    def test_reimporting_club_b_duplicates_nothing(self, imported, tmp_path):
        """R-MIG-5: the same extract again creates no Person, Membership, group place,
        waitlist place, guardian or category; every row keeps its person."""
        before = counts()
        out, again = run_import(CLUB_B, "klubb-b", tmp_path, "report-b-again")
        after = counts()
        for name in before:
            if name not in ("batches", "import rows", "sources"):
                assert after[name] == before[name], name
        assert after["batches"] == before["batches"] + 1
        first = {r["member_no"]: r for r in imported.report_b}
        for row in again:
            was = first[row["member_no"]]
            want = {"new": "matched"}.get(was["outcome"], was["outcome"])
            assert row["outcome"] == want, (row, was)
            assert row["person_id"] == was["person_id"], row
        assert sum(printed_totals(out).values()) == len(again)

    def test_batch_keeps_the_original_files_with_checksums(self, imported):
        """R-MIG-9: the batch keeps each original file byte for byte with its SHA-256."""
        with scopes_disabled():
            batch = ImportBatch.objects.get(club=imported.clubs.b)
            sources = {s.name: s for s in ImportSource.objects.filter(batch=batch)}
            assert set(sources) == {"members.csv", "groups.csv", "waitlist.csv"}
            for name, source in sources.items():
                original = (CLUB_B / name).read_bytes()
                assert source.sha256 == hashlib.sha256(original).hexdigest()
                assert source.size == len(original)
                with source.file.open("rb") as fh:
                    assert fh.read() == original
            assert dict(services.batch_sources(batch)) == {
                name: (CLUB_B / name).read_bytes() for name in sources
            }

    def test_groups_are_carried_over_with_fee_capacity_and_coach(self, imported):
        """R-MIG-7: each parti becomes a group with its capacity, class fee (as an exact
        amount) and season, and the coach's e-mail becomes the group's admin."""
        with scopes_disabled():
            for row in sample_rows(CLUB_B / "groups.csv"):
                group = Group.objects.get(club=imported.clubs.b, name=row["Parti"])
                assert group.sport == row["Aktivitet"]
                assert group.capacity == int(row["Kapasitet"])
                fee = Decimal(row["Partiavgift"].replace(" ", "").replace(",", "."))
                assert isinstance(group.class_fee, Decimal) and group.class_fee == fee
                assert group.season == row["Periode"]
                assert ClubRole.objects.filter(
                    club=imported.clubs.b,
                    kind=ClubRole.Kind.GROUP_ADMIN,
                    group=group,
                    user__email__iexact=row["Trener e-post"],
                ).exists(), row["Parti"]

    def test_members_are_placed_in_their_groups(self, imported):
        """R-MIG-7: every imported member is in the groups (Parti) the file lists for them."""
        with scopes_disabled():
            for folder, report, club in (
                (CLUB_A, imported.report_a, imported.clubs.a),
                (CLUB_B, imported.report_b, imported.clubs.b),
            ):
                for member, line in zip(sample_rows(folder / "members.csv"), report, strict=True):
                    if not line["person_id"]:
                        continue
                    wanted = {g.strip() for g in member["Parti"].split(",") if g.strip()}
                    m = Membership.objects.get(club=club, person__public_id=line["person_id"])
                    have = set(m.group_links.values_list("group__name", flat=True))
                    assert wanted <= have, (member["Medlemsnr"], wanted, have)

    def test_waitlists_keep_the_files_order(self, imported):
        """R-MIG-7: waitlist places keep the order of the file (Plass 1 first), numbered
        1, 2, 3 …; a place with a member number is that member's person."""
        with scopes_disabled():
            for folder, club in ((CLUB_A, imported.clubs.a), (CLUB_B, imported.clubs.b)):
                file_rows = sample_rows(folder / "waitlist.csv")
                import_rows = {
                    r.row_number: r for r in ImportRow.objects.filter(club=club, sheet="waitlist")
                }
                assert len(import_rows) == len(file_rows)
                by_group = defaultdict(list)
                for number, row in enumerate(file_rows, start=1):
                    by_group[row["Parti"]].append((int(row["Plass"]), number, row))
                for name, places in by_group.items():
                    expected = []
                    for _place, number, row in sorted(places, key=lambda p: p[:2]):
                        done = import_rows[number]
                        if done.outcome in ("review", "rejected"):
                            continue
                        expected.append(done.person_id)
                        if row["Medlemsnr"]:
                            member = Membership.objects.get(
                                club=club, member_number=row["Medlemsnr"]
                            )
                            assert done.person_id == member.person_id, row
                        else:
                            person = Person.objects.get(pk=done.person_id)
                            assert identity.name_key(person.last_name) == identity.name_key(
                                row["Etternavn"]
                            )
                    entries = list(
                        WaitlistEntry.objects.filter(group__club=club, group__name=name).order_by(
                            "position"
                        )
                    )
                    assert [e.person_id for e in entries] == expected, name
                    assert [e.position for e in entries] == list(range(1, len(entries) + 1))

    def test_children_get_their_guardian_and_siblings_share_one(self, imported):
        """R-MIG-7: a child's guardian becomes a Person linked through Person.guardians, with
        the guardian's e-mail; children with the same guardian share one guardian Person."""
        for folder, report in ((CLUB_A, imported.report_a), (CLUB_B, imported.report_b)):
            guardian_of = defaultdict(set)  # (name, e-mail) → guardian person pks
            for member, line in zip(sample_rows(folder / "members.csv"), report, strict=True):
                if not (member["Foresatt navn"] and line["person_id"]):
                    continue
                child = person_by_public_id(line["person_id"])
                name = identity.name_key(member["Foresatt navn"])
                found = [g for g in child.guardians.all() if identity.name_key(g.full_name) == name]
                assert len(found) == 1, (member["Medlemsnr"], member["Foresatt navn"])
                if member["Foresatt e-post"]:
                    assert found[0].email == member["Foresatt e-post"].strip().lower()
                key = (name, member["Foresatt e-post"].strip().lower())
                guardian_of[key].add(found[0].pk)
            for key, guardians in guardian_of.items():
                assert len(guardians) == 1, f"{key} became {len(guardians)} persons"

    def test_categories_payment_method_and_next_billing_date(self, imported):
        """R-MIG-7: membership category (created when unknown), payment method, next billing
        date, member number and start date come over to the membership."""
        with scopes_disabled():
            club = imported.clubs.a
            members = sample_rows(CLUB_A / "members.csv")
            assert set(
                MembershipCategory.objects.filter(club=club).values_list("name", flat=True)
            ) == {m["Medlemskategori"] for m in members if m["Medlemskategori"]}
            for member, line in zip(members, imported.report_a, strict=True):
                m = Membership.objects.select_related("category").get(
                    club=club, person__public_id=line["person_id"]
                )
                assert m.member_number == member["Medlemsnr"]
                assert m.category.name == member["Medlemskategori"]
                assert m.payment_method == PAYMENT[member["Betalingsmåte"]]
                assert m.next_billing_date == parse_date(member["Neste fakturadato"])
                assert m.started_on == parse_date(member["Innmeldt"])
                assert m.source == Membership.Source.MIGRATED
            # club B: rows that are the only row of their person
            club = imported.clubs.b
            members = sample_rows(CLUB_B / "members.csv")
            persons = Counter(line["person_id"] for line in imported.report_b if line["person_id"])
            for member, line in zip(members, imported.report_b, strict=True):
                if not line["person_id"] or persons[line["person_id"]] > 1:
                    continue
                m = Membership.objects.get(club=club, person__public_id=line["person_id"])
                assert m.category.name == member["Medlemskategori"]
                assert m.payment_method == PAYMENT[member["Betalingsmåte"]]
                assert m.next_billing_date == parse_date(member["Neste fakturadato"])

    def test_matched_memberships_are_active_and_new_ones_pending(self, imported):
        """R-MIG-3: a row matched to a registered person gives an active membership; a new
        person's membership is pending."""
        seen = Counter()
        with scopes_disabled():
            for line in imported.report_b:
                if line["outcome"] not in ("matched", "new"):
                    continue
                m = Membership.objects.get(
                    club=imported.clubs.b, person__public_id=line["person_id"]
                )
                want = (
                    Membership.Status.ACTIVE
                    if line["outcome"] == "matched"
                    else Membership.Status.PENDING
                )
                assert m.status == want, line
                seen[line["outcome"]] += 1
            assert seen["matched"] and seen["new"]
            assert set(
                Membership.objects.filter(club=imported.clubs.a).values_list("status", flat=True)
            ) == {Membership.Status.PENDING}


def test_dry_run_writes_nothing_but_reports_the_same(clubs, tmp_path, settings):
    """R-MIG-6: ``--dry-run`` runs the whole pipeline, prints the same totals and row
    outcomes as the real run, and leaves the database and the file store untouched."""
    run_import(CLUB_A, "klubb-a", tmp_path, "report-a")
    before = counts()
    media = sorted(p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file())
    dry_out, dry_report = run_import(CLUB_B, "klubb-b", tmp_path, "dry", "--dry-run")
    assert counts() == before
    assert sorted(p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()) == media
    assert "nothing written" in dry_out.lower()

    real_out, real_report = run_import(CLUB_B, "klubb-b", tmp_path, "real")
    assert printed_totals(dry_out) == printed_totals(real_out)
    assert sum(printed_totals(dry_out).values()) == len(sample_rows(CLUB_B / "members.csv"))
    assert [(r["row"], r["outcome"]) for r in dry_report] == [
        (r["row"], r["outcome"]) for r in real_report
    ]
    sheets = [line for line in dry_out.splitlines() if line.startswith(("groups:", "waitlist:"))]
    assert sheets and all(line in real_out.splitlines() for line in sheets)


def test_without_report_the_totals_come_from_the_batch_and_no_row_is_read_back(
    clubs, tmp_path, monkeypatch
):
    """R-MIG-2: ``import_members`` without ``--report`` prints the same totals as with it
    (counted by the run), without reading every row back for a report nobody asked for."""
    _out, with_report = run_import(CLUB_A, "klubb-a", tmp_path, "report-a", "--dry-run")

    def read_back(batch):
        raise AssertionError("the rows were read back without --report")

    monkeypatch.setattr(services, "report_lines", read_back)
    out = io.StringIO()
    call_command("import_members", str(CLUB_A), "--club", "klubb-a", "--dry-run", stdout=out)
    printed = printed_totals(out.getvalue())
    assert printed == {
        **dict.fromkeys(services.OUTCOMES, 0),
        **Counter(r["outcome"] for r in with_report),
    }
    n = len(sample_rows(CLUB_A / "members.csv"))
    assert sum(printed.values()) == n and f"{n} data rows" in out.getvalue()


def test_same_extract_as_one_xlsx_workbook_gives_the_same_outcomes(clubs, tmp_path):
    """R-MIG-1: club B's extract as an XLSX workbook (sheets Medlemmer, Parti,
    Venteliste) gives the same outcomes as the CSV files."""
    _out, report_a = run_import(CLUB_A, "klubb-a", tmp_path, "report-a")
    workbook = tmp_path / "klubb-b.xlsx"
    xlsx_from_csvs(CLUB_B, workbook)
    out, report_b = run_import(workbook, "klubb-b", tmp_path, "report-b")
    assert differences_from_truth(report_a, report_b) == []
    with scopes_disabled():
        assert Group.objects.filter(club=clubs.b).count() >= len(sample_rows(CLUB_B / "groups.csv"))
        assert WaitlistEntry.objects.filter(club=clubs.b).exists()
        assert ImportRow.objects.filter(club=clubs.b, sheet="waitlist").count() == len(
            sample_rows(CLUB_B / "waitlist.csv")
        )
        source = ImportSource.objects.get(club=clubs.b)
        assert source.sha256 == hashlib.sha256(workbook.read_bytes()).hexdigest()


def test_siblings_share_one_guardian_who_may_be_a_member_too(clubs, tmp_path):
    """R-MIG-7, R-MIG-5: children with the same guardian (name written with other case
    and spacing) get one guardian Person; a guardian who is a member row of the same file
    is that member's Person; importing again adds no guardian."""
    folder = tmp_path / "extract"
    folder.mkdir()
    rows = [
        ["1", "Kari", "Nordmann", "01.02.1980", "", "K", "kari.nordmann@example.no", "91234567"]
        + [""] * 11,
        ["2", "Ola", "Nordmann", "03.04.2015", "", "G", "", ""]
        + ["", "", "", "Kari Nordmann", "kari.nordmann@example.no", "", "Barn", "", "", "", ""],
        ["3", "Per", "Nordmann", "05.06.2017", "", "G", "", ""]
        + ["", "", "", "kari  NORDMANN", "Kari.Nordmann@example.no", "", "Barn", "", "", "", ""],
        ["4", "Lise", "Hansen", "07.08.2016", "", "J", "", ""]
        + ["", "", "", "Ola Hansen", "ola.hansen@example.no", "", "Barn", "", "", "", ""],
        ["5", "Mia", "Hansen", "09.10.2018", "", "J", "", ""]
        + ["", "", "", "Ola Hansen", "ola.hansen@example.no", "", "Barn", "", "", "", ""],
    ]
    (folder / "members.csv").write_text(member_csv(rows), encoding="utf-8")
    before = Person.objects.count()
    _out, report = run_import(folder, "klubb-a", tmp_path, "report")
    assert [r["outcome"] for r in report] == ["new"] * 5
    people = [person_by_public_id(r["person_id"]) for r in report]
    kari, ola, per, lise, mia = people
    assert list(ola.guardians.all()) == [kari] and list(per.guardians.all()) == [kari]
    (hansen,) = lise.guardians.all()
    assert list(mia.guardians.all()) == [hansen]
    assert (hansen.first_name, hansen.last_name, hansen.email) == (
        "Ola",
        "Hansen",
        "ola.hansen@example.no",
    )
    assert Person.objects.count() == before + 6
    run_import(folder, "klubb-a", tmp_path, "again")
    assert Person.objects.count() == before + 6
    assert Person.guardians.through.objects.filter(from_person__in=people).count() == 4


def test_an_updated_extract_changes_what_changed(clubs, tmp_path):
    """R-MIG-5: an updated extract for the same club changes the e-mail, category,
    payment method and next billing date that changed, adds the new member, and
    duplicates nobody."""
    folder = tmp_path / "extract"
    folder.mkdir()
    kari = ["1", "Kari", "Nordmann", "01.02.1980", "", "K", "kari@example.no", "91234567"]
    kari += ["Storgata 1", "0150", "Oslo", "", "", "", "Ordinær", "Turn", "Faktura"]
    kari += ["01.01.2027", "01.08.2020"]
    ola = ["2", "Ola", "Hansen", "03.04.1985", "", "M", "ola@example.no"] + [""] * 12
    (folder / "members.csv").write_text(member_csv([kari, ola]), encoding="utf-8")
    _out, first = run_import(folder, "klubb-a", tmp_path, "first")
    assert [r["outcome"] for r in first] == ["new", "new"]

    kari_new = list(kari)
    kari_new[6], kari_new[14], kari_new[16], kari_new[17] = (
        "kari.ny@example.no",
        "Støttemedlem",
        "AvtaleGiro",
        "01.03.2027",
    )
    per = ["3", "Per", "Berg", "05.06.2010", "", "G"] + [""] * 13
    (folder / "members.csv").write_text(member_csv([kari_new, ola, per]), encoding="utf-8")
    persons = Person.objects.count()
    _out, second = run_import(folder, "klubb-a", tmp_path, "second")
    assert [r["outcome"] for r in second] == ["matched", "matched", "new"]
    assert [r["person_id"] for r in second[:2]] == [r["person_id"] for r in first]
    assert Person.objects.count() == persons + 1
    with scopes_disabled():
        m = Membership.objects.select_related("person", "category").get(
            club=clubs.a, person__public_id=first[0]["person_id"]
        )
        assert m.person.email == "kari.ny@example.no"
        assert m.category.name == "Støttemedlem"
        assert m.payment_method == "avtalegiro"
        assert m.next_billing_date == date(2027, 3, 1)
        assert Membership.objects.filter(club=clubs.a).count() == 3


def test_a_matched_person_gets_what_the_registry_lacks_and_keeps_another_clubs_data(
    clubs, tmp_path
):
    """R-MIG-5: a person registered by club B and matched by club A's extract gets the
    e-mail and national id the registry lacked; club B's mobile and address stay. Club
    B's own updated extract then changes its mobile; the national id stays."""
    born = date(1980, 2, 1)
    nid = national_id(born)
    folder = tmp_path / "b"
    folder.mkdir()
    row_b = ["1", "Kari", "Nordmann", "01.02.1980", "", "K", "", "91234567", "Bgata 1"]
    row_b += ["5003", "Bergen"] + [""] * 8
    (folder / "members.csv").write_text(member_csv([row_b]), encoding="utf-8")
    _out, first = run_import(folder, "klubb-b", tmp_path, "b1")
    assert [r["outcome"] for r in first] == ["new"]

    folder_a = tmp_path / "a"
    folder_a.mkdir()
    row_a = ["7", "Kari", "Nordmann", "01.02.1980", nid, "K", "kari@example.no", "92345678"]
    row_a += ["Agata 2", "0150", "Oslo"] + [""] * 8
    (folder_a / "members.csv").write_text(member_csv([row_a]), encoding="utf-8")
    _out, second = run_import(folder_a, "klubb-a", tmp_path, "a1")
    assert [(r["outcome"], r["person_id"]) for r in second] == [("matched", first[0]["person_id"])]
    person = Person.objects.get(public_id=first[0]["person_id"])
    assert (person.email, str(person.mobile.as_e164), person.address_line, person.city) == (
        "kari@example.no",
        "+4791234567",
        "Bgata 1",
        "Bergen",
    )
    assert person.national_id == nid
    assert person.national_id_hash == identity.national_id_hash(nid)
    assert person.history.filter(history_type="~", history_change_reason="import").exists()

    row_b[7] = "93456789"
    (folder / "members.csv").write_text(member_csv([row_b]), encoding="utf-8")
    run_import(folder, "klubb-b", tmp_path, "b2")
    person.refresh_from_db()
    assert str(person.mobile.as_e164) == "+4793456789"
    assert (person.email, person.national_id, person.address_line) == (
        "kari@example.no",
        nid,
        "Bgata 1",
    )
