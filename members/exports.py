"""Export of member lists as CSV and XLSX (R-MEM-6, DOMAIN.md §11).

CSV is ``;``-separated UTF-8 with BOM so Excel opens it directly; XLSX through
openpyxl in write-only mode. National id numbers are never exported.
"""

import csv
import io
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scope, scopes_disabled
from openpyxl import Workbook

from members.models import Club, Membership

BATCH = 2000


# The federation extract's own headers (shared/data/README.md), so that an export can be
# imported again (R-MEM-6): ``import_members`` reads every one of them.
COLUMNS = [
    "Person-ID",
    "Medlemsnr",
    "Fornavn",
    "Etternavn",
    "Fødselsdato",
    "Kjønn",
    "E-post",
    "Mobil",
    "Adresse",
    "Postnr",
    "Poststed",
    "Medlemskategori",
    "Parti",
    "Betalingsmåte",
    "Neste fakturadato",
    "Innmeldt",
    "Status",
    "Kilde",
]
GENDER = {"male": "Mann", "female": "Kvinne"}
PAYMENT = {"invoice": "Faktura", "avtalegiro": "AvtaleGiro"}


def columns() -> list[str]:
    return list(COLUMNS)


def _date(value) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def rows(memberships) -> Iterator[list]:
    queryset = memberships.select_related("person", "category").prefetch_related(
        "group_links__group"
    )
    for m in queryset.iterator(chunk_size=BATCH):
        p = m.person
        yield [
            str(p.public_id),
            m.member_number,
            p.first_name,
            p.last_name,
            _date(p.birth_date),
            GENDER.get(p.gender, ""),
            p.email,
            p.mobile.as_e164 if p.mobile else "",
            p.address_line,
            p.postal_code,
            p.city,
            m.category.name if m.category else "",
            ", ".join(sorted(link.group.name for link in m.group_links.all())),
            PAYMENT.get(m.payment_method, ""),
            _date(m.next_billing_date),
            _date(m.started_on),
            m.get_status_display(),
            m.get_source_display(),
        ]


def csv_chunks(header: list[str], data: Iterable[list]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(header)
    for i, row in enumerate(data, 1):
        writer.writerow(row)
        if i % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_bytes(header: list[str], data: Iterable[list], title: str) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(header)
    for row in data:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def write_file(path: str, fmt: str, header: list[str], data: Iterable[list], title: str) -> None:
    """Write an export to ``path``: CSV (UTF-8 with BOM, ``;``, CRLF, as Excel in Norway
    opens it) or XLSX. Used by the export commands of every app."""
    if fmt == "xlsx":
        with open(path, "wb") as fh:
            fh.write(xlsx_bytes(header, data, title=title))
        return
    with open(path, "w", encoding="utf-8", newline="") as fh:
        for chunk in csv_chunks(header, data):
            fh.write(chunk)


class ExportCommand(BaseCommand, ABC):
    """An export command of any app: ``FILE --club SLUG [--format csv|xlsx]`` (the format
    follows the file's ending when not given). Subclasses say what the rows are."""

    sheet_title = "Eksport"
    counted = "rows"

    def add_arguments(self, parser):
        parser.add_argument("file", help="where to write")
        parser.add_argument("--club", required=True, help="the club's short name (slug)")
        parser.add_argument("--format", choices=["csv", "xlsx"], default=None)

    @abstractmethod
    def export(self, club) -> tuple[list[str], Iterable[list]]:
        """(header, rows) of ``club``; runs inside the club's scope."""

    def handle(self, file, club, format, **options):
        fmt = format or ("xlsx" if file.lower().endswith(".xlsx") else "csv")
        with scopes_disabled():
            target = Club.objects.filter(slug=club).first()
        if target is None:
            raise CommandError(f"There is no club '{club}'.")
        written = 0

        def counting(data):
            nonlocal written
            for row in data:
                written += 1
                yield row

        with scope(club=target):
            header, data = self.export(target)
            write_file(file, fmt, header, counting(data), title=self.sheet_title)
        self.stdout.write(self.style.SUCCESS(f"{written} {self.counted} written to {file}."))


def export_queryset(memberships: "Membership.objects") -> tuple[list[str], Iterator[list]]:
    return columns(), rows(memberships)
