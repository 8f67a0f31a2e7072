"""Import batches as a club admin meets them: review, rollback, crashes, data quality."""

import gc
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from members import services as member_services
from members.models import Membership, Person
from migration import services
from migration.models import ImportBatch, ImportRow
from migration.pipeline import importer as importer_module
from migration.pipeline.chunks import RowWork
from migration.quality import data_quality
from migration.tasks import run_import

pytestmark = pytest.mark.django_db
SAMPLES = Path("/work/shared/data/sample")
if not SAMPLES.exists():  # CI lays shared/ beside the checkout
    SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "data" / "sample"


def sources(name: str) -> list[tuple[str, bytes]]:
    folder = SAMPLES / name
    return [(f, (folder / f).read_bytes()) for f in ("members.csv", "groups.csv", "waitlist.csv")]


@pytest.fixture
def club(db):
    return member_services.create_club("import-test", "Import Test IL")


@pytest.fixture
def imported(club):
    """club-a's extract, then club-b's: club-b leaves rows for review."""
    with scope(club=club):
        first, _rows = services.import_now(club, sources("club-a"))
        second, _rows = services.import_now(club, sources("club-b"))
    return first, second


def counts():
    with scopes_disabled():
        return Person.objects.count(), Membership.objects.count(), ImportRow.objects.count()


def test_review_link_makes_the_membership_and_is_done_once(club, imported):
    _first, second = imported
    with scope(club=club):
        row = second.rows.filter(outcome="review", sheet="members").first()
        resolved = services.resolve_review(row, user=None, person_id=row.candidates[0])
        assert resolved.outcome == "matched" and resolved.person_id == row.candidates[0]
        assert Membership.objects.filter(club=club, person_id=row.candidates[0]).exists()
        with pytest.raises(services.ReviewError):
            services.resolve_review(row, user=None, person_id=row.candidates[0])


def test_review_create_new_makes_a_pending_member(club, imported):
    _first, second = imported
    with scope(club=club):
        row = second.rows.filter(outcome="review", sheet="members").last()
        before = Person.objects.count()
        resolved = services.resolve_review(row, user=None)
        assert Person.objects.count() == before + 1
        assert resolved.outcome == "new"
        membership = Membership.objects.get(club=club, person_id=resolved.person_id)
        assert membership.status == "pending"


def test_review_refuses_a_person_who_is_not_a_candidate(club, imported):
    _first, second = imported
    with scope(club=club):
        row = second.rows.filter(outcome="review", sheet="members").first()
        stranger = Person.objects.exclude(pk__in=row.candidates).first()
        with pytest.raises(services.ReviewError):
            services.resolve_review(row, user=None, person_id=stranger.pk)


def test_rollback_removes_what_the_batch_created_and_keeps_the_audit(club, imported):
    first, second = imported
    with scope(club=club):
        assert services.rollback_blockers(first)  # a later import exists
        services.rollback_batch(second, user=None)
        second.refresh_from_db()
        assert second.status == "rolled_back"
        assert second.rows.count() == 200 + 7 + 40  # rows stay for the audit
        # The second import updated memberships of the first: those have moved on.
        assert services.rollback_blockers(first)


def test_rollback_of_a_single_import_leaves_nothing(club):
    before = counts()
    with scope(club=club):
        batch, _rows = services.import_now(club, sources("club-a"))
        services.rollback_batch(batch, user=None)
    persons, memberships, _rows = counts()
    assert (persons, memberships) == before[:2]


def test_rollback_is_refused_once_a_membership_moved_on(club, imported):
    _first, second = imported
    with scope(club=club):
        created = [
            pk
            for ids in second.created.filter(kind="membership").values_list("ids", flat=True)
            for pk in ids
        ]
        membership = Membership.objects.filter(pk__in=created, status="pending").first()
        member_services.change_status(membership, "active")
        reasons = services.rollback_blockers(second)
        assert any("changed" in r or "endret" in r for r in reasons)
        with pytest.raises(services.MigrationError):
            services.rollback_batch(second, user=None)


def test_a_crash_half_way_writes_nothing_and_a_retry_imports_everything(club, monkeypatch):
    monkeypatch.setattr(importer_module, "CHUNK", 50)
    original = importer_module.Importer.write_chunk
    calls = {"n": 0}

    def crash_on_third(self, chunk):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker killed")
        return original(self, chunk)

    monkeypatch.setattr(importer_module.Importer, "write_chunk", crash_on_third)
    with scope(club=club):
        batch = services.create_batch(club, sources("club-a"))
    before = counts()
    with pytest.raises(RuntimeError):
        run_import(batch.pk)
    batch.refresh_from_db()
    assert (
        batch.status == "failed"
        and "internal error" in batch.error.lower()
        or "intern" in batch.error
    )
    assert counts()[:2] == before[:2]
    monkeypatch.setattr(importer_module.Importer, "write_chunk", original)
    with scope(club=club):
        assert services.retry_batch(batch)
    run_import(batch.pk)
    run_import(batch.pk)  # a redelivered task does nothing more
    batch.refresh_from_db()
    assert batch.status == "done" and batch.totals["members"]["new"] == 300
    with scopes_disabled():
        assert Membership.objects.filter(club=club).count() == 300


def test_unreadable_upload_is_refused_with_the_reason_and_nothing_kept(club):
    with scope(club=club), pytest.raises(services.MigrationError, match="Fornavn|first"):
        services.create_batch(club, [("members.csv", b"Medlemsnr;Etternavn\n1;X\n")])
    with scopes_disabled():
        assert not ImportBatch.objects.filter(club=club).exists()


