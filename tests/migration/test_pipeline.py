"""The pipelined run (R-MIG-2..7): on PostgreSQL, with the run's transaction the
outermost one, each chunk is read and decided in a thread on a connection of its own
while the chunk before it is written. It must end exactly as the run that does one
thing after the other: the same outcomes, the same persons, memberships, groups and
guardians. These tests commit (transactional database), as production does; the other
import tests run inside a test's transaction, where the run is not pipelined."""

import threading
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.test import override_settings
from django_scopes import scopes_disabled

from members.models import GroupMember, Membership, Person
from migration import services
from migration.models import ImportBatch, ImportRow
from migration.pipeline import importer, tables
from migration.tasks import run_import

from .helpers import run_import as run_command
from .test_batches import sources
from .test_samples import CLUB_A, CLUB_B, differences_from_truth, make_clubs

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pipelined on PostgreSQL only"),
]


@pytest.fixture
def deciding_threads(monkeypatch):
    """The names of the threads that decided chunks."""
    names = set()
    original = importer.Importer.decide_chunk

    def decide_chunk(self, works):
        names.add(threading.current_thread().name)
        return original(self, works)

    monkeypatch.setattr(importer.Importer, "decide_chunk", decide_chunk)
    return names


def who(person_ids: dict, public_id: str) -> str:
    return person_ids.get(public_id, "")


def outcome_of_both_samples(tmp_path) -> dict:
    """Club A then club B imported; what was written, without ids (they differ from one
    run to the next): the reports with each person named, and every club's memberships
    with their groups and the persons' guardians."""
    tmp_path.mkdir()
    make_clubs()
    _out, report_a = run_command(CLUB_A, "klubb-a", tmp_path, "report-a")
    _out, report_b = run_command(CLUB_B, "klubb-b", tmp_path, "report-b")
    assert differences_from_truth(report_a, report_b) == []
    with scopes_disabled():
        named = {
            str(p.public_id): f"{p.first_name} {p.last_name} {p.birth_date}"
            for p in Person.objects.all()
        }
        reports = [
            [{**r, "person_id": who(named, r["person_id"])} for r in report]
            for report in (report_a, report_b)
        ]
        groups = defaultdict(list)
        for m, g in GroupMember.objects.values_list("membership_id", "group__name"):
            groups[m].append(g)
        memberships = sorted(
            (
                m.club.slug,
                named[str(m.person.public_id)],
                m.status,
                m.category.name if m.category else "",
                m.payment_method,
                str(m.next_billing_date),
                sorted(groups[m.pk]),
                sorted(named[str(g.public_id)] for g in m.person.guardians.all()),
            )
            for m in Membership.objects.select_related("club", "person", "category")
        )
        persons = sorted(named.values())
    return {"reports": reports, "memberships": memberships, "persons": persons}


@pytest.mark.parametrize("chunk", [1, 7, 2000])
def test_the_pipelined_run_ends_as_the_plain_one(tmp_path, monkeypatch, deciding_threads, chunk):
    monkeypatch.setattr(importer, "CHUNK", chunk)
    call_command("flush", interactive=False)  # both runs start from an empty database
    pipelined = outcome_of_both_samples(tmp_path / "pipelined")
    assert deciding_threads == {"import-ahead_0"}  # decided off the run's thread

    call_command("flush", interactive=False)
    deciding_threads.clear()
    with override_settings(MIGRATION_PIPELINE=False):
        plain = outcome_of_both_samples(tmp_path / "plain")
    assert deciding_threads == {threading.current_thread().name}

    assert pipelined == plain


@pytest.mark.parametrize(
    "owner, where",
    [
        (importer.Importer, "write_chunk"),
        (tables.Prepared, "write"),
        (tables.TableWriter, "prepare"),
    ],
    ids=["run's thread", "writing thread", "rows made ready after the release"],
)
def test_a_crash_while_the_next_chunk_is_decided_writes_nothing(monkeypatch, owner, where):
    """The second chunk fails, while the third is being decided — in the run's thread
    (``write_chunk``), in the writing thread (``Prepared.write``, a database error), or
    while the run's thread makes rows ready that the writing thread waits for
    (``TableWriter.prepare``): nothing is written, the batch says why, the other
    threads' connections are given back, and the batch runs again to the end."""
    monkeypatch.setattr(importer, "CHUNK", 40)
    original = getattr(owner, where)
    calls = {"n": 0}

    def crash_on_second(self, *args):
        calls["n"] += 1
        if calls["n"] == 2:
            raise IntegrityError("worker killed")
        return original(self, *args)

    clubs = make_clubs()
    with scopes_disabled():
        batch = services.create_batch(clubs.a, sources("club-a"))
        before = Person.objects.count()
    backends = connected_backends()
    monkeypatch.setattr(owner, where, crash_on_second)
    with pytest.raises(IntegrityError):
        run_import(batch.pk)  # the worker's task
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED and batch.error
    with scopes_disabled():
        assert Person.objects.count() == before
        assert not ImportRow.objects.filter(batch=batch).exists()
    assert connected_backends() == backends  # the deciding thread's connection is gone

    monkeypatch.setattr(owner, where, original)
    with scopes_disabled():
        assert services.retry_batch(batch)
    run_import(batch.pk)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE
    assert sum(batch.totals["members"].values()) == 300


