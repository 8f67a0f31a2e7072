"""export_invoices (issue 6 point 11, R-BIL-12): one row per invoice and credit note with
the agreed columns, readable back as CSV and XLSX; another club's invoices never in it."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django_scopes import scopes_disabled
from openpyxl import load_workbook

from billing import services
from billing.exports import COLUMNS
from billing.models import Invoice

from .conftest import RUN_DATE, make_club, make_fee, make_member


@pytest.fixture
def billed(club):
    fee = make_fee(club, price="1250.00")
    make_member(club, "Agnes", fee=fee)
    make_member(club, "Brede", fee=fee)
    services.run_invoices(club, RUN_DATE)
    with scopes_disabled():
        first = Invoice.objects.filter(club=club).order_by("number").first()
    services.credit_invoice(first, amount=Decimal("250.00"), reason="Feil sats")
    other = make_club("annen-klubb")
    make_member(other, "Ukjent", fee=make_fee(other, price="99.00"))
    services.run_invoices(other, RUN_DATE)
    return first


def test_csv_has_the_columns_and_every_invoice_and_credit_note(club, billed, tmp_path):
    out = tmp_path / "fakturaer.csv"
    call_command("export_invoices", str(out), club=club.slug, format="csv", stdout=io.StringIO())
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    assert rows[0] == COLUMNS
    data = [dict(zip(COLUMNS, r, strict=True)) for r in rows[1:]]
    assert [(d["kind"], d["number"]) for d in data] == [
        ("invoice", "1"),
        ("invoice", "2"),
        ("credit_note", "1"),
    ]
    invoice, _second, note = data
    assert invoice["amount"] == "1250.00" and invoice["kid"] == billed.kid
    assert invoice["person_id"] == str(billed.recipient.public_id)
    assert invoice["issue_date"] == billed.issue_date.isoformat()
    assert note["credits"] == "1" and note["amount"] == "-250.00"
    assert "99.00" not in out.read_text(encoding="utf-8-sig")


def test_xlsx_reads_back(club, billed, tmp_path):
    out = tmp_path / "fakturaer.xlsx"
    call_command("export_invoices", str(out), club=club.slug, stdout=io.StringIO())
    sheet = load_workbook(out).active
    values = list(sheet.values)
    assert list(values[0]) == COLUMNS and len(values) == 4


def test_unknown_club_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="no club 'finnes-ikke'"):
        call_command("export_invoices", str(tmp_path / "x.csv"), club="finnes-ikke")
