"""The import's set-based writer (migration.pipeline.tables): rows made ready as COPY
text in one thread and sent by another must be stored exactly as the ORM stores them
(R-MIG-2: every row's values as read), and so must their history rows."""

import threading
from datetime import date

import pytest
from django.db import connection
from django_scopes import scopes_disabled

from members import services as member_services
from members.models import Membership, Person
from migration.models import ImportBatch, ImportRow
from migration.pipeline import tables

pytestmark = pytest.mark.django_db

AWKWARD = [
    "tab\there",
    "line\nbreak and\r\ncarriage",
    "back\\slash \\N \\t",
    "Ærlig Øystein Åsmund – “quoted” 🙂",
    "",
    "x" * 10_000,
]


def import_rows(batch: ImportBatch, start: int) -> list[dict]:
    return [
        {
            "club_id": batch.club_id,
            "batch_id": batch.pk,
            "sheet": "members",
            "row_number": start + i,
            "member_no": text[:40],
            "outcome": "rejected",
            "reason": text,
            "raw": {"first_name": text, "none": None, "n": 1},
            "values": {"first_name": text, "groups": [text, "b"]},
            "problems": [{"field": "x", "message": text}],
            "candidates": [1, 2],
        }
        for i, text in enumerate(AWKWARD)
    ]


def stored(batch: ImportBatch, numbers: range) -> list[tuple]:
    fields = ("member_no", "reason", "raw", "values", "problems", "candidates")
    with scopes_disabled():
        rows = ImportRow.objects.filter(batch=batch, row_number__in=list(numbers))
        return list(rows.order_by("row_number").values_list(*fields))


def test_prepared_copy_text_stores_what_a_direct_insert_stores():
    club = member_services.create_club("tables-test", "Tables IL")
    with scopes_disabled():
        batch = ImportBatch.objects.create(club=club)
    writer = tables.TableWriter(ImportRow)
    n = len(AWKWARD)
    with scopes_disabled():  # the reference: the same rows saved by the ORM
        ImportRow.objects.bulk_create(ImportRow(**row) for row in import_rows(batch, 1))
    prepared = writer.prepare(import_rows(batch, 1 + n), tables.reserve_ids(ImportRow, n))
    assert isinstance(prepared.rows, bytes) == (connection.vendor == "postgresql")
    prepared.write()
    direct, via_text = stored(batch, range(1, 1 + n)), stored(batch, range(1 + n, 1 + 2 * n))
    assert len(direct) == n
    assert via_text == direct
    assert direct[1][1] == AWKWARD[1] and direct[2][2]["first_name"] == AWKWARD[2]


def test_values_fixed_for_every_row_and_columns_a_row_leaves_out_are_stored():
    """``fixed`` values are given once for all rows, and a row that leaves a column out
    gets the field's default (on PostgreSQL both are put at the end of each line of COPY
    text): stored as the ORM stores the same rows."""
    club = member_services.create_club("tables-fixed", "Faste IL")
    with scopes_disabled():
        batch = ImportBatch.objects.create(club=club)
    fixed = {"club_id": club.pk, "batch_id": batch.pk, "sheet": "members"}

    def rows(start: int) -> list[dict]:
        made = []
        for row in import_rows(batch, start):
            for name in fixed:
                del row[name]
            made.append(row)
        del made[1]["reason"], made[2]["candidates"], made[3]["member_no"]
        made[4]["rule"] = "national_id"
        return made

    n = len(AWKWARD)
    with scopes_disabled():
        ImportRow.objects.bulk_create(ImportRow(**row, **fixed) for row in rows(1))
    ids = tables.TableWriter(ImportRow).insert(rows(1 + n), fixed=fixed)
    assert len(ids) == n
    direct, via_text = stored(batch, range(1, 1 + n)), stored(batch, range(1 + n, 1 + 2 * n))
    assert via_text == direct
    assert direct[1][1] == "" and direct[2][5] == [] and direct[3][0] == ""
    with scopes_disabled():
        made = ImportRow.objects.filter(pk__in=ids).order_by("row_number")
        assert {(r.club_id, r.batch_id, r.sheet) for r in made} == {(club.pk, batch.pk, "members")}
        assert [r.rule for r in made] == ["", "", "", "", "national_id", ""]
        assert all(r.resolved_at is None and r.resolved_by_id is None for r in made)