def test_data_quality_lists_what_to_fix(club, imported):
    with scope(club=club):
        sections = {s.key: s for s in data_quality(club)}
    assert sections["rejected"].count == 10
    assert sections["review"].count == 12 + 1
    assert sections["rejected"].items[0].url.startswith(f"/club/{club.slug}/import/")
    assert all(s.count == 0 or s.items for s in sections.values())


def test_data_quality_finds_children_without_guardian_and_missing_category(club):
    from datetime import date

    child = member_services.create_person(
        first_name="Ola", last_name="Alene", birth_date=date(2015, 1, 1)
    )
    with scope(club=club):
        m = member_services.add_membership(club, child, source="admin")
        sections = {s.key: s for s in data_quality(club)}
    assert [i.label for i in sections["children_without_guardian"].items] == ["Ola Alene"]
    assert sections["without_category"].items[0].url == reverse(
        "members:edit", args=[club.slug, m.pk]
    )
    assert sections["missing_email"].count == 1


def test_pages_for_the_admin(client, club, imported):
    user = member_services.get_or_create_user("admin@import-test.no", "x")
    member_services.grant_club_admin(club, user)
    client.force_login(user)
    _first, second = imported
    for name, args in [
        ("migration:imports", []),
        ("migration:batch", [second.pk]),
        ("migration:review", []),
        ("migration:quality", []),
    ]:
        assert client.get(reverse(name, args=[club.slug, *args])).status_code == 200
    review = client.get(reverse("migration:review", args=[club.slug]))
    row, candidates = review.context["items"][0]
    client.post(
        reverse("migration:resolve", args=[club.slug, row.pk]), {"person": candidates[0][0].pk}
    )
    with scopes_disabled():
        row.refresh_from_db()
    assert row.resolved_at is not None


def members_csv(*lines: str) -> list[tuple[str, bytes]]:
    header = "Medlemsnr;Fornavn;Etternavn;Fødselsdato;Mobil;Foresatt navn;Foresatt mobil"
    return [("members.csv", "\n".join([header, *lines]).encode())]


def test_a_guardian_known_only_by_mobile_is_found_again(club):
    """R-MIG-7: guardians are never duplicated, also when only a mobile number ties them."""
    with scope(club=club):
        services.import_now(club, members_csv("1;Lise;Berg;01.02.2015;;Ola Berg;912 34 567"))
        services.import_now(club, members_csv("2;Per;Berg;03.04.2017;;Ola Berg;+47 91234567"))
    with scopes_disabled():
        guardians = Person.objects.filter(first_name="Ola", last_name="Berg")
        assert guardians.count() == 1
        assert guardians.get().children.count() == 2


def test_reimport_writes_no_change_where_nothing_changed(club):
    """R-MIG-5: the same extract again leaves the members' history as it was."""
    lines = members_csv("1;Kari;Lund;05.06.1980;98765432;;")
    with scope(club=club):
        services.import_now(club, lines)
        person = Person.objects.get(first_name="Kari", last_name="Lund")
        before = person.history.count()
        services.import_now(club, lines)
    assert person.history.count() == before


def test_a_run_leaves_no_row_behind_for_the_cyclic_collector(club):
    """R-MIG-10 (peak memory): the run keeps the cyclic collector off, so a chunk's rows
    must be freed by their reference counts. A bad e-mail or national id makes Django's
    ValidationError, which refers to itself and, through its traceback, to every frame
    up the stack (the chunk being read among their locals): nothing of it may stay."""
    header = "Medlemsnr;Fornavn;Etternavn;Fødselsdato;Mobil;E-post;Personnummer"
    data = "\n".join(
        [
            header,
            "1;Kari;Lund;05.06.1980;98765432;ikke-en-adresse;12345678901",
            "2;Per;Holm;07.08.1981;12345;per@example.no;",
            "3;Åse;Berg;09.10.1982;;kari@;",
            "4;Ola;Dahl;11.12.1983;;;11111111111",
        ]
    ).encode()
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        with scope(club=club):
            batch, _lines = services.import_now(club, [("members.csv", data)])
        left = [o for o in gc.get_objects() if type(o) is RowWork]  # noqa: E721 (no lazy objects woken)
    finally:
        if was_enabled:
            gc.enable()
    assert batch.totals["members"] == {"new": 4}
    with scopes_disabled():
        problems = list(ImportRow.objects.filter(batch=batch).values_list("codes", flat=True))
    assert {"invalid_email", "invalid_national_id"} <= set(",".join(problems).split(","))
    assert left == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SET CONSTRAINTS: PostgreSQL")
def test_foreign_keys_are_deferred_again_after_a_run(club):
    """The run checks foreign keys as it writes (``constraints_checked_as_written``);
    afterwards the transaction's constraints are deferred again, as Django declares
    them: a caller's row may name a person written later in the same transaction."""
    with scope(club=club):
        services.import_now(club, members_csv("1;Kari;Lund;05.06.1980;98765432;;"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('members_person', 'id'))")
        later_id = cursor.fetchone()[0]
    with transaction.atomic():
        Membership.objects.create(club=club, person_id=later_id)  # the person comes next
        Person.objects.create(id=later_id, first_name="Åse", last_name="Berg")
    with scopes_disabled():
        assert Membership.objects.filter(person_id=later_id).exists()
