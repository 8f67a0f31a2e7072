"""Reader: bytes in, rows of canonical fields out.

CSV in UTF-8 (with or without BOM), Windows-1252 or ISO-8859-1; delimiter ``;``, ``,`` or
tab; CRLF or LF. XLSX with the sheets Medlemmer / Parti / Venteliste. A folder with
members.csv / groups.csv / waitlist.csv. Headers are matched to canonical fields through
``columns``; unknown or missing required columns stop the import before anything is
written, naming the columns.
"""

import csv
import functools
import io
import itertools
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.utils.translation import gettext as _
from openpyxl import load_workbook

from migration.pipeline import columns as cols

csv.field_size_limit(1_000_000)
ENCODINGS = ("utf-8", "cp1252", "latin-1")
DELIMITERS = (";", "\t", ",")


RowMaker = Callable[[list, list], dict | None]  # a data row's value from its cells


def _row_dict(values: list, fields: list[str | None]) -> dict:
    row = {}
    for i, name in enumerate(fields):
        if name is not None:
            row[name] = values[i] if i < len(values) else ""
    if len(values) > len(fields) and any(str(v).strip() for v in values[len(fields) :]):
        row["_extra"] = [str(v) for v in values[len(fields) :]]
    return row


class ReadError(Exception):
    """The file cannot be imported at all; the message says why, in plain words."""


@dataclass
class Table:
    kind: str
    headers: list[str]
    fields: list[str | None]  # canonical field per column (None: ignored empty header)
    rows: Iterator[tuple[int, dict]] = field(repr=False)  # (1-based data row, {field: value})
    encoding: str = ""
    delimiter: str = ""
    text: "Text | None" = field(default=None, repr=False)  # a CSV file's


@dataclass
class Extract:
    """What one import reads: the members table and, when present, groups and waitlist."""

    tables: dict[str, Table]
    sources: list[tuple[str, bytes]]  # (file name, original bytes) kept with the batch

    @property
    def members(self) -> Table | None:
        return self.tables.get(cols.MEMBERS)


def read_path(path: Path) -> Extract:
    path = Path(path)
    if path.is_dir():
        files = {p.name.casefold(): p for p in path.iterdir() if p.is_file()}
        if "members.csv" not in files:
            raise ReadError(_("The folder has no members.csv."))
        sources = [
            (name, files[name].read_bytes())
            for name in ("members.csv", "groups.csv", "waitlist.csv")
            if name in files
        ]
        return read_sources(sources)
    if not path.exists():
        raise ReadError(_("The file %(name)s does not exist.") % {"name": path})
    return read_sources([(path.name, path.read_bytes())])


def read_sources(sources: list[tuple[str, bytes]], *, row: RowMaker = _row_dict) -> Extract:
    """Read uploaded or on-disk files: one XLSX, one members CSV, or the three CSVs.
    ``row`` makes each data row's value from its cells (``_row_dict``: {field: text});
    counting rows needs none (``count_member_rows``)."""
    tables: dict[str, Table] = {}
    for name, data in sources:
        if name.casefold().endswith(".xlsx") or data[:2] == b"PK":
            tables.update(read_xlsx(data, row=row))
        else:
            kind = _kind_from_name(name)
            tables[kind] = read_csv(data, kind, row=row)
    if cols.MEMBERS not in tables:
        raise ReadError(_("No member list was found (members.csv or the sheet Medlemmer)."))
    return Extract(tables=tables, sources=sources)


def count_member_rows(sources: list[tuple[str, bytes]]) -> int:
    """The member list's data rows, read as the run reads them (the same errors), without
    making a row of values for each; a CSV file without quotes by its lines
    (``_count_lines``: a value over the csv module's size limit is then refused by the
    run, with the same message, instead)."""
    members = read_sources(sources, row=_no_row).members
    quick = _count_lines(members.text, members.delimiter) if members.text else None
    if quick is not None:
        return quick
    return sum(1 for _row in members.rows)


def _count_lines(text: "Text", delimiter: str) -> int | None:
    """The data rows of a CSV text that has no quote and no line ended by a CR alone,
    counted as its lines after the header that are not blank (only separators and
    spaces), as ``_csv_rows`` counts them: without quotes a line is a row, and a line is
    blank only if it is empty or starts with a separator or a space. None for any
    other text (the csv module reads it). Six times faster than reading the rows: the
    count comes before the run, with nothing else to do meanwhile."""
    data = text.data
    if b'"' in data or data.count(b"\r") != data.count(b"\r\n"):
        return None
    rows = 0
    for block in text.blocks():  # each ends after an LF, but the last
        parts = block.split("\n")
        if parts[-1] == "":
            parts.pop()  # what follows the block's last LF: not a line
        rows += len(parts)
        # A line is blank only if it is empty or starts with a separator or a space.
        maybe = (p for p in parts if not p or p[0] == delimiter or p[0].isspace())
        rows -= sum(1 for line in maybe if not line.replace(delimiter, "").strip())
    return rows - 1  # the header, not blank (or ``read_csv`` refused the file)


