"""Set-based writes of the import: rows as plain tuples, history written by the database.

An extract of 100,000 rows creates hundreds of thousands of rows (persons, memberships,
group and guardian links, each with its history). Model instances and
``bulk_create_with_history`` cost far more per row than the database does, so the
importer writes here:

* ``TableWriter(model).insert(rows)`` takes one dict per row (attnames; values as the
  database stores them, JSON as Python values), reserves the ids, and fills every other
  column with the field's default, computed once. PostgreSQL gets the rows through
  ``COPY``; other databases (SQLite for ``make run``) through ``executemany``;
* with ``history``, the new rows' simple-history rows go with them: on PostgreSQL made
  from the same COPY text (each line with the history's own columns added), elsewhere
  by ``write_history``;
* ``write_history(model, ids, …)`` writes the simple-history rows of those objects with
  one ``INSERT … SELECT`` from the table itself, so a history row holds exactly what was
  stored, and no Python runs per row;
* ``update_rows`` and ``select_in`` update and read many rows by id with one array
  parameter on PostgreSQL.
"""

import itertools
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from functools import partial
from typing import NamedTuple

import orjson
from django.conf import settings
from django.db import connection, models
from django.utils import timezone
from psycopg._copy_base import TextFormatter  # the formatter of copy.write_row
from psycopg.adapt import Transformer
from simple_history.utils import get_history_manager_for_model

from ims.db import bulk_cursor, psycopg3

fast = psycopg3  # PostgreSQL through psycopg 3: COPY and arrays as one parameter


def copy_text(rows: Iterable[Sequence]) -> bytes:
    """``rows`` (values prepared for the database) in COPY's text format, made by
    psycopg's own formatter — the one ``copy.write_row`` uses — in the calling thread, so
    that the thread that sends them (``copy_data``) has only to send."""
    formatter = TextFormatter(Transformer(connection.connection))
    out = bytearray()
    for row in rows:
        out += formatter.write_row(row)
    out += formatter.end()
    return bytes(out)


def copy_data(table: str, columns: Sequence[str], data: bytes) -> None:
    """COPY rows already in COPY's text format (``copy_text``) into ``table``."""
    with _copy_into(table, columns) as copy:
        copy.write(data)


@contextmanager
def _copy_into(table: str, columns: Sequence[str]) -> Iterator:
    """psycopg's ``Copy`` of ``COPY table (columns) FROM STDIN`` on the bulk cursor."""
    quote = connection.ops.quote_name
    statement = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    with bulk_cursor() as cursor, cursor.copy(statement) as copy:
        yield copy


class History(NamedTuple):
    """The simple-history rows that go with new rows: "+" (created), by whom, why."""

    type: str
    user: object = None
    reason: str = ""


class Prepared(NamedTuple):
    """Rows made ready for one table (``TableWriter.prepare``), written by ``write``."""

    table: str
    columns: list[str]
    rows: bytes | list  # COPY text on PostgreSQL; the rows' values elsewhere
    then: Callable[[], None] | None = None  # their history rows, written after them

    def write(self) -> None:
        if isinstance(self.rows, bytes):
            copy_data(self.table, self.columns, self.rows)
        else:
            insert_rows(self.table, self.columns, self.rows)
        if self.then is not None:
            self.then()


# SQLite takes at most 999 parameters in old versions; stay well below.
_IN_BATCH = 500


