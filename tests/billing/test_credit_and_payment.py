"""Credit notes (R-BIL-9) in their own gapless series, and payments recorded once per
provider reference (R-BIL-8)."""

from datetime import date
from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from billing import refunds, services
from billing.models import CreditNote, Invoice, InvoicePaymentMethod, Payment

from .conftest import RUN_DATE, make_fee, make_member


@pytest.fixture
def two_invoices(club):
    fee = make_fee(club, price="600.00")
    make_member(club, "Agnes", fee=fee)
    make_member(club, "Brede", fee=fee)
    services.run_invoices(club, RUN_DATE)
    with scopes_disabled():
        return list(Invoice.objects.filter(club=club).order_by("number"))


def test_full_and_partial_credit_notes_are_numbered_in_their_own_series(club, two_invoices):
    first, second = two_invoices
    part = services.credit_invoice(first, amount=Decimal("100.00"), reason="Feil sats")
    rest = services.credit_invoice(first)
    full = services.credit_invoice(second)
    assert [(n.number, n.amount, n.is_full) for n in (part, rest, full)] == [
        (1, Decimal("100.00"), False),
        (2, Decimal("500.00"), False),
        (3, Decimal("600.00"), True),
    ]
    first.refresh_from_db()
    assert first.status == "credited" and first.total == Decimal("600.00")  # unchanged
    with pytest.raises(services.BillingError, match="in full already"):
        services.credit_invoice(first)


def test_credit_refuses_too_much_and_nothing(two_invoices):
    first, _ = two_invoices
    for bad in (Decimal("600.01"), Decimal("0"), Decimal("-5")):
        with pytest.raises(services.BillingError):
            services.credit_invoice(first, amount=bad)
    with scopes_disabled():
        assert not CreditNote.objects.filter(invoice__in=two_invoices).exists()
    services.credit_invoice(first, amount=Decimal("0.01"))
    first.refresh_from_db()
    assert first.status == "partly_credited"


def test_paid_invoice_is_refunded_not_credited(club, two_invoices):
    first, _ = two_invoices
    payment, created = services.record_payment(
        first,
        club=club,
        amount=Decimal("600"),
        method="card",
        paid_on=date(2026, 1, 20),
        provider="test",
        reference="pay-1",
    )
    assert created
    first.refresh_from_db()
    assert first.status == "paid"
    with pytest.raises(services.BillingError, match="refund"):
        services.credit_invoice(first)
    refund, note = refunds.refund_invoice(first, amount=Decimal("600.00"), paid_on=date(2026, 2, 1))
    assert (refund.kind, refund.amount) == ("refund", Decimal("-600.00"))
    assert note is not None and note.amount == Decimal("600.00")  # issue 8: with a credit note
    with pytest.raises(services.BillingError):
        refunds.refund_invoice(first, amount=Decimal("0.01"), paid_on=date(2026, 2, 2))


def test_same_payment_reference_twice_is_one_payment(club, two_invoices):
    """The same callback twice = one payment."""
    first, _ = two_invoices
    kwargs = {"club": club, "method": "card", "paid_on": date(2026, 1, 20), "provider": "test"}
    services.record_payment(first, amount=Decimal("200"), reference="abc", **kwargs)
    again, created = services.record_payment(
        first, amount=Decimal("200"), reference="abc", **kwargs
    )
    assert not created
    first.refresh_from_db()
    assert first.status == "issued" and services.open_amount(first) == Decimal("400.00")
    services.record_payment(first, amount=Decimal("400"), reference="def", **kwargs)
    first.refresh_from_db()
    assert first.status == "paid"
    with scopes_disabled():
        assert Payment.objects.filter(invoice=first).count() == 2


def test_unpaid_prepaid_invoice_can_be_credited(two_invoices):
    """R-BIL-8/R-BIL-9: a cancelled card payment leaves it open as PrePaid."""
    first, _ = two_invoices
    with scopes_disabled():
        Invoice.objects.filter(pk=first.pk).update(payment_method=InvoicePaymentMethod.PREPAID)
    note = services.credit_invoice(first)
    assert note.is_full


def test_unmatched_payment_is_kept_without_invoice(club):
    payment, created = services.record_payment(
        None,
        club=club,
        amount=Decimal("99.5"),
        method="ocr",
        paid_on=date(2026, 1, 3),
        provider="nets",
        reference="tx-7",
        kid="000000999",
    )
    assert created and payment.invoice is None and payment.amount == Decimal("99.50")
