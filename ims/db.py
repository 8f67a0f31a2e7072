"""Database helpers for the bulk paths (the import, the billing steps it triggers).

Django's psycopg cursors bind parameters on the client: every value is written into the
query text, and an array of 50,000 ids becomes 50,000 quoted literals built in Python
for the server to parse again. ``bulk_cursor()`` gives a cursor on the same connection,
in the same transaction, that sends parameters apart from the query (server-side
binding), so an array goes as one value — in binary with ``%b``.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.db.models import Field, ForeignObject, Lookup


def psycopg3() -> bool:
    """PostgreSQL through psycopg 3 (its server-binding cursors and COPY API)."""
    return connection.vendor == "postgresql" and connection.Database.__name__ == "psycopg"


@contextmanager
def bulk_cursor() -> Iterator:
    """A server-side binding cursor on PostgreSQL (psycopg 3), Django's cursor elsewhere.
    Errors are Django's database errors either way. Its statements are not in
    ``connection.queries``."""
    if not psycopg3():
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors, connection.Database.Cursor(connection.connection) as cur:
        yield cur


class InArray(Lookup):
    """``field__in_array=values``: ``field IN values`` with the values as one parameter
    however many there are — ``= ANY(array)`` on PostgreSQL, a JSON array on SQLite.
    ``__in`` writes one placeholder per value, which Django and psycopg then handle one
    by one: slow for the tens of thousands of ids of an import. Registered on every
    field when the members app is ready."""

    lookup_name = "in_array"

    def get_prep_lookup(self):
        field = self.lhs.output_field
        return [field.get_prep_value(v) for v in self.rhs]

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = [field.get_db_prep_value(v, connection, prepared=True) for v in self.rhs]
        if connection.vendor == "postgresql":
            # typed as the column: an int4[] against a bigint column is compared
            # element by element for every row, not looked up in a hash
            cast = f"{field.cast_db_type(connection)}[]"
            if all(v.__class__ is int for v in values):
                # ids (most uses: tens of thousands in an import) as one array literal
                # made by str.join: Django's cursor writes parameters into the query,
                # and psycopg would quote a list in Python, element by element
                return f"{lhs} = ANY(%s::{cast})", [*params, "{" + ",".join(map(str, values)) + "}"]
            return f"{lhs} = ANY(%s::{cast})", [*params, values]
        sql = f"{lhs} IN (SELECT value FROM json_each(%s))"  # noqa: S608 - lhs is a column
        return sql, [*params, json.dumps(values)]


Field.register_lookup(InArray)
ForeignObject.register_lookup(InArray)  # related fields keep lookups of their own
