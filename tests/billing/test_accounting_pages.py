"""The accounting pages (issue 8 points 6–7): the billing overview (invoiced against paid
per month, open and overdue), the export page with its reconciliation and downloads, and
the club's billing settings with the reminder fee cap. Club admins only."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from openpyxl import load_workbook

from billing import services
from billing.models import BillingSettings

from .conftest import make_club
from .pages import log_in_admin, make_invoices

pytestmark = pytest.mark.django_db


def url(name, club, *args, query=""):
    path = reverse(f"accounting:{name}", args=[club.slug, *args])
    return f"{path}?{query}" if query else path


@pytest.fixture
def admin(client, club):
    log_in_admin(client, club)
    return client


@pytest.fixture
def invoices(club):
    """Two invoices of 600 kr made 40 days ago; one paid 250 kr."""
    on = timezone.localdate() - timedelta(days=40)
    _fee, _m, made = make_invoices(club, on=on)
    services.record_payment(
        made[0], club=club, amount=Decimal("250"), method="ocr", paid_on=timezone.localdate()
    )
    return made


def test_overview_shows_months_open_and_overdue(admin, club, invoices):
    response = admin.get(url("overview", club))
    assert response.status_code == 200
    months = response.context["months"]
    assert len(months) == 12 and months[-1].month == timezone.localdate().replace(day=1)
    assert sum(m.invoiced for m in months) == Decimal("1200.00")
    assert months[-1].paid == Decimal("250.00")
    assert response.context["open"]["open"] == Decimal("950.00")
    assert response.context["overdue"] == {
        "count": 2,
        "total": Decimal("1200.00"),
        "open": Decimal("950.00"),
    }
    page = response.content.decode()
    assert "950,00 kr" in page and 'class="bar paid"' in page
    assert 'aria-current="page">Overview' in page


def test_export_page_reconciles_and_downloads(admin, club, invoices):
    today = timezone.localdate()
    start = (today - timedelta(days=60)).strftime("%d.%m.%Y")
    query = f"start={start}&end={today:%d.%m.%Y}"
    response = admin.get(url("export", club, query=query))
    assert response.status_code == 200
    recon = response.context["recon"]
    assert (recon.invoiced, recon.paid, recon.closing) == (
        Decimal("1200.00"),
        Decimal("250.00"),
        Decimal("950.00"),
    )
    assert recon.balances and "It reconciles" in response.content.decode()

    csv_file = admin.get(url("download", club, "csv", query=query))
    assert csv_file["Content-Type"].startswith("text/csv")
    assert f"{club.slug}-regnskap-" in csv_file["Content-Disposition"]
    text = csv_file.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert [rows[1][0], rows[1][7]] == ["Invoice", "600,00"]
    assert any(r and r[0] == "Sum" and r[7] == "950,00" for r in rows)

    book = admin.get(url("download", club, "xlsx", query=query))
    sheet = load_workbook(io.BytesIO(book.content)).active
    assert next(sheet.iter_rows(values_only=True))[0] == "Kind"

    journal = admin.get(url("download", club, "journal", query=query)).content.decode()
    assert "1500" in journal and "3900" in journal and "1920" in journal


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=01.02.2026&end=01.01.2026", "first day is after the last day"),
        ("start=31.02.2026&end=01.03.2026", "valid date"),
        ("start=01.01.2010&end=01.01.2026", "at most"),
    ],
)
def test_bad_periods_get_a_plain_error(admin, club, query, message):
    for response in (
        admin.get(url("export", club, query=query)),
        admin.get(url("download", club, "csv", query=query)),
    ):
        assert response.status_code == 400
        assert message in response.content.decode()
    assert admin.get(url("download", club, "pdf", query=query)).status_code == 404


def test_settings_are_made_once_and_saved(admin, club):
    response = admin.get(url("settings", club))
    assert response.status_code == 200
    with scopes_disabled():
        assert BillingSettings.objects.filter(club=club).count() == 1
    data = {
        "nets_customer_id": "00012345",
        "nets_agreement_id": "000123456",
        "claim_lead_days": "9",
        "notice_days": "7",
        "reminder_fee": "35,00",
        "reminder_by_sms": "",
        "receivables_account": "1510",
        "bank_account_ledger": "1920",
        "income_account": "3900",
        "reminder_fee_account": "8050",
    }
    assert admin.post(url("settings", club), data).status_code == 302
    with scopes_disabled():
        saved = BillingSettings.objects.get(club=club)
    assert (saved.reminder_fee, saved.reminder_by_sms, saved.receivables_account) == (
        Decimal("35.00"),
        False,
        "1510",
    )


def test_reminder_fee_above_the_cap_is_refused(admin, club, settings):
    settings.REMINDER_FEE_CAP = Decimal("75.00")
    data = {
        "claim_lead_days": "9",
        "notice_days": "7",
        "reminder_fee": "75,01",
        "receivables_account": "15",
        "bank_account_ledger": "1920",
        "income_account": "3900",
        "reminder_fee_account": "8050",
    }
    response = admin.post(url("settings", club), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "The reminder fee can be at most 75,00 kr" in page  # the cap, as on the reminders page
    assert "A ledger account is 4 to 6 digits." in page
    assert 'value="75,01"' in page  # the input is kept
    with scopes_disabled():
        assert BillingSettings.objects.get(club=club).reminder_fee == Decimal("0")


def test_other_clubs_admin_gets_nothing(client, club, invoices):
    """As every club page (tests/members/test_isolation.py): a foreign slug is refused."""
    other = make_club("annen-klubb")
    log_in_admin(client, other, email="annen@example.no")
    query = f"start=01.01.{date.today().year}&end={timezone.localdate():%d.%m.%Y}"
    for name, args in (("overview", ()), ("export", ()), ("settings", ()), ("download", ("csv",))):
        assert client.get(url(name, club, *args, query=query)).status_code in (403, 404)