def connected_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend'"
        )
        return cursor.fetchone()[0]


HEADER = (
    "Medlemsnr;Fornavn;Etternavn;Fødselsdato;Personnummer;E-post;Mobil;Medlemskategori;Parti;"
    "Foresatt navn;Foresatt mobil"
)
FIRST = [
    "1;Kari;Lund;05.06.1980;;kari@example.no;;Ordinær;Turn;;",
    "2;Lise;Berg;01.02.2015;01021551283;;;Barn;Turn;Ola Berg;91234567",
    "3;Per;Holm;07.08.1981;07088112347;;41234567;;;;",
]
# The same club again, its rows spread over chunks: Kari twice (a new group and
# category in her second row), Lise with her guardian known, a new group and a new
# guardian, Per with an e-mail now, a new member who repeats in a later chunk, two new
# children of the new guardian, and Lise and Per once more under other names (the same
# national id: matched again, not merged), with what their first rows brought.
SECOND = [
    "1;Kari;Lund;05.06.1980;;kari@example.no;;Ordinær;Turn;;",
    "4;Nils;Dahl;11.12.1983;;;;;Fotball;;",
    "2;Lise;Berg;01.02.2015;;;;Barn;Turn,Fotball;Eva Berg;99887766",
    "5;Mia;Berg;03.04.2017;;;;Barn;;Eva Berg;99887766",
    "3;Per;Holm;07.08.1981;;per@example.no;41234567;;;;",
    "1;Kari;Lund;05.06.1980;;kari@example.no;;Senior;Turn,Fotball;;",
    "6;Tor;Berg;03.04.2019;;;;Barn;Turn;Eva Berg;99887766",
    "7;Anne;Strand;07.08.1981;07088112347;per@example.no;;;;;",
    "8;Vilde;Fjell;01.02.2015;01021551283;;;Barn;;Eva Berg;99887766",
    "4;Nils;Dahl;11.12.1983;;;;Ordinær;Fotball,Turn;;",
]


def club_state(slug: str) -> dict:
    """What a club's members look like: memberships with category, groups, guardians
    and contact details, and how much history each person and membership has."""
    with scopes_disabled():
        rows = []
        for m in Membership.objects.filter(club__slug=slug).select_related("person", "category"):
            p = m.person
            rows.append(
                (
                    f"{p.first_name} {p.last_name}",
                    p.email,
                    str(p.mobile or ""),
                    m.category.name if m.category else "",
                    sorted(
                        GroupMember.objects.filter(membership=m).values_list(
                            "group__name", flat=True
                        )
                    ),
                    sorted(f"{g.first_name} {g.last_name}" for g in p.guardians.all()),
                    p.history.count(),
                    m.history.count(),
                )
            )
        return {"members": sorted(rows), "persons": Person.objects.count()}


@pytest.mark.parametrize("chunk", [1, 2])
def test_a_reimport_spread_over_chunks_ends_as_the_plain_one(monkeypatch, chunk):
    """R-MIG-5, R-MIG-7: while a chunk is planned the one before may still be being
    written (``migration.pipeline.stored``): a later chunk must still see the earlier
    chunks' memberships, group places, guardian links and contact changes, and what the
    club had before. Pipelined and plain runs of the same re-import end the same."""
    monkeypatch.setattr(importer, "CHUNK", chunk)
    ends = []
    for pipeline in (True, False):
        call_command("flush", interactive=False)
        clubs = make_clubs()
        with override_settings(MIGRATION_PIPELINE=pipeline):
            for lines in (FIRST, SECOND):
                data = "\n".join([HEADER, *lines]).encode()
                with scopes_disabled():
                    batch = services.create_batch(clubs.a, [("members.csv", data)])
                run_import(batch.pk)
        ends.append(club_state("klubb-a"))
    pipelined, plain = ends
    assert pipelined == plain
    kari = next(m for m in plain["members"] if m[0] == "Kari Lund")
    assert kari[3:5] == ("Senior", ["Fotball", "Turn"])
    members = {m[0]: m for m in plain["members"]}
    assert members["Lise Berg"][4:6] == (["Fotball", "Turn"], ["Eva Berg", "Ola Berg"])
    assert members["Mia Berg"][5] == members["Tor Berg"][5] == ["Eva Berg"]
    assert members["Nils Dahl"][3:5] == ("Ordinær", ["Fotball", "Turn"])
    assert members["Per Holm"][1] == "per@example.no"
    assert plain["persons"] == 8  # 6 members, Ola and Eva Berg