def test_a_field_the_model_does_not_have_is_refused_before_anything_is_written():
    with pytest.raises(TypeError, match="no field shoe_size"):
        tables.TableWriter(ImportRow).prepare([{"row_number": 1, "shoe_size": 43}], [1])


def test_history_rows_made_from_the_copy_text_hold_what_write_history_stores():
    """New persons' and memberships' history rows go with them (``History``): on
    PostgreSQL made from the rows' own COPY text — the tracked columns (a person's
    encrypted national id and ``updated_at`` are not), then when, why, which change and
    who. They must hold what ``write_history`` copies from the stored rows."""
    club = member_services.create_club("history-test", "Historie IL")
    user = member_services.get_or_create_user("admin@example.no")
    persons, memberships = tables.TableWriter(Person), tables.TableWriter(Membership)

    def people(start: int) -> list[dict]:
        return [
            {
                "first_name": text[:100],
                "last_name": f"Lund {start + i}",
                "first_name_key": text[:100].casefold(),
                "last_name_key": f"lund {start + i}",
                "birth_date": date(1980, 1, 1 + i),
                "email": f"p{start + i}@example.no",
                "national_id_encrypted": "secret",
            }
            for i, text in enumerate(AWKWARD)
        ]

    def members(person_ids: list[int]) -> list[dict]:
        return [
            {"club_id": club.pk, "person_id": pk, "status": "active", "member_number": str(pk)}
            for pk in person_ids
        ]

    made = persons.insert(people(0), history=tables.History("+", user, "import"))
    copied = persons.insert(people(100))
    tables.write_history(Person, copied, "+", user=user, reason="import")
    made_m = memberships.insert(members(made), history=tables.History("+", user, "import"))
    copied_m = memberships.insert(members(copied))
    tables.write_history(Membership, copied_m, "+", user=user, reason="import")

    def history(model, ids: list[int], differ: set[str]) -> list[dict]:
        rows = model.history.model.objects.filter(id__in=ids).order_by("id").values()
        leave = {"id", "history_id", "history_date", *differ}
        return [{k: v for k, v in row.items() if k not in leave} for row in rows]

    with scopes_disabled():
        made_rows = history(Person, made, {"public_id", "last_name", "last_name_key", "email"})
        assert made_rows == history(
            Person, copied, {"public_id", "last_name", "last_name_key", "email"}
        )
        assert len(made_rows) == len(AWKWARD)
        assert made_rows[1]["first_name"] == AWKWARD[1][:100]
        assert made_rows[0]["history_user_id"] == user.pk
        assert (made_rows[0]["history_type"], made_rows[0]["history_change_reason"]) == (
            "+",
            "import",
        )
        stored = Person.history.model.objects.filter(id__in=made).values_list("last_name", "email")
        assert sorted(stored) == sorted(
            Person.objects.filter(pk__in=made).values_list("last_name", "email")
        )
        assert history(Membership, made_m, {"person_id", "member_number"}) == history(
            Membership, copied_m, {"person_id", "member_number"}
        )
        assert Membership.history.model.objects.filter(id__in=made_m).count() == len(made)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ids from a sequence")
def test_ids_reserved_in_blocks_are_new_ascending_and_never_handed_out_twice(monkeypatch):
    """``ids_in_blocks``: the run's thread takes ids from the sequence a block at a time
    (fewer statements on the run's connection); every id is handed out once, in
    ascending order, and a person saved meanwhile (or another thread) gets its own."""
    asked = []
    original = tables._reserve_ids

    def counted(model, count):
        asked.append(count)
        return original(model, count)

    monkeypatch.setattr(tables, "_reserve_ids", counted)
    with tables.ids_in_blocks(50):
        handed = [tables.reserve_ids(Person, 15) for _ in range(7)]
        with scopes_disabled():
            other = Person.objects.create(first_name="Ny", last_name="Person").pk
        elsewhere = []
        thread = threading.Thread(target=lambda: elsewhere.extend(tables.reserve_ids(Person, 3)))
        thread.start()
        thread.join()
        handed.append(tables.reserve_ids(Person, 60))
    flat = [i for ids in handed for i in ids]
    assert [len(ids) for ids in handed] == [15] * 7 + [60]
    assert flat == sorted(flat) and len(set(flat)) == len(flat)
    assert other not in flat and not set(elsewhere) & set(flat)
    assert asked == [50, 50, 50, 3, 50]  # three blocks, the other thread's own, one more