def _no_row(values: list, fields: list[str | None]) -> None:
    return None


def _kind_from_name(name: str) -> str:
    stem = Path(name).stem.casefold()
    if stem in ("groups", "parti"):
        return cols.GROUPS
    if stem in ("waitlist", "venteliste"):
        return cols.WAITLIST
    return cols.MEMBERS


@dataclass(frozen=True)
class Text:
    """A CSV file's text, decoded a block of about a megabyte at a time each time it is
    read (``lines``): never as one string, which for a large extract takes two to four
    bytes a character for as long as the run reads it (70 MB for 17 MB of
    Windows-1252 with one dash or curly quote in it). ``encoding`` is the first that
    fits (``of``)."""

    data: bytes
    start: int  # after a UTF-8 byte order mark
    encoding: str

    @classmethod
    @functools.lru_cache(maxsize=2)
    def of(cls, data: bytes) -> "Text":
        """Decoded with the first encoding that fits; Latin-1 always fits as the last
        resort. Mostly UTF-8 with a few Windows-1252 bytes (lines pasted from another
        program): each line is read in the encoding that fits it. An import reads its
        files several times (the operator's check, the row count for the progress bar,
        the run): the encoding of the same bytes is found once (the search for UTF-8
        characters alone takes a quarter of a second for a large extract)."""
        start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        if start and _fits(data, start, "utf-8"):
            return cls(data, start, "utf-8-sig")
        if _fits(data, start, "utf-8"):
            return cls(data, start, "utf-8")
        if _has_utf8_character(data, start):
            return cls(data, start, "utf-8+cp1252")
        for encoding in ENCODINGS[1:]:
            if _fits(data, start, encoding):
                return cls(data, start, encoding)
        raise ReadError(_("The file's text encoding could not be read."))  # unreachable

    def blocks(self) -> Iterator[str]:
        """The text a block at a time, each ending just after an LF (so a CRLF is never
        cut in two, nor a UTF-8 character), without NUL characters or a leading BOM."""
        first = True
        for part in _byte_blocks(self.data, self.start):
            if self.encoding == "utf-8+cp1252":
                block = "".join(_decode_line(line) for line in part.splitlines(keepends=True))
            else:
                block = part.decode(self.encoding.removesuffix("-sig"))
            block = block.replace("\x00", "")
            if first:
                block, first = block.lstrip("\ufeff"), False
            yield block

    def lines(self) -> Iterator[str]:
        """The lines as ``io.StringIO(text, newline="")`` yields them (ended by CRLF, CR
        or LF, which are kept), a block at a time: a line at a time in Python costs a
        second per 100,000 rows."""
        return itertools.chain.from_iterable(
            io.StringIO(block, newline="") for block in self.blocks()
        )

    def first_line(self) -> str:
        """The first line as ``splitlines`` cuts it ("" for blank text); the first block
        holds all of it (it ends after an LF beyond its first megabyte, or at the end)."""
        block = next(self.blocks(), "")
        if not block or block.isspace():
            return ""
        end = block.find("\n")
        return (block if end < 0 else block[: end + 1]).splitlines()[0]


_BLOCK = 1 << 20  # bytes


def _has_utf8_character(data: bytes, start: int) -> bool:
    """Whether the bytes hold at least one UTF-8 character beyond ASCII (what the
    decoder keeps when it drops every byte that is not UTF-8: some 15 times faster than
    a regular expression over the bytes)."""
    return not data[start:].decode("utf-8", "ignore").isascii()


def _byte_blocks(data: bytes, start: int) -> Iterator[bytes]:
    while start < len(data):
        end = data.find(b"\n", start + _BLOCK)
        end = len(data) if end < 0 else end + 1
        yield data[start:end]
        start = end


def _fits(data: bytes, start: int, encoding: str) -> bool:
    try:
        for part in _byte_blocks(data, start):
            part.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _decode_line(line: bytes) -> str:
    for encoding in ENCODINGS:
        try:
            return line.decode(encoding)
        except UnicodeDecodeError:
            continue
    return line.decode("latin-1")


