"""``ims.db``: the ``in_array`` lookup (one parameter for many values) and the bulk
cursor give the same answers as ``__in`` and Django's cursor, on PostgreSQL and SQLite."""

from datetime import date

import pytest
from django.db import DatabaseError
from django_scopes import scopes_disabled

from ims.db import bulk_cursor
from members.models import Membership, Person


@pytest.fixture
def data(demo):
    with scopes_disabled():
        memberships = list(Membership.objects.filter(club=demo["a"]).order_by("pk")[:12])
    return demo, memberships


@pytest.mark.parametrize("size", [0, 1, 7, 5000])
def test_in_array_finds_what_in_finds(data, size):
    demo, memberships = data
    ids = [m.person_id for m in memberships][:size] + list(range(10**9, 10**9 + size))
    with scopes_disabled():
        by_in = set(Person.objects.filter(pk__in=ids).values_list("pk", flat=True))
        by_array = set(Person.objects.filter(pk__in_array=ids).values_list("pk", flat=True))
        through_fk = set(
            Membership.objects.filter(club=demo["a"], person_id__in_array=ids).values_list(
                "person_id", flat=True
            )
        )
        related = set(
            Membership.objects.filter(club=demo["a"], person__in_array=ids).values_list(
                "person_id", flat=True
            )
        )
    assert by_array == by_in == through_fk == related
    assert len(by_in) == min(size, len(memberships))


def test_in_array_on_text_and_dates(data):
    _demo, memberships = data
    with scopes_disabled():
        people = list(Person.objects.filter(pk__in=[m.person_id for m in memberships]))
        names = [p.last_name for p in people] + ["Ingen-slik-person", 'O\'Brien "x" {,}']
        births = [p.birth_date for p in people if p.birth_date] + [date(1900, 1, 1)]
        assert set(Person.objects.filter(last_name__in_array=names)) == set(
            Person.objects.filter(last_name__in=names)
        )
        assert set(Person.objects.filter(birth_date__in_array=births)) == set(
            Person.objects.filter(birth_date__in=births)
        )


def test_bulk_cursor_is_in_the_same_transaction_and_raises_django_errors(data):
    _demo, memberships = data
    person_id = memberships[0].person_id
    with scopes_disabled():
        Person.objects.filter(pk=person_id).update(city="Nyby")  # not committed (the test's)
    with bulk_cursor() as cursor:
        cursor.execute(f"SELECT city FROM {Person._meta.db_table} WHERE id = %s", [person_id])  # noqa: S608
        assert cursor.fetchone() == ("Nyby",)
    with pytest.raises(DatabaseError), bulk_cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM members_person")
