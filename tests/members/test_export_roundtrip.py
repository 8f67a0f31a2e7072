"""R-MEM-6: an export is in the federation extract format and imports back."""

import io

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled
from openpyxl import load_workbook

from members import exports, services
from members.models import GroupMember, Membership

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_of_a_club_imports_into_an_empty_club(demo, tmp_path, fmt):
    path = tmp_path / f"demo-a.{fmt}"
    call_command("export_members", str(path), "--club", "demo-a", "--format", fmt)
    services.create_club("tom-klubb", "Tom Klubb")
    report = tmp_path / "report.csv"
    call_command("import_members", str(path), "--club", "tom-klubb", "--report", str(report))
    with scopes_disabled():
        source = Membership.objects.filter(club=demo["a"])
        copied = Membership.objects.filter(club__slug="tom-klubb")
        assert copied.count() == source.count()
        assert set(copied.values_list("person_id", flat=True)) == set(
            source.values_list("person_id", flat=True)
        )
        by_person = {m.person_id: m for m in copied.select_related("category")}
        for m in source.select_related("category"):
            twin = by_person[m.person_id]
            assert (twin.member_number, twin.payment_method) == (m.member_number, m.payment_method)
            assert (twin.category.name if twin.category else None) == (
                m.category.name if m.category else None
            )
        groups = lambda club: sorted(  # noqa: E731
            GroupMember.objects.filter(club=club).values_list("group__name", "membership__person")
        )
        assert groups(demo["a"]) == groups(copied.first().club)
    lines = report.read_text().splitlines()[1:]
    assert lines and all(",matched," in line for line in lines)


def test_export_header_is_the_extract_format(demo):
    with scopes_disabled():
        header, data = exports.export_queryset(Membership.objects.filter(club=demo["a"]))
        body = exports.xlsx_bytes(header, data, title="Medlemmer")
    sheet = load_workbook(io.BytesIO(body))["Medlemmer"]
    first = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert first[:4] == ["Person-ID", "Medlemsnr", "Fornavn", "Etternavn"]
