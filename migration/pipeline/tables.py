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
import operator
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
        self.field_of = {f.attname: f for f in self.fields}

    def insert(
        self,
        rows: list[dict],
        ids: list[int] | None = None,
        history: History | None = None,
        fixed: dict | None = None,
    ) -> list[int]:
        """Insert ``rows`` (dicts by attname) with the ``ids`` reserved for them (reserved
        here when not given), and their ``history``; ``fixed`` holds values that are the
        same for every row (by attname), given once (a row's own value for one of them is
        not used). JSON values go as their text
        (``to_json``). On PostgreSQL the other values go as they are (psycopg adapts
        text, numbers, dates, uuids); elsewhere each passes its field's
        ``get_db_prep_save``."""
        if not rows:
            return []
        if ids is None:
            ids = reserve_ids(self.model, len(rows))
        self.prepare(rows, ids, history, fixed).write()
        return ids

    def prepare(
        self,
        rows: list[dict],
        ids: list[int],
        history: History | None = None,
        fixed: dict | None = None,
    ) -> Prepared:
        """``insert``'s rows made ready here (on PostgreSQL as COPY text, their history
        rows too), to be written by ``Prepared.write`` in another thread.

        The columns that no row names (their defaults) and the ``fixed`` ones are the
        same on every line: on PostgreSQL their text is made once and put at the end of
        each line, so that a row costs only the values it brings."""
        varying = self.varying(rows, fixed or {})
        same = {**self.defaults, **(fixed or {})}
        same = {f.attname: same[f.attname] for f in self.fields if f.attname not in varying}
        columns = [self.pk_column, *self._columns(varying), *self._columns(same)]
        if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
            history = None
        constant = self._prepper(same, 0)([*same.values()])
        if not fast():
            values = self.values(rows, ids, varying)
            then = history and partial(
                write_history,
                self.model,
                ids,
                history.type,
                user=history.user,
                reason=history.reason,
            )
            return Prepared(self.table, columns, [[*v, *constant] for v in values], then)
        text = copy_text(self.values(rows, ids, varying))
        if same:
            text = _lines_ending_with(text, constant)
        then = history and partial(copy_data, *history_copy(self.model, columns, text, history))
        return Prepared(self.table, columns, text, then)

    def _columns(self, attnames) -> list[str]:
        return [self.field_of[a].column for a in attnames]

    def varying(self, rows: list[dict], fixed: dict) -> list[str]:
        """The attnames some row gives (not ``fixed``), in the fields' order, and those
        with a fresh default per row (a uuid4)."""
        named = set(self.per_row).union(*rows)  # every row's keys, in C
        unknown = named - self.field_of.keys()
        if unknown:
            raise TypeError(f"{self.model.__name__} has no field {', '.join(sorted(unknown))}")
        return [f.attname for f in self.fields if f.attname in named and f.attname not in fixed]

    def values(self, rows: list[dict], ids: list[int], varying: list[str]) -> list[list]:
        """Each row's id and ``varying`` values, ready for the database; a row that
        leaves one out gets its default."""
        prep = self._prepper(varying, 1)
        per_row = [f for f in self.fields if f.attname in self.per_row and f.attname in varying]
        get = operator.itemgetter(*varying) if varying else (lambda row: ())
        one = len(varying) == 1
        out = []
        for pk, row in zip(ids, rows, strict=True):
            for f in per_row:  # a fresh value per row (uuid4)
                if f.attname not in row:
                    row[f.attname] = f.default()
            try:
                values = get(row)
            except KeyError:  # this row leaves a column to its default
                values = [row[a] if a in row else self.defaults[a] for a in varying]
            out.append(prep([pk, values] if one else [pk, *values]))
        return out

    def _prepper(self, attnames, offset: int) -> Callable[[list], list]:
        """What makes a line of values for ``attnames`` (from position ``offset``) ready
        for the database: JSON as its text; on PostgreSQL dates and times as ISO 8601
        text, once per value rather than by COPY's formatter for every row (~1.5 µs a
        time stamp, ~0.5 µs a date); elsewhere each field's ``get_db_prep_save``."""
        fields = [self.field_of[a] for a in attnames]
        json_at = [
            (i, f.encoder)
            for i, f in enumerate(fields, start=offset)
            if isinstance(f, models.JSONField)
        ]
        if fast():
            dates_at = [
                i for i, f in enumerate(fields, start=offset) if isinstance(f, models.DateField)
            ]
            day_text: dict[date, str] = {}

            def prep(line: list) -> list:
                for i, encoder in json_at:
                    if (v := line[i]) is not None and v.__class__ is not JsonText:
                        line[i] = to_json(v, encoder)
                for i in dates_at:
                    if (day := line[i]) is not None and day.__class__ is date:
                        line[i] = day_text.get(day) or day_text.setdefault(day, day.isoformat())
                    elif isinstance(day, date):  # a time stamp
                        line[i] = day.isoformat()
                return line

            return prep
        json = dict(json_at)
        placed = list(enumerate(fields, start=offset))

        def prep(line: list) -> list:
            for i, f in placed:
                v = line[i]
                if i in json and v is not None:
                    line[i] = to_json(v, json[i])
                else:
                    line[i] = f.get_db_prep_save(v, connection)
            return line

        return prep


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
    if len(keep) == len(columns):
        data = _lines_ending_with(text, _history_values(history))
    else:
        tail = b"\t" + copy_text([_history_values(history)])  # ends the line
        data = b"".join(
            b"\t".join([fields[i] for i in keep]) + tail
            for fields in (line.split(b"\t") for line in text.split(b"\n")[:-1])
        )
    return history_table, [columns[i] for i in keep] + extra, data


def _lines_ending_with(text: bytes, values: list) -> bytes:
    """Each line of COPY ``text`` with ``values`` (ready for the database) added at its
    end: one replace, as a line break in a value is written as ``\\n`` and only ends a
    line in the text."""
    return text.replace(b"\n", b"\t" + copy_text([values]))


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