class TableWriter:
    """Inserts rows into one model's table without model instances."""

    def __init__(self, model):
        self.model = model
        meta = model._meta
        self.table = meta.db_table
        self.pk_column = meta.pk.column
        self.fields = [f for f in meta.concrete_fields if not f.primary_key]
        now = timezone.now()
        self.defaults = {}
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.defaults[f.attname] = now
            elif f.has_default() or f.null or f.empty_strings_allowed:
                # a callable default (a fresh uuid4) is computed per row in insert()
                self.defaults[f.attname] = (
                    None if f.has_default() and callable(f.default) else f.get_default()
                )
        self.per_row = {f.attname for f in self.fields if f.has_default() and callable(f.default)}

    def insert(
        self, rows: list[dict], ids: list[int] | None = None, history: History | None = None
    ) -> list[int]:
        """Insert ``rows`` (dicts by attname) with the ``ids`` reserved for them (reserved
        here when not given), and their ``history``; returns the ids, in order. JSON
        values go as their text (``to_json``). On PostgreSQL the other values go as they
        are (psycopg adapts text, numbers, dates, uuids); elsewhere each passes its
        field's ``get_db_prep_save``."""
        if not rows:
            return []
        if ids is None:
            ids = reserve_ids(self.model, len(rows))
        self.prepare(rows, ids, history).write()
        return ids

    def prepare(self, rows: list[dict], ids: list[int], history: History | None = None) -> Prepared:
        """``insert``'s rows made ready here (on PostgreSQL as COPY text, their history
        rows too), to be written by ``Prepared.write`` in another thread."""
        values, columns = self.values(rows, ids), self.columns()
        if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
            history = None
        if not fast():
            then = history and partial(
                write_history,
                self.model,
                ids,
                history.type,
                user=history.user,
                reason=history.reason,
            )
            return Prepared(self.table, columns, values, then)
        text = copy_text(values)
        then = history and partial(copy_data, *history_copy(self.model, columns, text, history))
        return Prepared(self.table, columns, text, then)

    def columns(self) -> list[str]:
        return [self.pk_column, *(f.column for f in self.fields)]

    def values(self, rows: list[dict], ids: list[int]) -> list[list]:
        """Each row's values in ``columns`` order, ready for the database."""
        attnames = [f.attname for f in self.fields]
        defaults = self.defaults
        per_row = [f for f in self.fields if f.attname in self.per_row]
        json_at = {
            i: f.encoder
            for i, f in enumerate(self.fields, start=1)
            if isinstance(f, models.JSONField)
        }
        if fast():  # values as they are, JSON as its text (the column parses it)
            # Dates and times as ISO 8601 text, made here once per value rather than for
            # every row by COPY's formatter (~1.5 µs a time stamp, ~0.5 µs a date).
            defaults = {k: _iso(v) for k, v in defaults.items()}
            dates_at = [
                i
                for i, f in enumerate(self.fields, start=1)
                if isinstance(f, models.DateField) and not isinstance(f, models.DateTimeField)
            ]
            day_text: dict[date, str] = {}

            def prep(line: list) -> list:
                for i, encoder in json_at.items():
                    if line[i] is not None:
                        line[i] = to_json(line[i], encoder)
                for i in dates_at:
                    if (day := line[i]) is not None and day.__class__ is date:
                        line[i] = day_text.get(day) or day_text.setdefault(day, day.isoformat())
                return line
        else:
            fields = [None, *self.fields]

            def value(i: int, f, v):
                if f is None:  # the reserved id
                    return v
                if i in json_at and v is not None:
                    return to_json(v, json_at[i])
                return f.get_db_prep_save(v, connection)

            def prep(line: list) -> list:
                return [value(i, f, v) for i, (f, v) in enumerate(zip(fields, line, strict=True))]

        out = []
        for pk, row in zip(ids, rows, strict=True):
            for f in per_row:  # a fresh value per row (uuid4)
                if f.attname not in row:
                    row[f.attname] = f.default()
            values = {**defaults, **row}  # one merge in C rather than a test per column
            out.append(prep([pk, *map(values.__getitem__, attnames)]))
        return out


def _iso(value):
    """A date or time as ISO 8601 text (which PostgreSQL reads whatever its DateStyle);
    any other value as it is."""
    return value.isoformat() if isinstance(value, date) else value


class JsonText(str):
    """A JSON field's value written as its text already (by ``to_json``, ahead of the
    insert): the writer takes it as it is."""


def to_json(value, encoder=None) -> str:
    """A JSON field's text. Without an encoder of its own, with orjson (several times
    faster than ``json`` on the import's rows); dates as ISO 8601 text and any other
    value that JSON has no type for (a Decimal, a phone number) as its ``str``."""
    if value.__class__ is JsonText:
        return value
    if encoder is not None:
        return json.dumps(value, cls=encoder)
    return orjson.dumps(value, default=str).decode()


class _IdBlocks(NamedTuple):
    thread: int
    size: int
    kept: dict[str, list[int]]


_id_blocks: ContextVar[_IdBlocks | None] = ContextVar("id_blocks", default=None)