def read_csv(data: bytes, kind: str, *, row: RowMaker = _row_dict) -> Table:
    if not data or data.isspace():
        raise ReadError(_("The file is empty."))
    text = Text.of(data)
    first_line = text.first_line()
    delimiter = max(DELIMITERS, key=first_line.count)
    if first_line.count(delimiter) == 0:
        raise ReadError(
            _("The first line has no column separator (; , or tab): this is not a CSV extract.")
        )
    reader = csv.reader(text.lines(), delimiter=delimiter)
    try:
        headers = next(reader)
    except csv.Error as exc:
        raise ReadError(_("The header line cannot be read: %(error)s") % {"error": exc}) from exc
    fields = map_headers(headers, kind)
    rows = _csv_rows(reader, fields, text, delimiter, row)
    return Table(kind, headers, fields, rows, text.encoding, delimiter, text)


def _csv_rows(
    reader, fields, text: Text, delimiter: str, row: RowMaker
) -> Iterator[tuple[int, dict]]:
    number, last_start = 0, None
    while True:
        start = reader.line_num
        try:
            values = next(reader)
        except StopIteration:
            if last_start is not None:
                _check_quotes_closed(text, last_start, delimiter)
            return
        except csv.Error as exc:
            raise ReadError(
                _("Data row %(row)s cannot be read: %(error)s") % {"row": number + 1, "error": exc}
            ) from exc
        last_start = start
        if not "".join(values).strip():
            continue  # blank lines (only separators and spaces) are not data rows
        number += 1
        yield number, row(values, fields)


def _check_quotes_closed(text: Text, start: int, delimiter: str) -> None:
    """A quote that is opened and never closed makes the csv module read the rest of the
    file as one value: the rows after it would vanish. Refuse the file instead."""
    lines = text.lines()
    for _line in range(start):
        next(lines, None)
    try:
        next(csv.reader(lines, delimiter=delimiter, strict=True), None)
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise ReadError(
                _(
                    'Line %(line)s opens a quote (") that is never closed, so the rest of the '
                    "file would be read as one value. Nothing was imported."
                )
                % {"line": start + 1}
            ) from exc


def map_headers(headers: list, kind: str) -> list[str | None]:
    """Canonical field per header; raises ReadError naming unknown and missing columns."""
    _sheet, columns, required = cols.SHEETS[kind]
    aliases = cols.alias_map(columns)
    fields: list[str | None] = []
    unknown, seen = [], set()
    for header in headers:
        text = "" if header is None else str(header)
        if not text.strip():
            fields.append(None)
            continue
        name = aliases.get(cols.header_key(text))
        if name is None:
            unknown.append(text.strip())
        elif name in seen:
            raise ReadError(_("The column “%(name)s” appears twice.") % {"name": text.strip()})
        seen.add(name)
        fields.append(name)
    missing = [columns[f][0] for f in required if f not in seen]
    problems = []
    if unknown:
        problems.append(_("unknown columns: %(cols)s") % {"cols": ", ".join(unknown)})
    if missing:
        problems.append(_("missing columns: %(cols)s") % {"cols": ", ".join(missing)})
    if problems:
        label = cols.SHEET_LABELS[kind]
        raise ReadError(
            _("%(sheet)s: %(problems)s. Nothing was imported.")
            % {"sheet": label, "problems": "; ".join(problems)}
        )
    return fields


def read_xlsx(data: bytes, *, row: RowMaker = _row_dict) -> dict[str, Table]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ReadError(_("The Excel file cannot be opened: %(error)s") % {"error": exc}) from exc
    by_name = {ws.title.strip().casefold(): ws for ws in workbook.worksheets}
    tables = {}
    for kind, (sheet, _columns, _required) in cols.SHEETS.items():
        ws = by_name.get(sheet.casefold())
        if ws is None:
            continue
        rows = ws.iter_rows(values_only=True)
        try:
            headers = [("" if h is None else str(h)) for h in next(rows)]
        except StopIteration:
            continue
        while headers and not headers[-1].strip():
            headers.pop()
        fields = map_headers(headers, kind)
        tables[kind] = Table(kind, headers, fields, _xlsx_rows(rows, fields, row), "xlsx", "")
    return tables


def _xlsx_rows(rows, fields, row: RowMaker) -> Iterator[tuple[int, dict]]:
    number = 0
    for values in rows:
        cells = [_cell(v) for v in values]
        if not any(c.strip() for c in cells):
            continue
        number += 1
        yield number, row(cells, fields)


def _cell(value) -> str:
    """Spreadsheet cells to text the normaliser reads: dates as dd.mm.yyyy, whole
    numbers without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
