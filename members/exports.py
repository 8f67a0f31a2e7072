"""Export of member lists as CSV and XLSX (R-MEM-6, DOMAIN.md §11).

CSV is ``;``-separated UTF-8 with BOM so Excel opens it directly; XLSX through
openpyxl in write-only mode. National id numbers are never exported.
"""

import csv
import io
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _
from openpyxl import Workbook

from members.models import Membership

BATCH = 2000


def columns() -> list[str]:
    return [
        _("Member number"),
        _("First name"),
        _("Last name"),
        _("Birth date"),
        _("Gender"),
        _("E-mail"),
        _("Mobile"),
        _("Address"),
        _("Postal code"),
        _("City"),
        _("Status"),
        _("Category"),
        _("Groups"),
        _("Member since"),
    ]


def rows(memberships) -> Iterator[list]:
    queryset = memberships.select_related("person", "category").prefetch_related(
        "group_links__group"
    )
    for m in queryset.iterator(chunk_size=BATCH):
        p = m.person
        yield [
            m.member_number,
            p.first_name,
            p.last_name,
            p.birth_date.strftime("%d.%m.%Y") if p.birth_date else "",
            p.get_gender_display() if p.gender else "",
            p.email,
            p.mobile.as_e164 if p.mobile else "",
            p.address_line,
            p.postal_code,
            p.city,
            m.get_status_display(),
            m.category.name if m.category else "",
            ", ".join(sorted(link.group.name for link in m.group_links.all())),
            m.started_on.strftime("%d.%m.%Y"),
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


def export_queryset(memberships: "Membership.objects") -> tuple[list[str], Iterator[list]]:
    return columns(), rows(memberships)
