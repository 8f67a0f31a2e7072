"""The accountant's files (R-BIL-12), written by the shared writer of every export
(``members.exports``: CSV in UTF-8 with BOM, ``;``, CRLF; XLSX by openpyxl). In CSV an
amount has a decimal comma (1234,50) and a date is dd.mm.yyyy, as Excel in Norway reads
them; in XLSX they are numbers and dates."""

from datetime import date
from decimal import Decimal

from django.http import HttpResponse

from billing import accounting, journal
from members.exports import csv_chunks, write_file, xlsx_bytes

FORMATS = ("csv", "xlsx", "journal")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_value(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return value


def _as_csv(rows):
    for row in rows:
        yield [csv_value(v) for v in row]


def export(club, start: date, end: date, fmt: str) -> tuple[list, object, str, str]:
    """(header, rows, file format, title) of one export of the period."""
    if fmt == "journal":
        rows = _as_csv(journal.journal_rows(club, start, end))
        return journal.journal_columns(), rows, "csv", "Bilag"
    rows = accounting.document_rows(club, start, end)
    if fmt == "csv":
        rows = _as_csv(rows)
    return accounting.document_columns(), rows, fmt, "Fakturaer og betalinger"


def file_name(club, start: date, end: date, fmt: str) -> str:
    kind = "bilag" if fmt == "journal" else "regnskap"
    ending = "xlsx" if fmt == "xlsx" else "csv"
    return f"{club.slug}-{kind}-{start:%Y%m%d}-{end:%Y%m%d}.{ending}"


def write(path: str, club, start: date, end: date, fmt: str) -> None:
    header, rows, file_fmt, title = export(club, start, end, fmt)
    write_file(path, file_fmt, header, rows, title=title)


def response(club, start: date, end: date, fmt: str):
    header, rows, file_fmt, title = export(club, start, end, fmt)
    name = file_name(club, start, end, fmt)
    if file_fmt == "xlsx":
        out = HttpResponse(xlsx_bytes(header, rows, title=title), content_type=XLSX_TYPE)
    else:
        # written whole inside the view, where the club's scope is
        out = HttpResponse(
            "".join(csv_chunks(header, rows)), content_type="text/csv; charset=utf-8"
        )
    out["Content-Disposition"] = f'attachment; filename="{name}"'
    return out
