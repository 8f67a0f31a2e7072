"""The import's set-based writer (migration.pipeline.tables): rows made ready as COPY
text in one thread and sent by another must be stored exactly as the rows written
directly (R-MIG-2: every row's values as read)."""

import pytest
from django.db import connection
from django_scopes import scopes_disabled

from members import services as member_services
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
    writer.insert(import_rows(batch, 1))
    prepared = writer.prepare(import_rows(batch, 1 + n), tables.reserve_ids(ImportRow, n))
    assert isinstance(prepared.rows, bytes) == (connection.vendor == "postgresql")
    prepared.write()
    direct, via_text = stored(batch, range(1, 1 + n)), stored(batch, range(1 + n, 1 + 2 * n))
    assert len(direct) == n
    assert via_text == direct
    assert direct[1][1] == AWKWARD[1] and direct[2][2]["first_name"] == AWKWARD[2]