@contextmanager
def ids_in_blocks(size: int) -> Iterator[None]:
    """While it lasts, ``reserve_ids`` in this thread takes PostgreSQL's ids ``size`` at a
    time and hands them out as asked: an import asks for ids several times a chunk, each
    a statement on the run's connection that waits behind the writing thread's. The ids
    left over at the end are never used (a sequence has gaps anyway: a rolled-back run
    leaves them too; ids are nobody's number)."""
    if connection.vendor != "postgresql":
        yield
        return
    token = _id_blocks.set(_IdBlocks(threading.get_ident(), size, {}))
    try:
        yield
    finally:
        _id_blocks.reset(token)


def reserve_ids(model, count: int) -> list[int]:
    """``count`` new ids for ``model``'s table, ascending. PostgreSQL takes them from the
    table's sequence (inside ``ids_in_blocks`` many at a time); elsewhere (SQLite, one
    writer at a time) they follow the highest id in the table (or the highest it ever
    had)."""
    blocks = _id_blocks.get()
    if blocks is None or blocks.thread != threading.get_ident():
        return _reserve_ids(model, count)
    kept = blocks.kept.setdefault(model._meta.db_table, [])
    if len(kept) < count:
        kept += _reserve_ids(model, max(blocks.size, count - len(kept)))
    taken, kept[:] = kept[:count], kept[count:]
    return taken


