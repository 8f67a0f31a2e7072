"""Refunds with a credit note (issue 8 point 5, R-BIL-9): a paid invoice is refunded in
full or in part as a refund payment plus a credit note from the gapless series, never
edited; an overpayment is paid back without a credit note; a double submit refunds once."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from billing import refunds, services
from billing.models import CreditNote, Payment

from .pages import fresh, log_in_admin, make_invoices, url

pytestmark = pytest.mark.django_db
DAY = date(2026, 2, 1)


@pytest.fixture
def paid(club):
    _fee, _members, invoices = make_invoices(club, on=date(2026, 1, 15), price="1000.00")
    for invoice in invoices:
        services.record_payment(
            invoice, club=club, amount=invoice.total, method="card", paid_on=date(2026, 1, 20)
        )
    return [fresh(i) for i in invoices]


def amounts(invoice):
    invoice = fresh(invoice)
    credited, paid = services.credited_amount(invoice), services.paid_amount(invoice)
    return invoice.status, credited, paid, services.open_amount(invoice)


def test_partial_refund_credits_the_amount_and_leaves_the_invoice_paid(paid):
    invoice = paid[0]
    refund, note = refunds.refund_invoice(
        invoice, amount=Decimal("300"), paid_on=DAY, reason="Skadet", reference="r-1"
    )
    assert (refund.kind, refund.amount, refund.reference) == ("refund", Decimal("-300.00"), "r-1")
    assert (note.number, note.amount, note.is_full, note.reason) == (
        1,
        Decimal("300.00"),
        False,
        "Skadet",
    )
    assert note.issue_date == DAY and note.invoice_id == invoice.pk
    assert amounts(invoice) == ("paid", Decimal("300.00"), Decimal("700.00"), Decimal("0.00"))
    assert fresh(invoice).total == Decimal("1000.00")  # never edited
    # the rest: a full refund, in the same gapless series, leaves the invoice credited
    _refund, rest = refunds.refund_invoice(invoice, amount=Decimal("700"), paid_on=DAY)
    assert rest.number == 2
    assert amounts(invoice) == ("credited", Decimal("1000.00"), Decimal("0.00"), Decimal("0.00"))
    with pytest.raises(services.BillingError, match="Only a paid invoice"):
        refunds.refund_invoice(invoice, amount=Decimal("1"), paid_on=DAY)


def test_full_refund_and_the_credit_series_shared_with_credit_invoice(club, paid):
    first, second = paid
    third = make_invoices(club, on=date(2026, 1, 16), names=("Cecilie",))[2][-1]
    services.credit_invoice(third, amount=Decimal("100"))  # number 1
    _refund, note = refunds.refund_invoice(second, amount=Decimal("1000"), paid_on=DAY)
    assert (note.number, note.is_full) == (2, True)
    assert amounts(second) == ("credited", Decimal("1000.00"), Decimal("0.00"), Decimal("0.00"))
    with pytest.raises(services.BillingError, match="refund"):
        services.credit_invoice(first)  # a paid invoice is credited only by a refund


def test_overpayment_is_paid_back_without_a_credit_note(club, paid):
    invoice = paid[0]
    services.record_payment(invoice, club=club, amount=Decimal("150"), method="manual", paid_on=DAY)
    assert amounts(invoice)[3] == Decimal("-150.00")  # overpaid
    _refund, note = refunds.refund_invoice(invoice, amount=Decimal("100"), paid_on=DAY)
    assert note is None
    assert amounts(invoice) == ("paid", Decimal("0.00"), Decimal("1050.00"), Decimal("-50.00"))
    _refund, note = refunds.refund_invoice(invoice, amount=Decimal("250"), paid_on=DAY)
    assert note.amount == Decimal("200.00")  # 50 overpaid back, 200 of the invoice credited
    assert amounts(invoice) == ("paid", Decimal("200.00"), Decimal("800.00"), Decimal("0.00"))


@pytest.mark.parametrize("bad", ["0", "-5", "1000.01"])
def test_refund_refuses_bad_amounts_and_records_nothing(club, paid, bad):
    with pytest.raises(services.BillingError, match="at most what was paid"):
        refunds.refund_invoice(paid[0], amount=Decimal(bad), paid_on=DAY)
    with scopes_disabled():
        assert not CreditNote.objects.filter(club=club).exists()
        assert not Payment.objects.filter(club=club, kind="refund").exists()


def test_unpaid_invoice_is_not_refunded(club):
    _fee, _m, (invoice,) = make_invoices(club, names=("Dina",))
    with pytest.raises(services.BillingError, match="Only a paid invoice"):
        refunds.refund_invoice(invoice, amount=Decimal("1"), paid_on=DAY)


def test_same_reference_twice_is_refused(club, paid):
    refunds.refund_invoice(paid[0], amount=Decimal("10"), paid_on=DAY, reference="bank-9")
    with pytest.raises(services.BillingError, match="already registered"):
        refunds.refund_invoice(paid[0], amount=Decimal("10"), paid_on=DAY, reference="bank-9")
    with scopes_disabled():
        assert CreditNote.objects.filter(club=club).count() == 1
        assert Payment.objects.filter(club=club, kind="refund").count() == 1


def test_refund_page_makes_a_credit_note_once_on_double_submit(client, club, paid):
    log_in_admin(client, club)
    invoice = paid[0]
    seen = services.money_state(fresh(invoice))
    today = timezone.localdate().strftime("%d.%m.%Y")
    data = {"amount": "250,00", "paid_on": today, "reason": "Feil sats", "seen": seen}
    first = client.post(url("refund", club, invoice.pk), data)
    assert first.status_code == 302
    again = client.post(url("refund", club, invoice.pk), data, follow=True)
    assert "changed after you opened it" in again.content.decode()
    with scopes_disabled():
        (note,) = CreditNote.objects.filter(invoice=invoice)
        assert Payment.objects.filter(invoice=invoice, kind="refund").count() == 1
    assert (note.amount, note.reason) == (Decimal("250.00"), "Feil sats")
    response = client.get(url("invoice", club, invoice.pk))
    assert 'id="refund-form"' in response.content.decode()  # 750 kr left to refund
    assert [n.number for n in response.context["credit_notes"]] == [1]
    assert amounts(invoice)[3] == Decimal("0.00")


def test_refund_form_is_not_offered_for_an_unpaid_invoice(client, club):
    log_in_admin(client, club)
    _fee, _m, (invoice,) = make_invoices(club, names=("Eva",))
    services.record_payment(
        invoice, club=club, amount=Decimal("100"), method="card", paid_on=timezone.localdate()
    )
    page = client.get(url("invoice", club, invoice.pk)).content.decode()
    assert 'id="refund-form"' not in page