def _reserve_ids(model, count: int) -> list[int]:
    table = model._meta.db_table
    column = model._meta.pk.column
    with bulk_cursor() as cursor:
        if connection.vendor == "postgresql":
            # The sequence is looked up once (a scalar subquery), not for every id: 8
            # times faster for the 400,000 ids of a 100,000-row import.
            cursor.execute(
                "SELECT nextval((SELECT pg_get_serial_sequence(%s, %s)::regclass))"
                " FROM generate_series(1, %s)",
                [connection.ops.quote_name(table), column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        quote = connection.ops.quote_name
        cursor.execute(f"SELECT COALESCE(MAX({quote(column)}), 0) FROM {quote(table)}")  # noqa: S608
        highest = cursor.fetchone()[0]
        if connection.vendor == "sqlite":  # AUTOINCREMENT never reuses a deleted row's id
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            highest = max([highest, *(row[0] for row in cursor.fetchall())])
    return list(range(highest + 1, highest + 1 + count))


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Insert rows whose values are ready for the database, where there is no COPY
    (SQLite; on PostgreSQL ``Prepared`` holds COPY text)."""
    quote = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) VALUES ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, [list(r) for r in rows])


def history_copy(
    model, columns: list[str], text: bytes, history: History
) -> tuple[str, list[str], bytes]:
    """The history table, its columns and the COPY text of the history rows of new rows
    whose COPY text (``columns``) is ``text``: the tracked columns' values as they are
    in it, then when, why, which change and who (``write_history``'s values). A line of
    COPY text is one row (a line break in a value is written as ``\\n``)."""
    history_table, tracked, extra = _history_table(model)
    keep = [i for i, column in enumerate(columns) if column in tracked]
    tail = b"\t" + copy_text([_history_values(history)])  # ends the line
    lines = text.split(b"\n")[:-1]
    if len(keep) == len(columns):
        data = tail.join(lines) + tail
    else:
        data = b"".join(
            b"\t".join([fields[i] for i in keep]) + tail
            for fields in (line.split(b"\t") for line in lines)
        )
    return history_table, [columns[i] for i in keep] + extra, data


def _history_table(model) -> tuple[str, list[str], list[str]]:
    """``model``'s simple-history table, the columns it copies from the model's (the
    tracked fields'; same names), and its own columns in ``_history_values``' order."""
    history_model = get_history_manager_for_model(model).model
    hmeta = history_model._meta
    tracked = [hmeta.get_field(f.name).column for f in history_model.tracked_fields]
    source = {model._meta.get_field(f.name).column for f in history_model.tracked_fields}
    assert set(tracked) == source, "history columns follow the model's"  # noqa: S101
    extra = [
        hmeta.get_field(n).column
        for n in ("history_date", "history_change_reason", "history_type", "history_user")
    ]
    return hmeta.db_table, tracked, extra


def _history_values(history: History) -> list:
    return [timezone.now(), history.reason or None, history.type, getattr(history.user, "pk", None)]


def write_history(model, ids: Sequence[int], history_type: str, *, user=None, reason="") -> None:
    """The history rows ``bulk_create_with_history`` / ``bulk_update_with_history``
    would write for the objects ``ids`` ("+" created, "~" changed), copied from the
    table by the database."""
    if not ids or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    history_table, tracked, extra = _history_table(model)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in [*tracked, *extra])
    selected = ", ".join(quote(c) for c in tracked)
    head = (
        f"INSERT INTO {quote(history_table)} ({columns}) "  # noqa: S608
        f"SELECT {selected}, %s, %s, %s, %s FROM {quote(model._meta.db_table)} "
        f"WHERE {quote(model._meta.pk.column)} "
    )
    params = _history_values(History(history_type, user, reason))
    with bulk_cursor() as cursor:
        if connection.vendor == "postgresql":  # the ids in binary, as in select_in
            cursor.execute(head + "= ANY(%b)", [*params, list(ids)])
            return
        for part in _batched(ids, _IN_BATCH):
            marks = ", ".join(["%s"] * len(part))
            cursor.execute(head + f"IN ({marks})", [*params, *part])


def update_rows(
    model, fields: Sequence[str], rows: Sequence[Sequence], *, keep_null: bool = False
) -> None:
    """``UPDATE`` the listed fields of many rows: ``rows`` are ``(pk, value, …)`` with
    values ready for the database. With ``keep_null`` a None leaves the stored value as
    it is (no field is set to NULL then)."""
    if not rows:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    targets = [meta.get_field(name) for name in fields]
    table = quote(meta.db_table)
    pk = quote(meta.pk.column)
    with bulk_cursor() as cursor:
        if connection.vendor == "postgresql":  # each column one array, sent in binary
            selects = ", ".join(
                f"unnest(%b::{f.cast_db_type(connection)}[]) AS {quote(f.column)}"
                for f in [meta.pk, *targets]
            )
            new = "COALESCE(v.{c}, {t}.{c})" if keep_null else "v.{c}"
            sets = ", ".join(
                f"{quote(f.column)} = " + new.format(c=quote(f.column), t=table) for f in targets
            )
            columns = [list(c) for c in zip(*rows, strict=True)]
            cursor.execute(
                f"UPDATE {table} SET {sets} FROM (SELECT {selects}) AS v "  # noqa: S608
                f"WHERE {table}.{pk} = v.{pk}",
                columns,
            )
            return
        new = "COALESCE(%s, {c})" if keep_null else "%s"
        sets = ", ".join(f"{quote(f.column)} = " + new.format(c=quote(f.column)) for f in targets)
        cursor.executemany(
            f"UPDATE {table} SET {sets} WHERE {pk} = %s",  # noqa: S608
            [[*row[1:], row[0]] for row in rows],
        )


def _batched(values: Sequence, size: int):
    it = iter(values)
    while part := list(itertools.islice(it, size)):
        yield part


def select_in(model, fields: Sequence[str], column: str, values, **equal) -> list[tuple]:
    """``model.objects.filter(<column>__in=values, **equal).values_list(*fields)``, on
    PostgreSQL with the values as one array parameter: thousands of ids per chunk would
    otherwise make thousands of parameters for Django to render and PostgreSQL to parse.
    ``fields``, ``column`` and ``equal`` are attnames (``person_id``)."""
    values = list(values)
    if not values:
        return []
    if connection.vendor != "postgresql":
        query = {f"{column}__in": values, **equal}
        return list(model._base_manager.filter(**query).values_list(*fields))
    meta = model._meta
    quote = connection.ops.quote_name

    def col(name: str) -> str:
        return quote(meta.pk.column if name in ("pk", "id") else meta.get_field(name).column)

    # The array goes in binary (%b): as text, psycopg scans every element for characters
    # to quote. The other conditions are checked here, not in SQL: inside the import's transaction
    # the planner believes a new club has no rows and, with a generic plan, walks the
    # club's index instead of the id array's (quadratic over an import).
    names = [*fields, *equal]
    with bulk_cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(col(f) for f in names)} FROM {quote(meta.db_table)} "  # noqa: S608
            f"WHERE {col(column)} = ANY(%b)",
            [values],
        )
        rows = cursor.fetchall()
    wanted = tuple(equal.values())
    width = len(fields)
    return [row[:width] for row in rows if row[width:] == wanted]
